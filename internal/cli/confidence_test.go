package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// TestMinConfidence: every finding carries a confidence; a GitHub token
// whose checksum holds is high, one whose checksum fails (hand-made) is
// low, and --min-confidence keeps only what is at least as sure.
func TestMinConfidence(t *testing.T) {
	valid := testkit.GitHubToken("ghp_", "Xv3kP9mQ2rT7wZ4bN8cF1hJ6dL0sG5")
	forged := testkit.GitHubToken("ghp_", "Xv3kP9mQ2rT7wZ4bN8cF1hJ6dL0sG6")[:34] + valid[34:]
	dir := t.TempDir()
	content := "GITHUB_TOKEN=" + valid + "\nFIXTURE_TOKEN=" + forged + "\n"
	if err := os.WriteFile(filepath.Join(dir, "ci.env"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	scan := func(args ...string) map[string]string {
		t.Helper()
		r := runCLI(t, "", append([]string{"dir", dir, "--report-format", "json", "--exit-code", "0"}, args...)...)
		if r.code != 0 {
			t.Fatalf("scan:\n%s", r)
		}
		var fs []struct{ Secret, Confidence string }
		if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
			t.Fatalf("report: %v\n%s", err, r.stdout)
		}
		got := map[string]string{}
		for _, f := range fs {
			got[f.Secret] = f.Confidence
		}
		return got
	}
	got := scan()
	if got[valid] != "high" || got[forged] != "low" || len(got) != 2 {
		t.Errorf("default scan confidences = %v, want the valid token high and the forged one low", got)
	}
	got = scan("--min-confidence", "high")
	if len(got) != 1 || got[valid] != "high" {
		t.Errorf("--min-confidence high kept %v, want only the checksum-valid token", got)
	}
	if r := runCLI(t, "", "dir", dir, "--min-confidence", "certain"); r.code != ExitError {
		t.Errorf("--min-confidence certain: exit %d, want %d\n%s", r.code, ExitError, r)
	}
}
