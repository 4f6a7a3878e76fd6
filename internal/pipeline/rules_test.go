package pipeline

import (
	"testing"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/rules"
)

func defaultSet(t *testing.T) *rules.Set {
	t.Helper()
	set, err := rules.Loader{}.Parse([]byte(config.Default()), config.DefaultName)
	if err != nil {
		t.Fatalf("the embedded rules do not load: %v", err)
	}
	return set
}

// TestDefaultRulesExamples runs every built-in rule's examples and
// negatives through the pipeline the CLI uses (detector, then the whole
// filter chain with the global allowlists), exactly as `leakhound rules
// check` does.
func TestDefaultRulesExamples(t *testing.T) {
	set := defaultSet(t)
	for _, e := range CheckRules(set) {
		t.Error(e)
	}
}

// TestDefaultRulesCoverage pins what the issue asks of the rule set: at
// least 120 rules, each with an example and a negative, a description,
// keywords (rules without keywords run on every byte and must be rare)
// and tags.
func TestDefaultRulesCoverage(t *testing.T) {
	set := defaultSet(t)
	if n := len(set.Rules); n < 120 {
		t.Errorf("%d built-in rules, want at least 120", n)
	}
	unkeyed := 0
	for _, r := range set.Rules {
		if len(r.Examples) == 0 || len(r.Negatives) == 0 {
			t.Errorf("rule %s: needs at least one example and one negative", r.ID)
		}
		if r.Description == "" {
			t.Errorf("rule %s: no description", r.ID)
		}
		if len(r.Tags) == 0 {
			t.Errorf("rule %s: no tags", r.ID)
		}
		if len(r.Keywords) == 0 && r.Regex != "" {
			unkeyed++
		}
	}
	if unkeyed > 2 {
		t.Errorf("%d rules have no keywords; each runs on every byte scanned", unkeyed)
	}
}
