package rules

import (
	"regexp"
	"regexp/syntax"
	"sync"
)

// Pattern is an allowlist's regular expression (RE2 syntax, run with the
// standard library, linear-time too), compiled the first time it is
// matched. Allowlist patterns run only on candidates and paths, and most
// scans (a pre-commit hook's above all) never reach most of them:
// compiling the built-in set's 86 up front took a quarter of the time to
// parse the set and made two thirds of its garbage. The loader checks
// each pattern's syntax when it reads the config, which is what can
// fail, so a Pattern it returns always compiles. A Pattern is safe for
// concurrent use.
type Pattern struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// NewPattern checks expr's syntax and returns it as a Pattern.
func NewPattern(expr string) (*Pattern, error) {
	if _, err := syntax.Parse(expr, syntax.Perl); err != nil {
		return nil, err
	}
	return &Pattern{expr: expr}, nil
}

// CheckedPattern returns expr as a Pattern without checking its syntax
// again: for Go code generated from a configuration the loader has read,
// which checked it then (package builtin, the built-in rules). Parsing
// the built-in set's patterns once more at every start would cost what
// generating the code saved. An expression that does not compile matches
// nothing (see Regexp).
func CheckedPattern(expr string) *Pattern { return &Pattern{expr: expr} }

// MustPattern is NewPattern for expressions known to be valid (tests);
// it panics on a bad one.
func MustPattern(expr string) *Pattern {
	p, err := NewPattern(expr)
	if err != nil {
		panic(err)
	}
	return p
}

// Regexp returns the compiled expression, compiling it on first use.
// regexp.Compile fails only where syntax.Parse, which NewPattern ran,
// does; should it fail anyway, the result is a pattern that matches
// nothing.
func (p *Pattern) Regexp() *regexp.Regexp {
	p.once.Do(func() {
		re, err := regexp.Compile(p.expr)
		if err != nil {
			re = regexp.MustCompile(`[^\x00-\x{10FFFF}]`)
		}
		p.re = re
	})
	return p.re
}

// MatchString reports whether s contains a match of the pattern.
func (p *Pattern) MatchString(s string) bool { return p.Regexp().MatchString(s) }

// String returns the expression as written.
func (p *Pattern) String() string { return p.expr }
