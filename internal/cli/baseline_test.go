package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// TestBaselineAdoption walks what a team does on an old repository: write
// a baseline, then scan with it: old secrets stay quiet even when their
// lines move, a new secret fails the build.
func TestBaselineAdoption(t *testing.T) {
	fx := newFixture(t)
	out := filepath.Join(t.TempDir(), "baseline.json")
	r := runCLI(t, "", "baseline", "create", "--output", out, "dir", fx.dirty, "--config", fx.config)
	if r.code != ExitClean || !strings.Contains(r.stderr, "baseline of 1 finding(s)") {
		t.Fatalf("create:\n%s", r)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), testkit.TokA) || !strings.Contains(string(data), `"fingerprint"`) {
		t.Errorf("baseline holds the secret or no fingerprint:\n%s", data)
	}
	if info, _ := os.Stat(out); info.Mode().Perm() != 0o600 {
		t.Errorf("baseline mode %v", info.Mode().Perm())
	}

	scan := func() result {
		return runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--baseline-path", out, "--report-format", "json")
	}
	if r := scan(); r.code != ExitClean || len(jsonFindings(t, r.stdout)) != 0 {
		t.Errorf("old secret not suppressed:\n%s", r)
	}
	// The old secret's line moves down.
	testkit.WriteTree(t, fx.dirty, map[string]string{"sub/dir/app.env": "# settings\n# more\n\nAPI_KEY = " + testkit.TokA + "\n"})
	if r := scan(); r.code != ExitClean {
		t.Errorf("moved line reported again:\n%s", r)
	}
	// A new secret, and the old one copied to a new path: both are new.
	testkit.WriteTree(t, fx.dirty, map[string]string{"new.env": "K = " + testkit.TokB + "\n", "copy.env": "K = " + testkit.TokA + "\n"})
	r = scan()
	fs := jsonFindings(t, r.stdout)
	if r.code != ExitFindings || len(fs) != 2 {
		t.Errorf("new findings:\n%s", r)
	}

	// A redacted JSON report works as a baseline too: fingerprints carry
	// the secret's hash.
	rep := filepath.Join(t.TempDir(), "old.json")
	r = runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", "json", "--redact", "--report-path", rep)
	if r.code != ExitFindings {
		t.Fatalf("report:\n%s", r)
	}
	if r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--baseline-path", rep); r.code != ExitClean {
		t.Errorf("redacted report as baseline:\n%s", r)
	}
}

func TestBaselineErrors(t *testing.T) {
	fx := newFixture(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("not json at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.json")} {
		r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--baseline-path", path)
		if r.code != ExitError || !strings.Contains(r.stderr, filepath.Base(path)) {
			t.Errorf("%s:\n%s\nwant exit 2 naming the file", path, r)
		}
	}
	if r := runCLI(t, "", "baseline", "create", "dir", fx.dirty, "--config", filepath.Join(dir, "no-such.toml")); r.code != ExitError {
		t.Errorf("failed scan:\n%s", r)
	}
	if r := runCLI(t, "", "baseline", "create", "nonsense"); r.code != ExitError {
		t.Errorf("bad scan kind:\n%s", r)
	}
}
