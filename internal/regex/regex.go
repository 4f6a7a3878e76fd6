// Package regex is the seam between leakhound and a regular-expression
// engine. Rules compile through an Engine, so the engine can be swapped and
// measured per workload (go-re2 against the standard library) without the
// detector knowing which one runs.
package regex

import (
	"regexp"

	re2 "github.com/wasilibs/go-re2"
)

// Regexp is the subset of a compiled expression the detector needs.
type Regexp interface {
	// FindAllSubmatchIndex has the semantics of regexp.Regexp's method.
	FindAllSubmatchIndex(b []byte, n int) [][]int
	// Match reports whether b contains a match.
	Match(b []byte) bool
	// NumSubexp returns the number of capture groups.
	NumSubexp() int
}

// Engine compiles patterns written in RE2 syntax.
type Engine interface {
	Compile(pattern string) (Regexp, error)
	Name() string
}

// RE2 is the default engine: RE2 through github.com/wasilibs/go-re2. Its
// matching time is linear in the input, so a user's rule cannot hang a scan,
// and it is several times faster than the standard library on rule-shaped
// patterns.
type RE2 struct{}

// Compile compiles pattern with go-re2.
func (RE2) Compile(pattern string) (Regexp, error) {
	r, err := re2.Compile(pattern)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Name returns "re2".
func (RE2) Name() string { return "re2" }

// Std compiles with the standard library's regexp package, also linear
// time; it exists to measure against RE2 and to validate that a pattern is
// portable RE2 syntax.
type Std struct{}

// Compile compiles pattern with regexp.Compile.
func (Std) Compile(pattern string) (Regexp, error) {
	r, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Name returns "std".
func (Std) Name() string { return "std" }
