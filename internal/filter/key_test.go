package filter

import (
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
	"github.com/leakhound/leakhound/rules"
)

// TestChainKey: the key a recorded result is kept under (an unchanged
// --state re-run) is the same for chains built alike, in another run,
// and differs when any input of any stage does; a chain that explains
// its drops has none.
func TestChainKey(t *testing.T) {
	set := func(extra string) *rules.Set {
		s, err := rules.Loader{}.Parse([]byte(testkit.TokRule+extra), "rules.toml")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ignore := func(lines string) *Ignore {
		ig, err := ParseIgnore(strings.NewReader(lines))
		if err != nil {
			t.Fatal(err)
		}
		return ig
	}
	baseline := func(secret string) *Baseline {
		b, err := ParseBaseline([]byte(`[{"RuleID":"tok","File":"a.env","Secret":"` + secret + `"}]`))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	chain := func(s *rules.Set, more ...Stage) *Chain {
		return NewChain(nil, append([]Stage{Inline{}, NewRuleAllowlists(s), NewGlobal(s)}, more...)...)
	}
	key := func(c *Chain) [32]byte {
		t.Helper()
		k, ok := c.Key()
		if !ok {
			t.Fatal("no key")
		}
		return k
	}
	allow := "\n[[allowlists]]\nregexes = ['''fake''']\n"
	base := key(chain(set(allow), ignore("abc:a.env:tok:1\n"), baseline("tok_aaaa")))
	if again := key(chain(set(allow), ignore("abc:a.env:tok:1\n"), baseline("tok_aaaa"))); again != base {
		t.Error("the same inputs give another key")
	}
	for name, c := range map[string]*Chain{
		"another allowlist regex": chain(set("\n[[allowlists]]\nregexes = ['''dummy''']\n"), ignore("abc:a.env:tok:1\n"), baseline("tok_aaaa")),
		"no global allowlist":     chain(set(""), ignore("abc:a.env:tok:1\n"), baseline("tok_aaaa")),
		"another ignore entry":    chain(set(allow), ignore("abd:a.env:tok:1\n"), baseline("tok_aaaa")),
		"no ignore file":          chain(set(allow), baseline("tok_aaaa")),
		"another baseline entry":  chain(set(allow), ignore("abc:a.env:tok:1\n"), baseline("tok_bbbb")),
		"a confidence threshold":  chain(set(allow), MinConfidence(rules.ConfidenceHigh), ignore("abc:a.env:tok:1\n"), baseline("tok_aaaa")),
		"gitleaks:allow ignored": NewChain(nil, Inline{NoGitleaks: true}, NewRuleAllowlists(set(allow)), NewGlobal(set(allow)),
			ignore("abc:a.env:tok:1\n"), baseline("tok_aaaa")),
	} {
		if key(c) == base {
			t.Errorf("%s: the same key", name)
		}
	}
	var b strings.Builder
	NewGlobal(set(allow)).Describe(&b)
	if !strings.Contains(b.String(), "fake") || strings.Contains(b.String(), "0x") {
		t.Errorf("a global allowlist is described as %q: want its patterns, no addresses", b.String())
	}
	if _, ok := NewChain(func(Drop) {}, Inline{}).Key(); ok {
		t.Error("a chain that explains its drops has a key")
	}
}
