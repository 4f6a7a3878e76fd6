package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/report"
)

// TestBuildVersion: the version comes from what Go stamps into the
// binary: a tag when there is one, else the commit and its time, and
// whether the checkout was modified.
func TestBuildVersion(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	const rev = "15f82df1a2b3c4d5e6f708192a3b4c5d6e7f8091"
	for _, c := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"Go's pseudo-version wins over ours", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.4-0.20261204185234-15f82df1a2b3+dirty"},
			Settings: vcs("vcs.revision", rev, "vcs.time", "2026-12-04T18:52:34Z", "vcs.modified", "true")}, "v1.2.4-0.20261204185234-15f82df1a2b3+dirty"},
		{"devel with revision and time", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-04T18:52:34Z", "vcs.modified", "false")}, "v0.0.0-20261204185234-15f82df1a2b3"},
		{"dirty", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", rev, "vcs.time", "2026-12-04T19:52:34+01:00", "vcs.modified", "true")}, "v0.0.0-20261204185234-15f82df1a2b3+dirty"},
		{"revision without time", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", "0123")}, "v0.0.0-rev-0123"},
		{"no VCS information", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("-buildmode", "exe")}, develVersion},
		{"empty main version", &debug.BuildInfo{}, develVersion},
		{"no build information", nil, develVersion},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := buildVersion(c.info); got != c.want {
				t.Errorf("buildVersion = %q, want %q", got, c.want)
			}
		})
	}
}

// TestVersionOverride: a version given with -ldflags -X wins.
func TestVersionOverride(t *testing.T) {
	saved := Version
	defer func() { Version = saved }()
	Version = "v9.8.7"
	if r := runCLI(t, "", "version"); r.stdout != "leakhound v9.8.7\n" {
		t.Errorf("version printed %q", r.stdout)
	}
	if opt := withTool(report.Options{}, "json", Env{Getenv: func(string) string { return "" }}, nil); opt.ToolVersion != "v9.8.7" {
		t.Errorf("reports get %q", opt.ToolVersion)
	}
}

// TestBuiltBinaryVersion builds leakhound as the README says, from this
// checkout, and checks that `leakhound version`, its SARIF and its audit
// JSON all name the same version, and that it names the checked-out
// commit (or its tag), "+dirty" when the checkout has changes: not "dev".
func TestBuiltBinaryVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds leakhound")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) (string, error) {
		out, err := gitCmd(root, args...).Output()
		return strings.TrimSpace(string(out)), err
	}
	head, err := git("rev-parse", "HEAD")
	if err != nil {
		t.Skipf("not a git checkout (%v): go build stamps no commit", err)
	}
	dirtyBefore, _ := git("status", "--porcelain")
	bin := filepath.Join(t.TempDir(), "leakhound")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/leakhound")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dirtyAfter, _ := git("status", "--porcelain")

	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	version, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "leakhound ")
	if !ok || !strings.HasPrefix(version, "v") || version == develVersion {
		t.Fatalf("leakhound version printed %q", out)
	}
	tags, _ := git("tag", "--points-at", "HEAD")
	if names := strings.Contains(version, head[:12]) || tags != "" && strings.Contains(tags, strings.TrimSuffix(version, "+dirty")); !names {
		t.Errorf("version %q names neither HEAD %s nor its tags %q", version, head[:12], tags)
	}
	switch dirty := strings.HasSuffix(version, "+dirty"); {
	case dirtyBefore != "" && dirtyAfter != "" && !dirty:
		t.Errorf("version %q of a modified checkout lacks +dirty", version)
	case dirtyBefore == "" && dirtyAfter == "" && dirty:
		t.Errorf("version %q of a clean checkout says +dirty", version)
	}

	// The same version in SARIF and in the audit's JSON.
	sarif := exec.Command(bin, "stdin", "--report-format", "sarif")
	sarif.Stdin = strings.NewReader("nothing here\n")
	doc, err := sarif.Output()
	if err != nil {
		t.Fatalf("leakhound stdin: %v", err)
	}
	var s struct {
		Runs []struct {
			Tool struct {
				Driver struct{ FullName, Version string }
			}
		}
	}
	if err := json.Unmarshal(doc, &s); err != nil || len(s.Runs) != 1 {
		t.Fatalf("SARIF %v:\n%s", err, doc)
	}
	if d := s.Runs[0].Tool.Driver; d.FullName != "leakhound "+version || d.Version != strings.TrimPrefix(version, "v") {
		t.Errorf("SARIF driver %+v, version %q", d, version)
	}
	repo, commit := gitRepo(t)
	commit("README.md", "nothing here\n", "initial", "2024-01-01T10:00:00Z")
	audit := exec.Command(bin, "audit", repo, "--report-format", "json")
	audit.Env = append(os.Environ(), "NO_COLOR=1")
	doc, err = audit.Output()
	if err != nil {
		t.Fatalf("leakhound audit: %v", err)
	}
	var a struct {
		Version string `json:"leakhound_version"`
	}
	if err := json.Unmarshal(doc, &a); err != nil || a.Version != version {
		t.Errorf("audit JSON leakhound_version %q (%v), want %q", a.Version, err, version)
	}
}
