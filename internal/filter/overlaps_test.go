package filter

import (
	"crypto/sha256"
	"reflect"
	"testing"

	"github.com/leakhound/leakhound/detect"
)

// TestOverlapsIsTheFirstStage: overlap resolution is a named stage of
// every chain, first (DESIGN §5): its drops are counted and explained
// under its name, before any other stage's, and it leaves the chain's
// key as a chain without it had it, so recorded --state results still
// match.
func TestOverlapsIsTheFirstStage(t *testing.T) {
	var drops []Drop
	c := NewChain(func(d Drop) { drops = append(drops, d) }, Inline{})
	specific := candidate("tok", "a1b2c3d4e5f6", 0, "a.go")
	generic := specific
	generic.RuleID, generic.Tags = "generic-kv", []string{"generic"}
	allowed := candidate("tok", "z9y8x7w6v5u4", 40, "a.go")
	allowed.Line += " // leakhound:allow"
	if got := c.Apply([]detect.Finding{specific, generic, allowed}); len(got) != 1 || got[0].RuleID != "tok" {
		t.Fatalf("kept %+v, want the specific finding", got)
	}
	name := Overlaps{}.Name()
	if want := []Count{{name, 1}, {"inline-allow", 1}}; !reflect.DeepEqual(c.Counts(), want) {
		t.Errorf("counts %v, want %v", c.Counts(), want)
	}
	if len(drops) != 2 || drops[0].Stage != name || drops[0].RuleID != "generic-kv" || drops[1].Stage != "inline-allow" {
		t.Errorf("explained %+v", drops)
	}
	key, ok := NewChain(nil).Key()
	if want := sha256.Sum256([]byte("leakhound filter chain 1\n")); !ok || key != want {
		t.Errorf("an empty chain's key is %x, want %x: overlap resolution must not change keys", key, want)
	}
}
