package cli

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// TestGitRangeForGates checks --range A..B as a pull-request or push gate
// uses it: only commits reachable from B and not from A are scanned. A
// secret that reached the branch by merging A's side is A's, not the
// branch's; one added on the branch, or by an evil merge, is reported at
// its commit; a range whose left side is not an ancestor (a force push)
// still scans only what B has and A lacks.
func TestGitRangeForGates(t *testing.T) {
	r := newHookRepo(t)
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	tokC := "tok_" + "c3c3c3c3c3c3"
	r.write("a.txt", "base\n")
	base := r.commit("base")
	r.run("checkout", "-q", "-b", "feature")
	r.write("f.txt", "clean\n")
	r.commit("feature work")
	r.run("checkout", "-q", "main")
	r.write("m.txt", "T="+testkit.TokA+"\n")
	onMain := r.commit("secret on main")
	r.run("checkout", "-q", "feature")
	r.run("merge", "-q", "--no-edit", "main")
	r.write("f.txt", "clean\nU="+testkit.TokB+"\n")
	onFeature := r.commit("secret on feature")
	// An evil merge: main merged again, with a secret in neither parent.
	r.run("checkout", "-q", "main")
	r.write("m2.txt", "more\n")
	r.commit("main moves on")
	r.run("checkout", "-q", "feature")
	r.run("merge", "-q", "--no-commit", "main")
	r.write("evil.txt", "V="+tokC+"\n")
	evil := r.commit("merge main")

	scan := func(rng string) []string {
		t.Helper()
		res := runEnv(t, Env{}, "git", r.dir, "--config", cfg, "--report-format", "json", "--range", rng)
		if res.code != ExitFindings && res.code != ExitClean {
			t.Fatalf("--range %s: %s", rng, res)
		}
		var fs []struct{ Commit, Secret string }
		if err := json.Unmarshal([]byte(res.stdout), &fs); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			out = append(out, f.Commit[:7]+" "+f.Secret)
		}
		sort.Strings(out)
		return out
	}
	want := func(pairs ...string) []string {
		var out []string
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, pairs[i][:7]+" "+pairs[i+1])
		}
		sort.Strings(out)
		return out
	}
	for _, tc := range []struct {
		rng  string
		want []string
	}{
		{"main..feature", want(onFeature, testkit.TokB, evil, tokC)},
		{onMain + "..feature", want(onFeature, testkit.TokB, evil, tokC)},
		{base + "..feature", want(onMain, testkit.TokA, onFeature, testkit.TokB, evil, tokC)},
		{onFeature + ".." + evil, want(evil, tokC)},
		{"feature..main", nil},
		// Not an ancestor: what main has and onFeature lacks.
		{onFeature + "..main", nil},
	} {
		if got := scan(tc.rng); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("--range %s: found %v, want %v", tc.rng, got, tc.want)
		}
	}
}
