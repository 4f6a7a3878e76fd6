package rules

import (
	"fmt"
	"testing"
)

func TestAllowlistMemoGivesTheSameVerdicts(t *testing.T) {
	a := Allowlist{Regexes: []*Pattern{MustPattern(`^example-\d+$`)}, Shapes: []string{"words"}}
	a.Memoize()
	if a.memo == nil {
		t.Fatal("a secret-target allowlist is not memoized")
	}
	for round := 0; round < 2; round++ {
		// More distinct values than the memo holds, so it also forgets.
		for i := 0; i < targetMemoSize+100; i++ {
			s := fmt.Sprintf("example-%d", i)
			if !a.Matches(Candidate{Secret: s}) {
				t.Fatalf("round %d: %q not matched", round, s)
			}
			if a.Matches(Candidate{Secret: "Zk3" + s + "Q9x"}) {
				t.Fatalf("round %d: %q matched", round, "Zk3"+s+"Q9x")
			}
		}
	}
	line := Allowlist{Target: TargetLine, Regexes: []*Pattern{MustPattern(`x`)}}
	line.Memoize()
	if line.memo != nil {
		t.Error("a line-target allowlist is memoized: lines differ from candidate to candidate")
	}
}
