package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakhound/leakhound/internal/shard"
	"github.com/leakhound/leakhound/internal/testkit"
)

// orgRepos is a small organisation: repositories with fake secrets (the
// same key in two of them), clean ones, a folder that is not a
// repository and a damaged one; and a list of them all.
type orgRepos struct {
	good, bad []string // entries as written in the list
	list      string   // path of the list
	config    string
}

func newOrgRepos(t *testing.T) orgRepos {
	t.Helper()
	o := orgRepos{config: writeConfig(t, tokRuleNamed("test-token"))}
	contents := [][2]string{
		{"api", "TOKEN=" + testkit.TokA + "\n"},
		{"web", "TOKEN=" + testkit.TokA + "\nKEY=" + testkit.TokB + "\n"},
		{"docs", "nothing here\n"},
		{"billing", "KEY=" + testkit.TokB + "\n"},
		{"infra", "PORT=80\n"},
	}
	for i, c := range contents {
		dir, commit := gitRepo(t)
		commit("README.md", "# "+c[0]+"\n", "start", "2024-01-01T10:00:00Z")
		commit("app.env", c[1], "settings", "2024-01-0"+string(rune('2'+i))+"T10:00:00Z")
		o.good = append(o.good, dir)
	}
	notRepo := t.TempDir()
	damaged, commit := gitRepo(t)
	commit("a.txt", "a\n", "start", "2024-01-01T10:00:00Z")
	if err := os.WriteFile(filepath.Join(damaged, ".git", "HEAD"), []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.bad = []string{notRepo, damaged}
	var b strings.Builder
	b.WriteString("# the organisation's repositories\n\n")
	for _, e := range append(slices.Clone(o.good), o.bad...) {
		b.WriteString(e + "\n")
	}
	b.WriteString(o.good[0] + "/  # listed twice\n")
	o.list = filepath.Join(t.TempDir(), "repos.txt")
	if err := os.WriteFile(o.list, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return o
}

func fixAuditNow(t *testing.T) {
	auditNow = func() time.Time { return time.Date(2024, 4, 10, 10, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { auditNow = time.Now })
}

// TestAuditReposShards audits a list in three shards into one folder, as
// three jobs of a CI matrix would: every repository in exactly one shard,
// one owner-only report per good repository named after its entry, the
// failures named with exit code 2, the others still written, and the
// reports byte-identical to one unsharded run's.
func TestAuditReposShards(t *testing.T) {
	o := newOrgRepos(t)
	fixAuditNow(t)
	sharded, whole := t.TempDir(), filepath.Join(t.TempDir(), "new", "reports")
	seen := map[string]int{}
	for i := range 3 {
		s := shard.Spec{Index: i, Count: 3}.String()
		r := runCLI(t, "", "audit", "--repos", o.list, "--shard", s, "--list")
		if r.code != ExitClean || !strings.Contains(r.stderr, "duplicate of line") {
			t.Fatalf("--list of shard %s: want exit 0 and the duplicate reported:\n%s", s, r)
		}
		listed := strings.Fields(r.stdout)
		for _, e := range listed {
			seen[e]++
		}
		r = runCLI(t, "", "audit", "--repos", o.list, "--shard", s, "--config", o.config, "--report-format", "json", "--report-path", sharded)
		checkShardExit(t, o, s, listed, r)
	}
	for _, e := range append(slices.Clone(o.good), o.bad...) {
		if seen[e] != 1 {
			t.Errorf("%s is listed in %d shards, want 1", e, seen[e])
		}
	}
	if len(seen) != len(o.good)+len(o.bad) {
		t.Errorf("the shards list %d entries, the list has %d", len(seen), len(o.good)+len(o.bad))
	}
	r := runCLI(t, "", "audit", "--repos", o.list, "--config", o.config, "--report-format", "json", "--report-path", whole)
	if r.code != ExitError {
		t.Errorf("unsharded audit with two bad repositories: exit %d, want %d:\n%s", r.code, ExitError, r)
	}
	if info, err := os.Stat(whole); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("report folder made by leakhound: %v, %v; want owner-only", info, err)
	}
	checkReports(t, o, sharded, whole)
}

// checkShardExit checks one shard's run: exit 2 and the bad repositories
// named when it has one, else 1 when it has secrets, else 0.
func checkShardExit(t *testing.T, o orgRepos, s string, listed []string, r result) {
	t.Helper()
	want := ExitClean
	for _, e := range listed {
		if slices.Contains(o.good[:4], e) && e != o.good[2] {
			want = ExitFindings
		}
	}
	for _, e := range o.bad {
		if slices.Contains(listed, e) {
			want = ExitError
			if !strings.Contains(r.stderr, "failed: ") || !strings.Contains(r.stderr[strings.Index(r.stderr, "failed: "):], e) {
				t.Errorf("shard %s: %s not named as failed:\n%s", s, e, r)
			}
		}
	}
	if r.code != want {
		t.Errorf("shard %s (%d repositories): exit %d, want %d:\n%s", s, len(listed), r.code, want, r)
	}
}

// checkReports: one report per good repository, owner-only, naming its
// entry, identical in the sharded and the unsharded folder.
func checkReports(t *testing.T, o orgRepos, sharded, whole string) {
	t.Helper()
	for _, dir := range []string{sharded, whole} {
		files, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != len(o.good) {
			t.Errorf("%s holds %d files, want %d (one per good repository)", dir, len(files), len(o.good))
		}
	}
	for _, e := range o.good {
		name := shard.ReportName(e, ".json")
		a, err := os.ReadFile(filepath.Join(sharded, name))
		if err != nil {
			t.Errorf("no report for %s: %v", e, err)
			continue
		}
		if info, _ := os.Stat(filepath.Join(sharded, name)); info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, info.Mode().Perm())
		}
		var doc struct{ Repository string }
		if err := json.Unmarshal(a, &doc); err != nil || doc.Repository != e {
			t.Errorf("%s names repository %q (%v), want its entry %q", name, doc.Repository, err, e)
		}
		b, err := os.ReadFile(filepath.Join(whole, name))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the sharded and the unsharded run (%v)", name, err)
		}
	}
}

// TestAuditReposUsage: what --repos, --shard and --list refuse, with a
// message that says why.
func TestAuditReposUsage(t *testing.T) {
	list := filepath.Join(t.TempDir(), "repos.txt")
	if err := os.WriteFile(list, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "0/2"}, "need --repos"},
		{[]string{"--list"}, "need --repos"},
		{[]string{"--repos", list, "--shard", "2/2", "--list"}, "0..1"},
		{[]string{"--repos", list, "--shard", "0/0", "--list"}, "at least 1"},
		{[]string{"--repos", list, "--shard", "one/2", "--list"}, "whole numbers"},
		{[]string{"--repos", list, "--shard", "1", "--list"}, "want I/N"},
		{[]string{"--repos", list}, "--report-path DIR"},
		{[]string{"--repos", list, "--report-path", file}, "not a folder"},
		{[]string{"--repos", list, "--report-path", t.TempDir(), "--report-format", "sarif"}, "unknown report format"},
		{[]string{"--repos", list, "--list", "some/repo"}, "no REPO argument"},
		{[]string{"--repos", filepath.Join(t.TempDir(), "missing.txt"), "--list"}, "missing.txt"},
	} {
		r := runCLI(t, "", append([]string{"audit"}, tc.args...)...)
		if r.code != ExitError || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("audit %q: exit %d, want %d and %q:\n%s", tc.args, r.code, ExitError, tc.want, r)
		}
	}
}

// TestAuditShardsMergeEndToEnd is the organisation-wide audit as the
// recipes run it: three shards audited into one folder, then `leakhound
// audit merge` on the folder. The worklist must be the one a single
// unsharded run over every repository merges to (compared as JSON without
// the times and the folders the reports were read from), and each key in
// two repositories must be one entry naming both. The clock is not fixed:
// the runs are seconds apart, which is what generated_at may differ by.
func TestAuditShardsMergeEndToEnd(t *testing.T) {
	o := newOrgRepos(t)
	sharded, whole := t.TempDir(), t.TempDir()
	for i := range 3 {
		runCLI(t, "", "audit", "--repos", o.list, "--shard", shard.Spec{Index: i, Count: 3}.String(), "--config", o.config,
			"--report-format", "json", "--report-path", sharded)
	}
	runCLI(t, "", "audit", "--repos", o.list, "--config", o.config, "--report-format", "json", "--report-path", whole)
	merged := func(dir string) any {
		t.Helper()
		r := runCLI(t, "", "audit", "merge", dir, "--report-format", "json")
		if r.code != ExitFindings {
			t.Fatalf("audit merge %s: exit %d, want %d:\n%s", dir, r.code, ExitFindings, r)
		}
		var doc any
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("audit merge %s: %v\n%s", dir, err, r.stdout)
		}
		return withoutRunFields(doc)
	}
	a, b := merged(sharded), merged(whole)
	ja, _ := json.MarshalIndent(a, "", "  ")
	jb, _ := json.MarshalIndent(b, "", "  ")
	if !bytes.Equal(ja, jb) {
		t.Fatalf("the shards merge to\n%s\nan unsharded run to\n%s", ja, jb)
	}
	checkReusedKeys(t, o, ja)
}

// withoutRunFields drops what differs between two runs of the same audit
// (generated_at) and the folders the inputs were read from.
func withoutRunFields(v any) any {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "generated_at")
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "file" || k == "input" || k == "duplicate_of") && s != "" {
				v[k] = filepath.Base(s)
				continue
			}
			v[k] = withoutRunFields(x)
		}
	case []any:
		for i, x := range v {
			v[i] = withoutRunFields(x)
		}
	}
	return v
}

// checkReusedKeys: TokA (api, web) and TokB (web, billing) are one entry
// each, reused, naming both repositories by their entries.
func checkReusedKeys(t *testing.T, o orgRepos, merged []byte) {
	t.Helper()
	var doc struct {
		Inputs []struct {
			State string
		}
		Secrets []struct {
			Reused       bool
			Count        int `json:"repository_count"`
			Repositories []struct{ Repository string }
		}
	}
	if err := json.Unmarshal(merged, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Inputs) != len(o.good) {
		t.Errorf("%d inputs merged, want %d (one per good repository)", len(doc.Inputs), len(o.good))
	}
	var got []string
	for _, s := range doc.Secrets {
		var repos []string
		for _, r := range s.Repositories {
			repos = append(repos, r.Repository)
		}
		slices.Sort(repos)
		if !s.Reused || s.Count != 2 {
			t.Errorf("secret in %v: reused %v, %d repositories; want reused, 2", repos, s.Reused, s.Count)
		}
		got = append(got, strings.Join(repos, "+"))
	}
	pair := func(a, b string) string {
		p := []string{a, b}
		slices.Sort(p)
		return strings.Join(p, "+")
	}
	want := []string{pair(o.good[0], o.good[1]), pair(o.good[1], o.good[3])}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("merged secrets are in %v, want %v", got, want)
	}
}

// TestAuditReposQuiet: --log-level error drops the progress lines but
// still names the repositories that failed.
func TestAuditReposQuiet(t *testing.T) {
	o := newOrgRepos(t)
	r := runCLI(t, "", "audit", "--repos", o.list, "--config", o.config, "--report-format", "json", "--report-path", t.TempDir(), "--log-level", "error")
	if r.code != ExitError || strings.Contains(r.stderr, "[1/") || !strings.Contains(r.stderr, "failed: "+o.bad[0]+", "+o.bad[1]) {
		t.Errorf("want exit 2, no progress lines, both bad repositories named:\n%s", r)
	}
}
