package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leakhound/leakhound/detect"
)

// Text writes findings for people: one block per finding with the rule,
// where it is, the secret masked, and what to do about it at the end.
type Text struct{}

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiYel   = "\x1b[33m"
	ansiDim   = "\x1b[2m"
	ansiCyan  = "\x1b[36m"
)

// textMask is how text output hides a secret when no redaction is asked
// for: enough of a prefix to recognise the credential (at most 4
// characters, never more than a quarter of it), never the whole value.
func textMask(secret string, percent int) string {
	if percent > 0 {
		return Mask(secret, percent)
	}
	n := utf8.RuneCountInString(secret)
	keep := n / 4
	if keep > 4 {
		keep = 4
	}
	i := 0
	for k := 0; k < keep; k++ {
		_, size := utf8.DecodeRuneInString(secret[i:])
		i += size
	}
	return secret[:i] + strings.Repeat("*", min(n-keep, 12))
}

// Write implements Reporter.
func (Text) Write(w io.Writer, fs []detect.Finding, opt Options) error {
	bw := bufio.NewWriter(w)
	c := colorer(opt.Color)
	for i := range fs {
		writeTextFinding(bw, &fs[i], opt, c)
	}
	if len(fs) > 0 {
		writeAdvice(bw, fs, c)
	}
	if opt.Summary != "" {
		if len(fs) > 0 {
			bw.WriteString("\n")
		}
		fmt.Fprintf(bw, "%s\n", opt.Summary)
	}
	if opt.Incomplete != "" {
		fmt.Fprintf(bw, "%s\n", c.paint(ansiBold+ansiRed, "INCOMPLETE: "+printable(opt.Incomplete)))
	}
	return bw.Flush()
}

// colorer says whether text output is in colour.
type colorer bool

// paint wraps s in the ANSI code when output is in colour.
func (on colorer) paint(code, s string) string {
	if !on {
		return s
	}
	return code + s + ansiReset
}

// writeTextFinding writes finding f's block, colouring with c.
func writeTextFinding(bw *bufio.Writer, f *detect.Finding, opt Options, c colorer) {
	sev := f.Severity.String()
	sevColor := ansiYel
	if sev == "critical" || sev == "high" {
		sevColor = ansiRed
	}
	fmt.Fprintf(bw, "%s %s  %s\n", c.paint(ansiBold+sevColor, strings.ToUpper(sev)), c.paint(ansiBold, printable(f.RuleID)), printable(f.Description))
	fmt.Fprintf(bw, "  %s\n", c.paint(ansiCyan, fmt.Sprintf("%s:%d:%d", printable(f.Path), f.StartLine, f.StartColumn)))
	if f.Secret != "" {
		secret := textMask(f.Secret, opt.Redact)
		if opt.Reveal {
			secret = f.Secret
		}
		fmt.Fprintf(bw, "  secret       %s\n", printable(secret))
	}
	fmt.Fprintf(bw, "  confidence   %s\n", f.Confidence)
	if f.Kind == detect.KindStaged {
		fmt.Fprintf(bw, "  staged       in the index, not committed yet\n")
	}
	if f.Commit != "" {
		fmt.Fprintf(bw, "  commit       %s\n", printable(f.Commit))
		fmt.Fprintf(bw, "  author       %s <%s>, %s\n", printable(f.Author), printable(f.Email), f.Date.UTC().Format("2006-01-02"))
		if f.Message != "" {
			fmt.Fprintf(bw, "  message      %s\n", printable(f.Message))
		}
	}
	fmt.Fprintf(bw, "  %s\n\n", c.paint(ansiDim, "fingerprint  "+printable(f.Fingerprint)))
}

// writeAdvice writes what to do about findings fs, fitted to their kinds.
func writeAdvice(bw *bufio.Writer, fs []detect.Finding, c colorer) {
	fmt.Fprintf(bw, "%s\n", c.paint(ansiBold, "What to do"))
	staged, other := kinds(fs)
	if other {
		fmt.Fprintf(bw, "  A real credential: revoke or rotate it at its provider first, then remove it from the code.\n")
		fmt.Fprintf(bw, "  Removing it from git alone does not help: it stays in history and clones.\n")
	}
	if staged {
		fmt.Fprintf(bw, "  A staged credential is not committed yet: take it out of the file (read it from the environment\n")
		fmt.Fprintf(bw, "  or a secret store instead) and stage the file again. Rotate it if it was ever shared.\n")
	}
	fmt.Fprintf(bw, "  Not a secret: add a `leakhound:allow` comment on its line, or its fingerprint to .leakhoundignore.\n")
}

// kinds reports whether fs holds staged findings, and other ones, so
// that the advice fits: a staged secret is not in history yet.
func kinds(fs []detect.Finding) (staged, other bool) {
	for i := range fs {
		if fs[i].Kind == detect.KindStaged {
			staged = true
		} else {
			other = true
		}
	}
	return staged, other
}

// printable makes text from the scanned content or repository safe for a
// terminal: control characters (a newline in a multi-line secret, an
// escape sequence in a file name or commit message), other non-printing
// runes and invalid UTF-8 are written as Go escapes, so hostile input can
// neither forge report lines nor drive the terminal.
func printable(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Preview is how a secret is shown where nobody asked to see it: a prefix
// that tells which credential it is (at most 4 characters, never more
// than a quarter), then stars.
func Preview(secret string) string { return textMask(secret, 0) }
