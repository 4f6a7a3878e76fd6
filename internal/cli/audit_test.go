package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhound/leakhound/internal/testkit"
)

type auditDoc struct {
	Schema string `json:"schema"`
	Head   struct {
		Commit, Ref string
	} `json:"head"`
	Secrets []struct {
		RuleID       string `json:"rule_id"`
		Secret       string `json:"secret"`
		Status       string `json:"status"`
		StillPresent bool   `json:"still_present"`
		Introduced   struct {
			Commit, Path, Message string
			Line                  int
		} `json:"introduced"`
		Removed *struct {
			Commit, Message string
		} `json:"removed"`
		HeadLocations []struct {
			Path string
			Line int
		} `json:"head_locations"`
		Occurrences int      `json:"occurrences"`
		Refs        []string `json:"refs"`
		DaysExposed int      `json:"days_exposed"`
		ReusedAt    []string `json:"reused_at"`
	} `json:"secrets"`
}

// TestAuditPlantedSecrets builds a repository whose secrets are added,
// removed, moved, merged and left on a side branch in known commits, runs
// `leakhound audit` as a user would, and checks every group's first
// commit, removal commit, still-present flag, places and refs.
func TestAuditPlantedSecrets(t *testing.T) {
	dir, commit := gitRepo(t)
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Bo", "GIT_AUTHOR_EMAIL=bo@example.invalid", "GIT_COMMITTER_NAME=Bo",
			"GIT_COMMITTER_EMAIL=bo@example.invalid", "GIT_AUTHOR_DATE=2024-03-01T10:00:00Z", "GIT_COMMITTER_DATE=2024-03-01T10:00:00Z")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	tokC, tokD := "tok_"+"q1w2e3r4t5y6", "tok_"+"m9n8b7v6c5x4"
	commit("a.env", "TOKEN="+testkit.TokA+"\n", "add A", "2024-01-01T10:00:00Z")
	commit("b.env", "KEY="+testkit.TokB+"\n", "add B", "2024-01-10T10:00:00Z")
	commit("a.env", "TOKEN=\n", "remove A", "2024-02-01T10:00:00Z")
	git("checkout", "-q", "-b", "feature")
	commit("d.env", "C="+tokC+"\n", "add C on a branch", "2024-02-15T10:00:00Z")
	git("checkout", "-q", "main")
	git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
	git("mv", "b.env", "b-moved.env")
	commit("b-moved.env", "KEY="+testkit.TokB+"\n", "move B", "2024-03-10T10:00:00Z")
	git("checkout", "-q", "-b", "wip", "HEAD~1")
	commit("wip.env", "D="+tokD+"\n", "D on an unmerged branch", "2024-03-20T10:00:00Z")
	git("checkout", "-q", "main")
	git("tag", "-a", "v1", "-m", "release", "HEAD")

	auditNow = func() time.Time { return time.Date(2024, 4, 10, 10, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { auditNow = time.Now })
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	report := filepath.Join(t.TempDir(), "audit.json")
	r := runCLI(t, "", "audit", dir, "--config", cfg, "--report-format", "json", "--report-path", report, "--no-redact")
	if r.code != ExitFindings {
		t.Fatalf("exit %d, want %d:\n%s", r.code, ExitFindings, r)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(report); info.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want owner-only", info.Mode().Perm())
	}
	var doc auditDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "leakhound-audit/v1" || doc.Head.Ref != "refs/heads/main" || doc.Head.Commit != git("rev-parse", "main") {
		t.Errorf("head = %+v, schema %q", doc.Head, doc.Schema)
	}
	bySecret := map[string]int{}
	for i, s := range doc.Secrets {
		bySecret[s.Secret] = i
	}
	if len(doc.Secrets) != 4 {
		t.Fatalf("%d groups, want 4:\n%s", len(doc.Secrets), data)
	}
	commitOf := func(msg string) string { return git("log", "--all", "--format=%H", "--grep=^"+msg+"$") }

	a := doc.Secrets[bySecret[testkit.TokA]]
	if a.Introduced.Commit != commitOf("add A") || a.StillPresent || a.Removed == nil || a.Removed.Commit != commitOf("remove A") {
		t.Errorf("A: introduced %s, removed %+v, present %v; want add A, remove A, gone", a.Introduced.Message, a.Removed, a.StillPresent)
	}
	if a.DaysExposed != 31 || a.Status != "removed" {
		t.Errorf("A: %d days exposed, status %s; want 31, removed", a.DaysExposed, a.Status)
	}
	b := doc.Secrets[bySecret[testkit.TokB]]
	if b.Introduced.Commit != commitOf("add B") || !b.StillPresent || b.Removed != nil || b.Occurrences != 1 {
		t.Errorf("B: introduced %s, present %v, removed %+v, occurrences %d; want add B, present, 1 (a move is no new leak)", b.Introduced.Message, b.StillPresent, b.Removed, b.Occurrences)
	}
	if len(b.HeadLocations) != 1 || b.HeadLocations[0].Path != "b-moved.env" || b.HeadLocations[0].Line != 1 {
		t.Errorf("B in HEAD at %+v, want b-moved.env:1", b.HeadLocations)
	}
	c := doc.Secrets[bySecret[tokC]]
	if c.Introduced.Commit != commitOf("add C on a branch") || !c.StillPresent || c.Introduced.Path != "d.env" {
		t.Errorf("C: introduced %s at %s, present %v; want the branch commit, still present through the merge", c.Introduced.Message, c.Introduced.Path, c.StillPresent)
	}
	if got := strings.Join(c.Refs, ","); got != "refs/heads/feature,refs/heads/main,refs/heads/wip,refs/tags/v1" {
		t.Errorf("C reachable from %s", got)
	}
	d := doc.Secrets[bySecret[tokD]]
	if d.StillPresent || d.Removed != nil || d.Status != "not-in-head" || strings.Join(d.Refs, ",") != "refs/heads/wip" {
		t.Errorf("D: present %v, removed %+v, status %s, refs %v; want only on wip", d.StillPresent, d.Removed, d.Status, d.Refs)
	}
	// Still present first among equal severities, then the oldest.
	var order []string
	for _, s := range doc.Secrets {
		order = append(order, s.Secret)
	}
	if want := []string{testkit.TokB, tokC, testkit.TokA, tokD}; strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("order %v, want B, C (present, oldest first), then A, D", order)
	}

	// The other formats, as a user would ask for them; none holds a
	// secret unless --no-redact.
	for _, format := range []string{"text", "markdown", "html"} {
		r := runCLI(t, "", "audit", dir, "--config", cfg, "--report-format", format)
		if r.code != ExitFindings || strings.Contains(r.stdout, testkit.TokA) || !strings.Contains(r.stdout, "b-moved.env") {
			t.Errorf("%s: exit %d, or a secret shown, or HEAD's path missing:\n%s", format, r.code, r)
		}
	}
	if r := runCLI(t, "", "audit", dir, "--config", cfg, "--report-format", "sarif"); r.code != ExitError {
		t.Errorf("audit --report-format sarif: exit %d, want %d", r.code, ExitError)
	}
}

// TestAuditDefaultBranchOfAClone: in a clone with a feature branch checked
// out, "still in HEAD" means the default branch's (origin/HEAD), not the
// feature branch's; and a failed audit leaves no report file behind.
func TestAuditDefaultBranchOfAClone(t *testing.T) {
	origin, commit := gitRepo(t)
	commit("a.env", "TOKEN="+testkit.TokA+"\n", "add A", "2024-01-01T10:00:00Z")
	commit("a.env", "TOKEN=\n", "remove A", "2024-02-01T10:00:00Z")
	clone := filepath.Join(t.TempDir(), "clone")
	for _, args := range [][]string{
		{"clone", "-q", origin, clone},
		{"-C", clone, "checkout", "-q", "-b", "feature", "HEAD~1"},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	r := runCLI(t, "", "audit", clone, "--config", cfg, "--report-format", "json", "--no-redact")
	var doc auditDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if doc.Head.Ref != "refs/remotes/origin/main" || len(doc.Secrets) != 1 || doc.Secrets[0].StillPresent || doc.Secrets[0].Removed == nil {
		t.Errorf("head %+v, secrets %+v: want origin/main, where A was removed", doc.Head, doc.Secrets)
	}
	out := filepath.Join(t.TempDir(), "audit.html")
	if r := runCLI(t, "", "audit", filepath.Join(t.TempDir(), "no-such-repo"), "--report-format", "html", "--report-path", out); r.code != ExitError {
		t.Errorf("audit of a missing repository: exit %d, want %d", r.code, ExitError)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed audit left %s behind (%v)", out, err)
	}
}
