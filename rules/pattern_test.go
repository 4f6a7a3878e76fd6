package rules

import (
	"regexp"
	"sync"
	"testing"

	"github.com/leakhound/leakhound/config"
)

func TestPattern(t *testing.T) {
	p, err := NewPattern(`(?i)^tok_[a-z]+$`)
	if err != nil {
		t.Fatal(err)
	}
	if p.re != nil {
		t.Fatal("compiled before first use")
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !p.MatchString("TOK_abc") || p.MatchString("tok_1") {
				t.Error("wrong match")
			}
		}()
	}
	wg.Wait()
	if p.String() != `(?i)^tok_[a-z]+$` {
		t.Errorf("String = %q", p.String())
	}
	for _, bad := range []string{`(`, `a{2000}{2000}`, `(?=x)`, `\8`} {
		if _, err := NewPattern(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestDefaultPatternsCompile: a Pattern compiles on first use, after the
// loader checked only its syntax; every one of the built-in rules' must
// compile as it is.
func TestDefaultPatternsCompile(t *testing.T) {
	set, err := Loader{}.Parse([]byte(config.Default()), config.DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	check := func(a Allowlist) {
		for _, ps := range [][]*Pattern{a.Regexes, a.Paths} {
			for _, p := range ps {
				n++
				if _, err := regexp.Compile(p.String()); err != nil {
					t.Errorf("%q: %v", p.String(), err)
				}
			}
		}
	}
	for _, a := range set.Allowlists {
		check(a)
	}
	for _, r := range set.Rules {
		for _, a := range r.Allowlists {
			check(a)
		}
	}
	if n == 0 {
		t.Fatal("no allowlist patterns in the built-in rules")
	}
}
