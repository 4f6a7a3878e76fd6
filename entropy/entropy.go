// Package entropy scores how random a byte string looks.
//
// Shannon returns bits per byte computed over bytes (never runes, so the
// figure and its divisor agree). Bits estimates the total information in a
// string as its length times log2 of the size of the alphabet it draws from,
// so a rule can ask for "at least 128 bits" of a hex key whose per-byte
// entropy is low by construction. The package performs no I/O and keeps no
// state.
package entropy

import "math"

// Shannon returns the Shannon entropy of b in bits per byte, between 0 and 8.
// It is 0 for an empty input.
func Shannon(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	var h float64
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	if h < 0 { // -0 and rounding noise on single-symbol input
		return 0
	}
	return h
}

// Character classes that make up an alphabet. A string that uses any
// character of a class is assumed to draw from the whole class: a hex key
// that happens to contain only "0-9a-c" still comes from a 16-symbol alphabet.
const (
	classDigit = 1 << iota
	classHexLower
	classHexUpper
	classLower
	classUpper
	classB64Sym // + / =
	classURLSym // - _
	classPunct  // other printable ASCII
	classHigh   // bytes >= 0x80 and control bytes
)

// classesOf returns the character classes (class bits) that b uses.
func classesOf(b []byte) int {
	var cls int
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			cls |= classDigit
		case c >= 'a' && c <= 'f':
			cls |= classHexLower
		case c >= 'A' && c <= 'F':
			cls |= classHexUpper
		case c >= 'g' && c <= 'z':
			cls |= classLower
		case c >= 'G' && c <= 'Z':
			cls |= classUpper
		case c == '+' || c == '/' || c == '=':
			cls |= classB64Sym
		case c == '-' || c == '_':
			cls |= classURLSym
		case c > ' ' && c < 0x7f:
			cls |= classPunct
		default:
			cls |= classHigh
		}
	}
	return cls
}

// Alphabet returns the estimated size of the alphabet b is drawn from,
// built from the character classes b uses: 10 for decimal digits, 16 for
// hex, 36 for lower-case alphanumerics, 62 for mixed case, 64 for base64,
// up to 256 for arbitrary bytes.
func Alphabet(b []byte) int {
	cls := classesOf(b)
	if cls&classHigh != 0 {
		return 256
	}
	size := 0
	if cls&classDigit != 0 {
		size += 10
	}
	lower := cls&(classHexLower|classLower) != 0
	upper := cls&(classHexUpper|classUpper) != 0
	hexOnly := cls&(classLower|classUpper) == 0
	switch {
	case hexOnly && lower && upper:
		size += 12 // mixed-case hex: a-f and A-F
	case hexOnly && (lower || upper):
		size += 6
	default:
		if lower {
			size += 26
		}
		if upper {
			size += 26
		}
	}
	if cls&classB64Sym != 0 {
		size += 2 // '=' is padding, not a symbol
	}
	if cls&classURLSym != 0 {
		size += 2
	}
	if cls&classPunct != 0 {
		size += 30 // the rest of printable ASCII
	}
	if size < 2 {
		size = 2
	}
	return size
}

// Bits estimates the total information in b: len(b) × log2(Alphabet(b)),
// capped by what the observed symbol distribution can carry
// (len(b) × max(Shannon(b), 1)), so a long run of one character never scores
// high merely for its length.
func Bits(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	n := float64(len(b))
	est := n * math.Log2(float64(Alphabet(b)))
	// A string of distinct symbols drawn from the alphabet has per-byte
	// Shannon entropy close to log2(len) when len < alphabet; scale the
	// empirical figure to the alphabet so short hex keys are not penalised,
	// but repeats (aaaa..., 0000...) are.
	distinct := distinctCount(b)
	maxH := math.Log2(math.Min(n, float64(Alphabet(b))))
	if maxH <= 0 {
		return 0
	}
	ratio := Shannon(b) / maxH
	if distinct <= 2 {
		ratio = math.Min(ratio, 0.1)
	}
	return est * math.Min(ratio, 1)
}

func distinctCount(b []byte) int {
	var seen [256]bool
	d := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			d++
		}
	}
	return d
}
