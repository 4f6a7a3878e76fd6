package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// sarifMultitoolPackage is where `npm install @microsoft/sarif-multitool-linux`
// puts the multitool under its prefix.
const sarifMultitoolPackage = "node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"

// sarifMultitool returns the path of Microsoft's SARIF Multitool:
// $LEAKHOUND_SARIF_MULTITOOL, else Sarif.Multitool on PATH, else where
// .ci/run installs it. CI installs it and sets
// LEAKHOUND_REQUIRE_SARIF_MULTITOOL, so there a missing multitool fails
// the test instead of skipping it.
func sarifMultitool(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv("LEAKHOUND_SARIF_MULTITOOL"); p != "" {
		candidates = append(candidates, p)
	}
	if p, err := exec.LookPath("Sarif.Multitool"); err == nil {
		candidates = append(candidates, p)
	}
	if cache, err := os.UserCacheDir(); err == nil {
		candidates = append(candidates, filepath.Join(cache, "leakhound-ci", "sarif-multitool", sarifMultitoolPackage))
	}
	for _, p := range candidates {
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv("LEAKHOUND_REQUIRE_SARIF_MULTITOOL") != "" {
		t.Fatalf("no SARIF Multitool (looked at %v) and LEAKHOUND_REQUIRE_SARIF_MULTITOOL is set (.ci/run installs it)", candidates)
	}
	t.Skip("no SARIF Multitool (set LEAKHOUND_SARIF_MULTITOOL, or see .ci/run)")
	return ""
}

// multitoolLog is what `Sarif.Multitool validate -o` writes: a SARIF log
// whose results are the problems found in the files validated.
type multitoolLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID             string
					MessageStrings map[string]struct{ Text string }
				}
			}
		}
		Invocations []struct {
			ExecutionSuccessful            bool
			ToolExecutionNotifications     []json.RawMessage
			ToolConfigurationNotifications []json.RawMessage
		}
		Results []struct {
			RuleID  string
			Level   string
			Message struct {
				ID, Text  string
				Arguments []string
			}
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
					Region           struct{ StartLine int }
				}
			}
		}
	}
}

var placeholder = regexp.MustCompile(`\{(\d+)\}`)

// validateMultitool runs the multitool's rules of some kinds (Sarif, Gh,
// Ado; "Sarif;Gh" for two) over files and returns each error and warning as "file:line:
// rule: message", sorted.
func validateMultitool(t *testing.T, tool, kind string, files []string) []string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "validate.sarif")
	args := append([]string{"validate", "--rule-kind", kind, "--level", "Error;Warning", "-o", out}, files...)
	cmd := exec.Command(tool, args...)
	// A .NET program needs libicu unless told to do without; the rules
	// use no culture-specific text.
	cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("Sarif.Multitool %v: %v\n%s", args, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("Sarif.Multitool wrote no log: %v", err)
	}
	var log multitoolLog
	if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("Sarif.Multitool's log (%v):\n%s", err, data)
	}
	run := log.Runs[0]
	for _, inv := range run.Invocations {
		if !inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications)+len(inv.ToolConfigurationNotifications) > 0 {
			t.Fatalf("Sarif.Multitool did not run cleanly: %+v", inv)
		}
	}
	texts := map[string]map[string]struct{ Text string }{}
	for _, r := range run.Tool.Driver.Rules {
		texts[r.ID] = r.MessageStrings
	}
	var problems []string
	for _, r := range run.Results {
		level := r.Level
		switch level {
		case "note", "none":
			continue
		case "":
			level = "warning" // SARIF's default (§3.27.10)
		}
		text := r.Message.Text
		if text == "" {
			text = placeholder.ReplaceAllStringFunc(texts[r.RuleID][r.Message.ID].Text, func(p string) string {
				var i int
				fmt.Sscanf(p, "{%d}", &i)
				if i < len(r.Message.Arguments) {
					return r.Message.Arguments[i]
				}
				return p
			})
		}
		where := "?"
		if len(r.Locations) > 0 {
			loc := r.Locations[0].PhysicalLocation
			where = fmt.Sprintf("%s:%d", filepath.Base(loc.ArtifactLocation.URI), loc.Region.StartLine)
		}
		problems = append(problems, fmt.Sprintf("%s: %s %s: %s", where, level, r.RuleID, text))
	}
	sort.Strings(problems)
	return problems
}

// TestSARIFMultitool runs Microsoft's SARIF Multitool, as issue 16 did, on
// the SARIF of several scans: every built-in rule's examples, nothing
// found, a git history (with its origin), stdin, `check` and `mask`. Under
// its rules for SARIF itself (Sarif) and for GitHub (Gh) every file has
// no error and no warning; so under those for GitHub Advanced Security for
// Azure DevOps (Ado) has every file written in an Azure pipeline, and one
// written elsewhere lacks only the pipeline's identity (GHAzDO1014).
func TestSARIFMultitool(t *testing.T) {
	tool := sarifMultitool(t)
	dir := t.TempDir()
	var files, want []string
	vars := adoPipeline()
	for _, s := range sarifScans(t) {
		for _, where := range []struct {
			prefix string
			getenv func(string) string
		}{{"", func(string) string { return "" }}, {"azure-", func(k string) string { return vars[k] }}} {
			name := where.prefix + s.name + ".sarif"
			args := append(append([]string(nil), s.args...), "--report-format", "sarif", "--report-path", filepath.Join(dir, name))
			r := runEnv(t, Env{Stdin: strings.NewReader(s.stdin), Getenv: where.getenv}, args...)
			if r.code != s.code {
				t.Fatalf("leakhound %q: %s\nwant exit %d", args, r, s.code)
			}
			files = append(files, filepath.Join(dir, name))
			if where.prefix == "" {
				want = append(want, name+":5: error GHAzDO1014: runs[0]: This 'run' object does not provide an 'automationDetails' property. This property is required by the GHAzDO (GitHub Advanced Security for Azure DevOps) service.")
			}
		}
	}
	sort.Strings(want)
	// One run of the multitool per expectation: each parses every file.
	for _, c := range []struct {
		kinds string
		want  []string
	}{{"Sarif;Gh", nil}, {"Ado", want}} {
		got := validateMultitool(t, tool, c.kinds, files)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("Sarif.Multitool validate --rule-kind %s on %d files:\n%s\nwant:\n%s", c.kinds, len(files), strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// sarifScan is one leakhound command whose SARIF the multitool checks.
type sarifScan struct {
	name  string
	args  []string
	stdin string
	code  int
}

// sarifScans sets up the scans TestSARIFMultitool validates.
func sarifScans(t *testing.T) []sarifScan {
	set, err := loader().Default()
	if err != nil {
		t.Fatal(err)
	}
	// Every built-in rule's examples, so every rule's descriptor is
	// written (names and all).
	examples := t.TempDir()
	tree := map[string]string{}
	var firstTwo []string
	for _, r := range set.Rules {
		for i, e := range r.Examples {
			name := "example.txt"
			if r.ExamplePath != "" {
				name = r.ExamplePath
			}
			tree[filepath.Join(r.ID, fmt.Sprint(i), name)] = e + "\n"
			if len(firstTwo) < 2 && i == 0 && r.ExamplePath == "" {
				firstTwo = append(firstTwo, e)
			}
		}
	}
	testkit.WriteTree(t, examples, tree)
	clean := t.TempDir()
	testkit.WriteTree(t, clean, map[string]string{"README.md": "nothing here\n"})

	// A history: a secret added, kept, removed; another added later.
	repo, commit := gitRepo(t)
	commit("app/config.env", "NAME=shop\n", "initial", "2024-01-01T10:00:00Z")
	commit("app/config.env", "NAME=shop\n"+firstTwo[0]+"\n", "add a key", "2024-01-02T10:00:00Z")
	commit("app/config.env", "NAME=shop\n", "remove the key", "2024-01-03T10:00:00Z")
	commit("deploy/values.yaml", firstTwo[1]+"\n", "deploy values", "2024-01-04T10:00:00Z")
	gitIn(t, repo, "remote", "add", "origin", "https://github.com/example/shop.git")

	enc := "ENC[AES256_GCM,data:cXdlcnR5,iv:aXY=,tag:dGFn,type:str]"
	sops := t.TempDir()
	testkit.WriteTree(t, sops, map[string]string{
		".leakhound.toml":         "[extend]\nuse_default = true\n\n[check]\nsecrets_dirs = [\"secrets/\"]\n",
		"secrets/production.yaml": "db:\n  password: " + enc + "\napi_token: leaked-in-plaintext-1\nsops:\n  version: 3.9.0\n",
	})
	return []sarifScan{
		{name: "dir-examples", args: []string{"dir", examples}, code: ExitFindings},
		{name: "dir-clean", args: []string{"dir", clean}, code: ExitClean},
		{name: "git-history", args: []string{"git", repo}, code: ExitFindings},
		{name: "stdin", args: []string{"stdin"}, stdin: "log line\n" + firstTwo[0] + "\n", code: ExitFindings},
		{name: "check", args: []string{"check", sops}, code: ExitFindings},
		{name: "mask", args: []string{"mask"}, stdin: firstTwo[1] + "\n", code: ExitClean},
	}
}
