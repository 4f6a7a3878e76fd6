package detect

import (
	"bytes"

	"github.com/leakhound/leakhound/rules"
)

// keyCores are the stems of names that hold credentials. keyOf returns the
// last name before a secret that holds one of them, so that in
// `- name: DB_PASSWORD / value: "..."` the name is DB_PASSWORD, not value.
var keyCores = [...]string{"pass", "pwd", "pw", "secret", "token", "key", "auth", "cred", "bearer",
	"session", "cookie", "salt", "nonce", "sig", "cert", "private", "otp", "pin", "api", "access", "login", "identified"}

// keyOf returns the name a secret is assigned to, from the part of the
// match before the secret: the last identifier-like word there that holds
// a credential stem, else the last word; "" when there is none. The name
// is given in lower snake case (LABEL_CURRENT_PASSWORD, currentPassword
// and current-password all read "current_password"), so that one pattern
// judges it however the code base spells names.
func keyOf(prefix []byte) string {
	return snake(rawKey(beforeWrapper(prefix)))
}

// beforeWrapper drops a call that wraps the secret's literal from the end
// of prefix when an assignment comes before it: in
// `objectKey := object.FlatKey("` or `token = config.Secret("` the name is
// the one assigned to, not the wrapper's. A call with no assignment before
// it (ds.setPassword(") is the name itself and stays.
func beforeWrapper(prefix []byte) []byte {
	p := bytes.TrimRight(prefix, " \t\"'`\\")
	if n := len(p); n >= 2 && p[n-1] == '(' || n >= 3 && p[n-2] == '(' && bytes.IndexByte([]byte("bBrR"), p[n-1]) >= 0 {
		p = p[:bytes.LastIndexByte(p, '(')]
	} else {
		return prefix
	}
	p = bytes.TrimRight(p, " \t")
	end := len(p)
	for end > 0 && (keyByte(p[end-1]) || p[end-1] == '$' || p[end-1] == '>' || p[end-1] == ':') {
		if p[end-1] == '>' && (end < 2 || p[end-2] != '-') || p[end-1] == ':' && (end < 2 || p[end-2] != ':') {
			break // "=>" and a lone ':' are assignments, "->" and "::" join a call's parts
		}
		if p[end-1] == '>' || p[end-1] == ':' {
			end--
		}
		end--
	}
	if end == len(p) {
		return prefix
	}
	p = bytes.TrimRight(p[:end], " \t")
	if bytes.HasSuffix(p, []byte("new")) {
		p = bytes.TrimRight(p[:len(p)-3], " \t")
	}
	if n := len(p); n > 0 && (p[n-1] == '=' || p[n-1] == ':' || p[n-1] == '>' && n > 1 && p[n-2] == '=' || p[n-1] == '-' && n > 1 && p[n-2] == '<') {
		return p
	}
	return prefix
}

// rawKey finds the name in prefix. A bare stem ("key" in "Release GPG
// key:", "password" in "# Default password:") takes up to three words
// before it that are separated by single spaces, so the name says what
// the key is (release_gpg_key, public_key), unless a word is a
// declaration keyword or type (const, String, final).
func rawKey(prefix []byte) []byte {
	start, end, ok := keyToken(prefix)
	if !ok {
		return nil
	}
	if !bareStem(prefix[start:end]) {
		return prefix[start:end]
	}
	from := start
	for n := 0; n < 3 && from >= 2 && prefix[from-1] == ' '; n++ {
		ws := from - 1
		for ws > 0 && isLetter(prefix[ws-1]) {
			ws--
		}
		if ws == from-1 || declWord(prefix[ws:from-1]) || (ws > 0 && keyByte(prefix[ws-1])) {
			if ws < from-1 && preposition(prefix[ws:from-1]) {
				// "Uploaded file to key:" is prose, and the name says so.
				from = ws
			}
			break
		}
		from = ws
	}
	return prefix[from:end]
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// bareStems are names that say nothing more than that they hold a
// credential.
var bareStems = [...]string{"key", "token", "secret", "password", "passwd", "pass", "pwd", "passphrase", "credential", "credentials", "auth"}

func bareStem(w []byte) bool {
	for _, s := range bareStems {
		if string(bytes.ToLower(w)) == s {
			return true
		}
	}
	return false
}

// declWords end a name at a declaration or type word.
var declWords = [...]string{"const", "let", "var", "val", "final", "static", "private", "protected", "readonly",
	"string", "int", "bool", "byte", "char", "export", "set", "def", "my", "our", "local", "declare", "dim", "new",
	"the", "a", "an", "and", "or", "of", "to", "for", "with", "is", "if", "return", "env"}

// preposition reports whether w makes the words after it prose rather
// than a name (to key, for the token): such a name keeps it, so that
// allowlists can tell.
func preposition(w []byte) bool {
	switch string(bytes.ToLower(w)) {
	case "to", "for", "of", "with", "the", "a", "an":
		return true
	}
	return false
}

func declWord(w []byte) bool {
	low := string(bytes.ToLower(w))
	for _, d := range declWords {
		if low == d {
			return true
		}
	}
	return false
}

// keyToken returns the bounds of the last identifier-like word in prefix
// that holds a credential stem, else of the last word.
func keyToken(prefix []byte) (int, int, bool) {
	lastStart, lastEnd, found := 0, 0, false
	for end := len(prefix); end > 0; {
		for end > 0 && !keyByte(prefix[end-1]) {
			end--
		}
		start := end
		for start > 0 && keyByte(prefix[start-1]) {
			start--
		}
		if start == end {
			break
		}
		ws, we := start, end
		for ws < we && (prefix[ws] == '-' || prefix[ws] == '.') {
			ws++
		}
		for we > ws && (prefix[we-1] == '-' || prefix[we-1] == '.') {
			we--
		}
		end = start
		if ws == we {
			continue
		}
		if !found {
			lastStart, lastEnd, found = ws, we, true
		}
		low := bytes.ToLower(prefix[ws:we])
		for _, c := range keyCores {
			if bytes.Contains(low, []byte(c)) {
				return ws, we, true
			}
		}
	}
	return lastStart, lastEnd, found
}

// snake writes a name in lower snake case: words split at separators
// ('-', '.', '_') and at camel-case boundaries (aB, and ABc's last capital).
func snake(w []byte) string {
	out := make([]byte, 0, len(w)+4)
	sep := func() {
		if n := len(out); n > 0 && out[n-1] != '_' {
			out = append(out, '_')
		}
	}
	for i, c := range w {
		switch {
		case c == '-' || c == '.' || c == '_' || c == ' ':
			sep()
			continue
		case c >= 'A' && c <= 'Z':
			if i > 0 {
				prev := w[i-1]
				nextLower := i+1 < len(w) && w[i+1] >= 'a' && w[i+1] <= 'z'
				if prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9' || (prev >= 'A' && prev <= 'Z' && nextLower) {
					sep()
				}
			}
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(bytes.Trim(out, "_"))
}

func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c >= 0x80
}

// adjust returns the confidence of x after r's adjustments: that of the
// first one that matches, else conf.
func adjust(r *rules.Rule, x *Finding, content []byte, conf rules.Confidence) rules.Confidence {
	if len(r.Adjusts) == 0 {
		return conf
	}
	c := rules.Candidate{Secret: x.Secret, Match: x.Match, Key: x.Key,
		Line: string(lineText(content, x.Start, x.End))}
	for i := range r.Adjusts {
		if r.Adjusts[i].Matches(c) {
			return r.Adjusts[i].Confidence
		}
	}
	return conf
}
