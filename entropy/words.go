package entropy

import (
	"unicode"
	"unicode/utf8"
)

// Words reports whether s reads as words rather than as a random token:
// natural-language words in any script, or a code identifier built of them
// (smtpServer, TestTableHashKey, gateway-route, config.db.password), with
// at most short numbers beside them (encryptionKey1024, v2). Shannon
// entropy cannot tell: a long identifier scores as high as a random key.
//
// Random letters are told apart from words by how they pronounce: a word
// of Latin letters has a vowel in every few letters and no run of five
// consonants ("xcurnltx", "brymttnkvlmojbd" have both), and a random token
// mixes letters and digits inside one segment ("e9bd97b8"). Short random
// letter strings ("fmuio") can pass for words; that is the price of never
// calling "Passwort" or "workstation" a secret. Any other character (a
// symbol such as # or +) makes s not words.
func Words(s []byte) bool {
	letters := 0
	for len(s) > 0 {
		// One segment: the text up to the next separator.
		end := 0
		for end < len(s) && !wordSeparator(s[end]) {
			end++
		}
		n, ok := segmentWords(s[:end])
		if !ok {
			return false
		}
		letters += n
		for end < len(s) && wordSeparator(s[end]) {
			end++
		}
		s = s[end:]
	}
	return letters >= 3
}

func wordSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '_', '-', '.', '/', ':', ',', '\'':
		return true
	}
	return false
}

// segmentWords checks one separator-free segment and returns how many
// letters it holds.
func segmentWords(seg []byte) (int, bool) {
	letters, switches := 0, 0
	digitRun, lastDigit := 0, false
	wordStart := -1
	flush := func(end int) bool {
		if wordStart < 0 {
			return true
		}
		ok := pronounceable(seg[wordStart:end])
		wordStart = -1
		return ok
	}
	for i := 0; i < len(seg); {
		r, size := utf8.DecodeRune(seg[i:])
		switch {
		case r >= '0' && r <= '9':
			if !flush(i) {
				return 0, false
			}
			if !lastDigit && i > 0 {
				switches++
			}
			lastDigit = true
			digitRun++
			if digitRun > 4 {
				return 0, false
			}
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			if lastDigit {
				switches++
			}
			lastDigit, digitRun = false, 0
			// A camel-case boundary starts a new word: aB, or the last
			// capital of a run before lower case (XMLHttp: XML, Http).
			if wordStart >= 0 && i > 0 && isUpper(seg[i]) {
				prev := seg[i-1]
				nextLower := i+1 < len(seg) && isLower(seg[i+1])
				if isLower(prev) || (isUpper(prev) && nextLower) {
					if !flush(i) {
						return 0, false
					}
				}
			}
			if wordStart < 0 {
				wordStart = i
			}
			letters++
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
			// Letters of other scripts (and their combining marks) are
			// taken as words: Passwort, Contraseña, パスワード, пароль.
			if lastDigit {
				switches++
			}
			lastDigit, digitRun = false, 0
			if !flush(i) {
				return 0, false
			}
			letters++
		default:
			return 0, false
		}
		i += size
	}
	if !flush(len(seg)) {
		return 0, false
	}
	// Letters, digits, letters again inside one segment: a random token.
	if switches > 1 {
		return 0, false
	}
	return letters, true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// pronounceable judges one ASCII word: it needs vowels (y counts) spread
// through it. An abbreviation of four letters (smtp, Http) or an
// all-capital one of five (HTTPS) may have none.
func pronounceable(w []byte) bool {
	if len(w) <= 3 {
		return true
	}
	vowels, run, maxRun, upper := 0, 0, 0, true
	for _, c := range w {
		if !isUpper(c) {
			upper = false
		}
		switch c | 0x20 {
		case 'a', 'e', 'i', 'o', 'u', 'y':
			vowels++
			run = 0
		default:
			run++
			maxRun = max(maxRun, run)
		}
	}
	switch {
	case vowels == 0:
		return len(w) <= 4 || upper && len(w) <= 5
	case maxRun >= 5:
		return false
	case len(w) >= 8 && vowels*5 < len(w):
		return false
	}
	return true
}
