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
// Random letters are told apart from words by how they read: the letter
// pairs of words are the common ones of written English (bigramLog2: on
// average about 1 in 12 for a word, 1 in 100 or rarer for random letters),
// a word has vowels spread through it and no run of five consonants, and
// camel-case words are not mostly one or two letters long
// ("nUfDVuMvoVmHOhq"). A random token also mixes letters and digits inside
// one segment ("e9bd97b8"). Very short random strings ("fmuio") can pass
// for words; that is the price of never calling "Passwort" or
// "workstation" a secret. Any other character (a symbol such as # or +)
// makes s not words.
func Words(s []byte) bool {
	_, ok := words(s)
	return ok
}

// Identifier reports whether s is a code identifier made of two or more
// words (new_password, dbPassword, config.db.password, passwordInput):
// what code assigns where a configuration file would hold a literal. A
// single word (sunshine), words joined by hyphens (Mimu-Pozo39, which no
// language names a variable) and anything with a space or a non-ASCII
// letter are not.
func Identifier(s []byte) bool {
	for _, c := range s {
		if c == ' ' || c == '\t' || c == '-' || c >= 0x80 {
			return false
		}
	}
	st, ok := words(s)
	return ok && st.words-st.single >= 2
}

func words(s []byte) (wordStats, bool) {
	var st wordStats
	for len(s) > 0 {
		// One segment: the text up to the next separator.
		end := 0
		for end < len(s) && !wordSeparator(s[end]) {
			end++
		}
		if !st.segment(s[:end]) {
			return st, false
		}
		for end < len(s) && wordSeparator(s[end]) {
			end++
		}
		s = s[end:]
	}
	if st.letters < 3 {
		return st, false
	}
	if st.words >= 4 && 2*st.tiny > st.words {
		return st, false
	}
	// Mean log2 probability of the letter pairs, scaled by 8: below -5
	// bits a pair is random letters (a random string scores about -7).
	return st, st.pairs == 0 || st.logp >= -5*8*st.pairs
}

// wordStats accumulates what Words measures over a text's segments.
type wordStats struct {
	letters     int // letters in all
	words, tiny int // ASCII words, and those of one or two letters
	single      int // ASCII words of one letter
	pairs, logp int // letter pairs scored, and their summed log2 probability (×8)
}

func wordSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '_', '-', '.', '/', ':', ',', '\'':
		return true
	}
	return false
}

// segment checks one separator-free segment and adds its words to st.
func (st *wordStats) segment(seg []byte) bool {
	var mix digitMix
	wordStart := -1
	flush := func(end int) bool {
		if wordStart < 0 {
			return true
		}
		ok := st.word(seg[wordStart:end])
		wordStart = -1
		return ok
	}
	for i := 0; i < len(seg); {
		r, size := utf8.DecodeRune(seg[i:])
		switch {
		case r >= '0' && r <= '9':
			if !flush(i) {
				return false
			}
			if !mix.digit(i) {
				return false
			}
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			mix.letter()
			if wordStart >= 0 && camelBoundary(seg, i) && !flush(i) {
				return false
			}
			if wordStart < 0 {
				wordStart = i
			}
			st.letters++
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
			// Letters of other scripts (and their combining marks) are
			// taken as words: Passwort, Contraseña, パスワード, пароль.
			mix.letter()
			if !flush(i) {
				return false
			}
			st.letters++
		default:
			return false
		}
		i += size
	}
	if !flush(len(seg)) {
		return false
	}
	// Letters, digits, letters again inside one segment: a random token.
	return mix.switches <= 1
}

// digitMix follows, along one segment, how digits and letters alternate.
type digitMix struct {
	switches int  // changes from letters to digits or back
	run      int  // digits in the current run
	last     bool // the last character was a digit
}

// digit records a digit at index i of the segment, reporting whether the
// run of digits is still short enough (at most four) for words.
func (m *digitMix) digit(i int) bool {
	if !m.last && i > 0 {
		m.switches++
	}
	m.last = true
	m.run++
	return m.run <= 4
}

// letter records a letter, which ends a run of digits.
func (m *digitMix) letter() {
	if m.last {
		m.switches++
	}
	m.last, m.run = false, 0
}

// camelBoundary reports whether the ASCII letter seg[i] starts a new
// camel-case word: aB, or the last capital of a run before lower case
// (XMLHttp: XML, Http).
func camelBoundary(seg []byte, i int) bool {
	if i == 0 || !isUpper(seg[i]) {
		return false
	}
	prev := seg[i-1]
	return isLower(prev) || isUpper(prev) && i+1 < len(seg) && isLower(seg[i+1])
}

// word checks one ASCII word and adds it to st.
func (st *wordStats) word(w []byte) bool {
	st.words++
	if len(w) <= 2 {
		st.tiny++
	}
	if len(w) == 1 {
		st.single++
	}
	if len(w) >= 5 {
		for i := 1; i < len(w); i++ {
			st.pairs++
			st.logp += int(bigramLog2[(w[i-1]|0x20)-'a'][(w[i]|0x20)-'a'])
		}
	}
	return pronounceable(w)
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
