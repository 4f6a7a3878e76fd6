package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// runAction runs the GitHub Action's scan script as action.yml does, in
// repository r, with the event variables vars; it returns the step
// summary and the step's outputs.
func runAction(t *testing.T, r *hookRepo, vars map[string]string) (summary string, outputs map[string]string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("..", "..", "action", "scan.sh"))
	cmd.Dir = r.dir
	cmd.Env = append(append([]string{}, r.env...), "LEAKHOUND="+self, "OUT_DIR="+tmp,
		"GITHUB_OUTPUT="+filepath.Join(tmp, "output"), "GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary"))
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	abs, _ := filepath.Abs(filepath.Join("..", "..", "action", "scan.sh"))
	cmd.Args[1] = abs
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scan.sh: %v\n%s", err, out)
	}
	sarif, err := os.ReadFile(filepath.Join(tmp, "leakhound.sarif"))
	if err != nil {
		t.Fatalf("no SARIF report: %v", err)
	}
	validateSARIF(t, sarif)
	sum, _ := os.ReadFile(filepath.Join(tmp, "summary"))
	raw, _ := os.ReadFile(filepath.Join(tmp, "output"))
	outputs = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		outputs[k] = v
	}
	for _, s := range []string{testkit.TokA, testkit.TokB} {
		if strings.Contains(string(sum), s) || strings.Contains(string(out), s) {
			t.Errorf("a secret reached the job summary or log:\n%s\n%s", sum, out)
		}
	}
	return string(sum), outputs
}

// TestActionScanRanges drives the action's script for each event shape:
// a push scans only the pushed commits, a new branch its history, a pull
// request its range, and full-history everything.
func TestActionScanRanges(t *testing.T) {
	r := newHookRepo(t)
	r.write("old.env", "K = "+testkit.TokA+"\n")
	base := r.commit("old secret")
	r.write("new.env", "K = "+testkit.TokB+"\n")
	head := r.commit("new secret")
	r.write("clean.txt", "nothing\n")
	clean := r.commit("clean")
	zero := strings.Repeat("0", 40)

	for _, tt := range []struct {
		name      string
		vars      map[string]string
		code      string
		wantFiles []string
	}{
		{"push", map[string]string{"EVENT_NAME": "push", "EVENT_BEFORE": base, "EVENT_AFTER": head}, "1", []string{"new.env"}},
		{"clean push", map[string]string{"EVENT_NAME": "push", "EVENT_BEFORE": head, "EVENT_AFTER": clean}, "0", nil},
		{"new branch", map[string]string{"EVENT_NAME": "push", "EVENT_BEFORE": zero, "EVENT_AFTER": head}, "1", []string{"new.env", "old.env"}},
		{"pull request", map[string]string{"EVENT_NAME": "pull_request", "PR_BASE": base, "PR_HEAD": clean}, "1", []string{"new.env"}},
		{"full history", map[string]string{"EVENT_NAME": "push", "EVENT_BEFORE": head, "EVENT_AFTER": clean, "FULL_HISTORY": "true"}, "1", []string{"new.env", "old.env"}},
		{"injection attempt", map[string]string{"EVENT_NAME": "push", "EVENT_BEFORE": "$(touch pwned)", "EVENT_AFTER": "x; touch pwned"}, "1", []string{"new.env", "old.env"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			summary, out := runAction(t, r, tt.vars)
			if out["exit-code"] != tt.code || !strings.HasSuffix(out["sarif"], "leakhound.sarif") {
				t.Errorf("outputs %v, want exit-code %s\n%s", out, tt.code, summary)
			}
			for _, f := range []string{"new.env", "old.env"} {
				want := false
				for _, w := range tt.wantFiles {
					want = want || w == f
				}
				if got := strings.Contains(summary, "| "+f+" |"); got != want {
					t.Errorf("%s in the summary: %v, want %v\n%s", f, got, want, summary)
				}
			}
			if _, err := os.Stat(filepath.Join(r.dir, "pwned")); err == nil {
				t.Fatal("event data ran as shell code")
			}
		})
	}
}

// TestActionYAML guards action.yml: event data reaches the script only
// through env (never ${{ github.event... }} inside a run: block), and the
// steps the README promises are there.
func TestActionYAML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	inRun := false
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "run:"):
			inRun = true
			if strings.Contains(trimmed, "${{") {
				t.Errorf("expression in a run: line: %s", line)
			}
		case strings.HasPrefix(trimmed, "- ") || (trimmed != "" && !strings.HasPrefix(line, "        ") && inRun):
			inRun = false
		}
		if inRun && strings.Contains(line, "${{") {
			t.Errorf("expression inside a run: block: %s", line)
		}
	}
	for _, want := range []string{"using: composite", "github/codeql-action/upload-sarif@", "action/scan.sh", "actions/setup-go@"} {
		if !strings.Contains(text, want) {
			t.Errorf("action.yml lacks %q", want)
		}
	}
}

// TestActionBuildVersion builds leakhound as the action does: a release
// tag in github.action_ref names the build (the action's copy has no
// .git for Go to stamp), and any other ref never becomes the version.
func TestActionBuildVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds leakhound")
	}
	for _, tt := range []struct{ ref, want string }{
		{"v1.4.2", "leakhound v1.4.2"},
		{"v2", "leakhound v2"},
		{"main", ""},
		{"v1; echo injected", ""},
	} {
		t.Run(tt.ref, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "leakhound")
			build := exec.Command("bash", filepath.Join("..", "..", "action", "build.sh"), bin)
			build.Env = append(os.Environ(), "ACTION_REF="+tt.ref)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("action/build.sh: %v\n%s", err, out)
			}
			out, err := exec.Command(bin, "version").Output()
			if err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSpace(string(out))
			if tt.want != "" && got != tt.want {
				t.Errorf("ACTION_REF=%q: %q, want %q", tt.ref, got, tt.want)
			}
			if tt.want == "" && strings.Contains(got, tt.ref) {
				t.Errorf("ACTION_REF=%q became the version: %q", tt.ref, got)
			}
		})
	}
}
