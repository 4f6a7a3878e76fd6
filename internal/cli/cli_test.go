package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
)

// tokRule is the rule most tests scan with, so that they do not depend on
// the built-in rule set. Its id, unlike testkit's "tok" that starts every
// secret, shows in a report only where the rule id does.
var tokRule = tokRuleNamed("test-token")

// tokRuleNamed returns testkit's rule under another id, with a severity
// and tags for reports to show.
func tokRuleNamed(id string) string {
	return strings.Replace(testkit.TokRule, `id = "tok"`, `id = "`+id+`"`, 1) +
		"severity = \"high\"\ntags = [\"test\", \"token\"]\n"
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs leakhound with args and stdin. No test may see a secret on
// stderr (logs and errors), whatever it asks for.
func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runEnv(t, Env{Stdin: strings.NewReader(stdin)}, args...)
}

func runEnv(t *testing.T, env Env, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env.Stdout, env.Stderr = &stdout, &stderr
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	code := Run(context.Background(), args, env)
	r := result{code, stdout.String(), stderr.String()}
	for _, s := range []string{testkit.TokA, testkit.TokB} {
		if strings.Contains(r.stderr, s) {
			t.Errorf("leakhound %q printed a secret on stderr:\n%s", args, r.stderr)
		}
	}
	return r
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout:\n" + r.stdout + "--- stderr:\n" + r.stderr
}

// writeConfig writes a config outside any scanned tree and returns its path.
func writeConfig(t *testing.T, toml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(p, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fixture is a scanned tree with one secret, a clean tree, and a config.
type fixture struct {
	dirty, clean, config string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	fx := fixture{dirty: t.TempDir(), clean: t.TempDir(), config: writeConfig(t, tokRule)}
	testkit.WriteTree(t, fx.dirty, map[string]string{
		"README.md":       "nothing here\n",
		"sub/dir/app.env": "# settings\nAPI_KEY = " + testkit.TokA + "\n",
	})
	testkit.WriteTree(t, fx.clean, map[string]string{"README.md": "nothing here\n", "x/y.txt": "tok_short\n"})
	return fx
}

// jsonFindings decodes a JSON report into generic maps.
func jsonFindings(t *testing.T, out string) []map[string]any {
	t.Helper()
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("report is not a JSON array: %v\n%s", err, out)
	}
	return fs
}

func TestExitCodes(t *testing.T) {
	fx := newFixture(t)
	broken := writeConfig(t, "[[rules]]\nid = \"x\"\nregex = '''unclosed\n")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"clean tree", []string{"dir", fx.clean, "--config", fx.config}, ExitClean},
		{"findings", []string{"dir", fx.dirty, "--config", fx.config}, ExitFindings},
		{"custom exit code", []string{"dir", fx.dirty, "--config", fx.config, "--exit-code", "7"}, 7},
		{"custom exit code, clean", []string{"dir", fx.clean, "--config", fx.config, "--exit-code", "7"}, ExitClean},
		{"two roots", []string{"dir", fx.clean, fx.dirty, "--config", fx.config}, ExitFindings},
		{"stdin clean", []string{"stdin", "--config", fx.config}, ExitClean},
		{"no command", nil, ExitError},
		{"unknown command", []string{"frobnicate"}, ExitError},
		{"unknown flag", []string{"dir", fx.clean, "--frobnicate"}, ExitError},
		{"unknown flag on stdin", []string{"stdin", "-x"}, ExitError},
		{"flag without value", []string{"dir", fx.clean, "--config"}, ExitError},
		{"bad report format", []string{"dir", fx.clean, "--config", fx.config, "--report-format", "xml"}, ExitError},
		{"bad log level", []string{"dir", fx.clean, "--config", fx.config, "--log-level", "loud"}, ExitError},
		{"bad redact", []string{"dir", fx.clean, "--config", fx.config, "--redact=150"}, ExitError},
		{"bad exit code", []string{"dir", fx.clean, "--exit-code", "many"}, ExitError},
		{"broken config", []string{"dir", fx.clean, "--config", broken}, ExitError},
		{"missing config", []string{"dir", fx.clean, "--config", filepath.Join(fx.clean, "nope.toml")}, ExitError},
		{"missing path", []string{"dir", filepath.Join(fx.clean, "nope"), "--config", fx.config}, ExitError},
		{"missing ignore file", []string{"dir", fx.clean, "--config", fx.config, "--ignore-path", filepath.Join(fx.clean, "nope")}, ExitError},
		{"stdin with an argument", []string{"stdin", "extra-arg", "--config", fx.config}, ExitError},
		{"rules without subcommand", []string{"rules"}, ExitError},
		{"rules unknown subcommand", []string{"rules", "frobnicate"}, ExitError},
		{"rules list with an argument", []string{"rules", "list", "extra", "--config", fx.config}, ExitError},
		{"rules check, broken config", []string{"rules", "check", "--config", broken}, ExitError},
		{"version with an argument", []string{"version", "extra"}, ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.want {
				t.Fatalf("leakhound %q: %s\nwant exit %d", tt.args, r, tt.want)
			}
			if tt.want == ExitError && strings.TrimSpace(r.stderr) == "" {
				t.Errorf("exit 2 without a word on stderr")
			}
		})
	}
}

// TestUsageErrorsGoToStderr checks that a usage error prints the problem
// and the usage on stderr, and nothing on stdout (which may be a report).
func TestUsageErrorsGoToStderr(t *testing.T) {
	for _, args := range [][]string{{"dir", "--frobnicate"}, {"stdin", "--report-format"}, {"rules", "list", "--nope"}, {"frobnicate"}} {
		r := runCLI(t, "", args...)
		if r.code != ExitError || r.stdout != "" || !strings.Contains(r.stderr, "Usage") {
			t.Errorf("leakhound %q: %s\nwant exit 2, usage on stderr, nothing on stdout", args, r)
		}
	}
}

func TestHelp(t *testing.T) {
	scanFlags := []string{"-config", "-report-format", "-report-path", "-redact", "-exit-code", "-max-target-megabytes", "-log-level", "-ignore-path"}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"dir", "--help"}, append([]string{"Usage: leakhound dir"}, scanFlags...)},
		{[]string{"dir", "-h"}, append([]string{"Usage: leakhound dir"}, scanFlags...)},
		{[]string{"dir", ".", "--report-format", "json", "--help"}, []string{"Usage: leakhound dir"}},
		{[]string{"stdin", "--help"}, append([]string{"Usage: leakhound stdin"}, scanFlags...)},
		{[]string{"rules", "--help"}, []string{"rules list", "rules check"}},
		{[]string{"rules", "-h"}, []string{"rules list", "rules check"}},
		{[]string{"rules", "help"}, []string{"rules list", "rules check"}},
		{[]string{"rules", "list", "--help"}, []string{"rules list", "-config"}},
		{[]string{"rules", "check", "--help"}, []string{"rules check", "-config"}},
		{[]string{"version", "--help"}, []string{"Usage: leakhound version"}},
		{[]string{"help"}, []string{"leakhound dir", "leakhound stdin", "leakhound rules", "leakhound version", "Exit codes"}},
		{[]string{"--help"}, []string{"leakhound dir", "leakhound stdin", "Exit codes"}},
		{[]string{"-h"}, []string{"leakhound dir", "leakhound stdin", "Exit codes"}},
		{[]string{"help", "dir"}, append([]string{"Usage: leakhound dir"}, scanFlags...)},
		{[]string{"help", "stdin"}, []string{"Usage: leakhound stdin", "-report-format"}},
		{[]string{"help", "rules"}, []string{"rules list", "rules check"}},
		{[]string{"help", "version"}, []string{"Usage: leakhound version"}},
		{[]string{"help", "help"}, []string{"leakhound dir", "Exit codes"}},
		{[]string{"--help", "--help"}, []string{"leakhound dir", "Exit codes"}},
		{[]string{"-h", "help"}, []string{"leakhound dir", "Exit codes"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != ExitClean || r.stderr != "" {
				t.Fatalf("%s\nwant exit 0 and nothing on stderr", r)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("usage does not mention %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-v"} {
		r := runCLI(t, "", arg)
		if r.code != ExitClean || r.stdout != "leakhound "+toolVersion()+"\n" {
			t.Errorf("leakhound %s: %s", arg, r)
		}
	}
}

// TestFlagsAnywhere checks that flags may come before, between and after
// the paths, and that "--" ends them.
func TestFlagsAnywhere(t *testing.T) {
	fx := newFixture(t)
	t.Chdir(filepath.Dir(fx.dirty))
	dirty, clean := filepath.Base(fx.dirty), filepath.Base(fx.clean)
	tests := []struct {
		args  []string
		files []string
	}{
		{[]string{"dir", dirty, "--report-format", "json", "--config", fx.config}, []string{"sub/dir/app.env"}},
		{[]string{"dir", "--report-format=json", dirty, "--config=" + fx.config}, []string{"sub/dir/app.env"}},
		{[]string{"dir", "--config", fx.config, clean, "--report-format", "json", dirty}, []string{dirty + "/sub/dir/app.env"}},
		{[]string{"dir", "--config", fx.config, "--report-format", "json", "--", dirty}, []string{"sub/dir/app.env"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != ExitFindings {
				t.Fatalf("%s\nwant exit 1", r)
			}
			var files []string
			for _, f := range jsonFindings(t, r.stdout) {
				files = append(files, f["file"].(string))
			}
			if !slices.Equal(files, tt.files) {
				t.Errorf("files %q, want %q", files, tt.files)
			}
		})
	}
}

// TestJSONReport pins the JSON report's fields, which scripts depend on.
func TestJSONReport(t *testing.T) {
	fx := newFixture(t)
	for _, format := range []string{"json", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", format)
			if r.code != ExitFindings {
				t.Fatalf("%s", r)
			}
			var fs []map[string]any
			if format == "json" {
				fs = jsonFindings(t, r.stdout)
			} else {
				for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
					var m map[string]any
					if err := json.Unmarshal([]byte(line), &m); err != nil {
						t.Fatalf("line %q: %v", line, err)
					}
					fs = append(fs, m)
				}
			}
			if len(fs) != 1 {
				t.Fatalf("%d findings, want 1:\n%s", len(fs), r.stdout)
			}
			f := fs[0]
			var keys []string
			for k := range f {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			want := []string{"confidence", "description", "end_column", "end_line", "entropy", "file", "fingerprint", "match", "rule_id", "secret", "severity", "start_column", "start_line", "tags"}
			if !slices.Equal(keys, want) {
				t.Errorf("keys %q\nwant %q", keys, want)
			}
			wantValues := map[string]any{
				"rule_id":      "test-token",
				"description":  "test token",
				"file":         "sub/dir/app.env",
				"start_line":   2.0,
				"end_line":     2.0,
				"start_column": 11.0,
				"end_column":   26.0,
				"secret":       testkit.TokA,
				"match":        testkit.TokA,
				"fingerprint":  "sub/dir/app.env:test-token:" + detect.SecretHash("test-token", testkit.TokA),
				"severity":     "high",
			}
			for k, v := range wantValues {
				if f[k] != v {
					t.Errorf("%s = %v, want %v", k, f[k], v)
				}
			}
			if tags, _ := f["tags"].([]any); len(tags) != 2 || tags[0] != "test" || tags[1] != "token" {
				t.Errorf("tags = %v", f["tags"])
			}
			if e, _ := f["entropy"].(float64); e <= 0 {
				t.Errorf("entropy = %v", f["entropy"])
			}
		})
	}
}

func TestRedact(t *testing.T) {
	fx := newFixture(t)
	tests := []struct {
		flag   string
		secret string
	}{
		{"--redact", "REDACTED"},
		{"--redact=100", "REDACTED"},
		{"--redact=50", testkit.TokA[:8] + "..."},
		{"--redact=0", testkit.TokA},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", "json", tt.flag)
			fs := jsonFindings(t, r.stdout)
			if r.code != ExitFindings || len(fs) != 1 {
				t.Fatalf("%s", r)
			}
			if fs[0]["secret"] != tt.secret {
				t.Errorf("secret = %q, want %q", fs[0]["secret"], tt.secret)
			}
			if tt.secret != testkit.TokA && strings.Contains(r.stdout, testkit.TokA) {
				t.Errorf("the report holds the whole secret:\n%s", r.stdout)
			}
		})
	}
}

// TestTextReport checks the default report: where each finding is, and
// never a whole secret, whatever --redact says.
func TestTextReport(t *testing.T) {
	fx := newFixture(t)
	for _, extra := range [][]string{nil, {"--redact=0"}, {"--redact=10"}, {"--no-color"}} {
		args := append([]string{"dir", fx.dirty, "--config", fx.config}, extra...)
		r := runCLI(t, "", args...)
		if r.code != ExitFindings {
			t.Fatalf("%s", r)
		}
		if strings.Contains(r.stdout, testkit.TokA) {
			t.Errorf("leakhound %q: the text report shows a whole secret:\n%s", extra, r.stdout)
		}
		for _, want := range []string{"test-token", "sub/dir/app.env:2:11", "sub/dir/app.env:test-token:"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("leakhound %q: the text report lacks %q:\n%s", extra, want, r.stdout)
			}
		}
		if !strings.Contains(r.stderr, "1 finding(s) in 2 files") {
			t.Errorf("summary missing from stderr: %s", r.stderr)
		}
	}
}

// TestColor checks that the text report is colored only on a terminal,
// and never with NO_COLOR or --no-color, or into a file.
func TestColor(t *testing.T) {
	fx := newFixture(t)
	terminal := func(io.Writer) bool { return true }
	noColor := func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}
	tests := []struct {
		name  string
		env   Env
		extra []string
		want  bool
	}{
		{"not a terminal", Env{}, nil, false},
		{"terminal", Env{IsTerminal: terminal}, nil, true},
		{"NO_COLOR", Env{IsTerminal: terminal, Getenv: noColor}, nil, false},
		{"--no-color", Env{IsTerminal: terminal}, []string{"--no-color"}, false},
		{"json", Env{IsTerminal: terminal}, []string{"--report-format", "json"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runEnv(t, tt.env, append([]string{"dir", fx.dirty, "--config", fx.config}, tt.extra...)...)
			if got := strings.Contains(r.stdout, "\x1b["); got != tt.want {
				t.Errorf("colored = %v, want %v:\n%s", got, tt.want, r.stdout)
			}
		})
	}
}

func TestStdin(t *testing.T) {
	cfg := writeConfig(t, tokRule)
	tests := []struct {
		name      string
		input     string
		line, col float64
	}{
		{"LF", "line one\nline two\nkey " + testkit.TokA + "\n", 3, 5},
		{"CRLF", "line one\r\n\r\nkey: " + testkit.TokA + "\r\n", 3, 6},
		{"no newline", strings.Repeat("é", 10) + " " + testkit.TokA, 1, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.input, "stdin", "--config", cfg, "--report-format", "json")
			fs := jsonFindings(t, r.stdout)
			if r.code != ExitFindings || len(fs) != 1 {
				t.Fatalf("%s", r)
			}
			f := fs[0]
			if f["file"] != "stdin" || f["start_line"] != tt.line || f["start_column"] != tt.col || f["secret"] != testkit.TokA {
				t.Errorf("finding %v, want stdin:%v:%v", f, tt.line, tt.col)
			}
		})
	}
	t.Run("LEAKHOUND_CONFIG", func(t *testing.T) {
		env := Env{Stdin: strings.NewReader(testkit.TokB), Getenv: func(k string) string {
			if k == "LEAKHOUND_CONFIG" {
				return cfg
			}
			return ""
		}}
		r := runEnv(t, env, "stdin", "--report-format", "json")
		if fs := jsonFindings(t, r.stdout); r.code != ExitFindings || len(fs) != 1 || fs[0]["rule_id"] != "test-token" {
			t.Errorf("%s", r)
		}
	})
}

// TestReportPath checks --report-path: the file is written whole with
// owner-only permissions, nothing else is left next to it, and a device
// such as /dev/null is written to, never replaced.
func TestReportPath(t *testing.T) {
	fx := newFixture(t)
	t.Run("new file", func(t *testing.T) {
		out := t.TempDir()
		path := filepath.Join(out, "report.json")
		r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", "json", "--report-path", path)
		if r.code != ExitFindings || r.stdout != "" {
			t.Fatalf("%s\nwant exit 1 and nothing on stdout", r)
		}
		checkReportFile(t, path)
	})
	t.Run("existing file", func(t *testing.T) {
		out := t.TempDir()
		path := filepath.Join(out, "report.json")
		if err := os.WriteFile(path, []byte("old report, longer than the new one will be"+strings.Repeat(".", 4096)), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", "json", "--report-path", path)
		if r.code != ExitFindings {
			t.Fatalf("%s", r)
		}
		checkReportFile(t, path)
	})
	t.Run("dash is stdout", func(t *testing.T) {
		r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", "json", "--report-path", "-")
		if fs := jsonFindings(t, r.stdout); r.code != ExitFindings || len(fs) != 1 {
			t.Errorf("%s", r)
		}
	})
	t.Run("/dev/null", func(t *testing.T) {
		before, err := os.Stat(os.DevNull)
		if err != nil || before.Mode()&os.ModeCharDevice == 0 {
			t.Skipf("%s is not a character device here", os.DevNull)
		}
		r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-path", os.DevNull)
		if r.code != ExitFindings || r.stdout != "" {
			t.Fatalf("%s", r)
		}
		after, err := os.Stat(os.DevNull)
		if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
			t.Fatalf("%s was replaced: mode %v, was %v", os.DevNull, after.Mode(), before.Mode())
		}
	})
	t.Run("folder", func(t *testing.T) {
		r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-path", t.TempDir())
		if r.code != ExitError {
			t.Errorf("%s\nwant exit 2", r)
		}
	})
	t.Run("missing folder", func(t *testing.T) {
		out := t.TempDir()
		r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-path", filepath.Join(out, "nope", "r.json"))
		if r.code != ExitError {
			t.Errorf("%s\nwant exit 2", r)
		}
		checkOnly(t, out)
	})
}

// checkReportFile checks a written JSON report: mode 0600, one finding,
// and no temporary file left in its folder.
func checkReportFile(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("report mode %v, want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fs := jsonFindings(t, string(data)); len(fs) != 1 {
		t.Errorf("%d findings in the report, want 1", len(fs))
	}
	checkOnly(t, filepath.Dir(path), filepath.Base(path))
}

// checkOnly checks that dir holds exactly names.
func checkOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want %q (no temporary files left behind)", dir, got, names)
	}
}

// TestRootConfigAndIgnore checks that a .leakhound.toml in the scanned
// root is used (extending the built-in rules), and that fingerprints in a
// .leakhoundignore there drop findings.
func TestRootConfigAndIgnore(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		".leakhound.toml": "[extend]\nuse_default = true\n" + tokRuleNamed("root-token"),
		"a.txt":           "first line\nsecond " + testkit.TokA + "\n",
		"b.txt":           testkit.TokB + "\n",
	})
	ours := func(fs []map[string]any) []map[string]any {
		var out []map[string]any
		for _, f := range fs {
			if f["rule_id"] == "root-token" {
				out = append(out, f)
			}
		}
		return out
	}
	r := runCLI(t, "", "dir", root, "--report-format", "json")
	fs := ours(jsonFindings(t, r.stdout))
	if r.code != ExitFindings || len(fs) != 2 {
		t.Fatalf("%s\nwant two findings of the rule in .leakhound.toml", r)
	}
	if !strings.Contains(r.stderr, ".leakhound.toml") {
		t.Errorf("stderr does not say which config is used: %s", r.stderr)
	}

	// The root of a scanned file is its folder.
	r = runCLI(t, "", "dir", filepath.Join(root, "a.txt"), "--report-format", "json")
	if got := ours(jsonFindings(t, r.stdout)); len(got) != 1 {
		t.Errorf("scanning a file in the root: %s", r)
	}

	// Ignore a.txt's finding.
	ignore := "# reviewed: test data\n" + fs[0]["fingerprint"].(string) + "  # not a secret\n"
	testkit.WriteTree(t, root, map[string]string{".leakhoundignore": ignore})
	r = runCLI(t, "", "dir", root, "--report-format", "json", "--log-level", "debug")
	left := ours(jsonFindings(t, r.stdout))
	if r.code != ExitFindings || len(left) != 1 || left[0]["file"] != "b.txt" {
		t.Fatalf("%s\nwant only b.txt's finding left", r)
	}
	if !strings.Contains(r.stderr, "ignore") {
		t.Errorf("the debug log does not say a candidate was dropped: %s", r.stderr)
	}

	// An explicit --config and --ignore-path win over the root's files.
	other := filepath.Join(t.TempDir(), "other-ignore")
	if err := os.WriteFile(other, []byte(fs[1]["fingerprint"].(string)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, tokRuleNamed("root-token"))
	r = runCLI(t, "", "dir", root, "--report-format", "json", "--config", cfg, "--ignore-path", other)
	left = jsonFindings(t, r.stdout)
	if r.code != ExitFindings || len(left) != 1 || left[0]["file"] != "a.txt" {
		t.Fatalf("%s\nwant only a.txt's finding left", r)
	}
}

// TestUnreadableFile checks that a file that cannot be read makes the
// scan incomplete (exit 2) while the findings are still reported.
func TestUnreadableFile(t *testing.T) {
	fx := newFixture(t)
	locked := filepath.Join(fx.dirty, "locked.txt")
	if err := os.WriteFile(locked, []byte("x\n"), 0); err != nil {
		t.Fatal(err)
	}
	if fh, err := os.Open(locked); err == nil {
		fh.Close()
		t.Skip("this process can read files with mode 000 (running as root?)")
	}
	for _, level := range []string{"debug", "info", "warn", "error"} {
		r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", "json", "--log-level", level)
		if r.code != ExitError {
			t.Errorf("%s\nwant exit 2", r)
		}
		if fs := jsonFindings(t, r.stdout); len(fs) != 1 {
			t.Errorf("%d findings reported, want 1 despite the unreadable file", len(fs))
		}
		if n := strings.Count(r.stderr, "locked.txt"); n != 1 || strings.Contains(r.stderr, fx.dirty) {
			t.Errorf("--log-level %s: stderr must name locked.txt once, relative to the root:\n%s", level, r.stderr)
		}
		if !strings.Contains(r.stderr, "scan incomplete") {
			t.Errorf("--log-level %s: stderr does not say the scan is incomplete:\n%s", level, r.stderr)
		}
	}
}

// TestLogLevels checks what each --log-level prints on stderr for a scan
// with findings and a skipped binary file.
func TestLogLevels(t *testing.T) {
	fx := newFixture(t)
	testkit.WriteTree(t, fx.dirty, map[string]string{"image.bin": "GIF89a\x00\x01"})
	tests := []struct {
		level       string
		summary     bool
		skippedList bool
	}{
		{"debug", true, true},
		{"info", true, false},
		{"INFO", true, false},
		{"warn", false, false},
		{"warning", false, false},
		{"error", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--log-level", tt.level)
			if r.code != ExitFindings {
				t.Fatalf("%s", r)
			}
			if got := strings.Contains(r.stderr, "1 finding(s) in 2 files"); got != tt.summary {
				t.Errorf("summary shown: %v, want %v:\n%s", got, tt.summary, r.stderr)
			}
			if got := strings.Contains(r.stderr, "image.bin"); got != tt.skippedList {
				t.Errorf("skipped file listed: %v, want %v:\n%s", got, tt.skippedList, r.stderr)
			}
			if !tt.summary && r.stderr != "" {
				t.Errorf("stderr not quiet:\n%s", r.stderr)
			}
		})
	}
}

const fiveMistakes = `[[rules]]
id = "one"
description = "unknown key"
regex = '''tok_[a-z]+'''
keywords = ["tok_"]
colour = "red"

[[rules]]
id = "two"
regex = '''tok_([a-z]+'''
keywords = ["tok_"]

[[rules]]
id = "three"
regex = '''tok_[a-z]+'''
keywords = ["tok_"]
severity = "urgent"

[[rules]]
id = "four"
regex = '''tok_[a-z]+'''
keywords = ["tok_"]
entropy = "high"

[[rules]]
id = "one"
regex = '''tok_[0-9]+'''
keywords = ["tok_"]
`

func TestRulesCheck(t *testing.T) {
	t.Run("five mistakes", func(t *testing.T) {
		cfg := writeConfig(t, fiveMistakes)
		r := runCLI(t, "", "rules", "check", "--config", cfg)
		if r.code != ExitError {
			t.Fatalf("%s\nwant exit 2", r)
		}
		for _, want := range []string{
			cfg + `:6: rule "one": unknown key "colour"`,
			cfg + `:10: rule "two": regex does not compile`,
			cfg + `:17: rule "three": severity "urgent"`,
			cfg + `:23: rule "four": entropy must be a number`,
			cfg + `:25: rule "one": duplicate rule id`,
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		// The same config stops a scan too.
		if r := runCLI(t, "", "stdin", "--config", cfg); r.code != ExitError || !strings.Contains(r.stderr, "duplicate rule id") {
			t.Errorf("stdin with a broken config: %s", r)
		}
	})
	good := tokRule + "examples = ['key = \"" + testkit.TokA + "\"']\nnegatives = ['key = \"tok_short\"']\n"
	tests := []struct {
		name   string
		toml   string
		code   int
		stream string // stdout or stderr
		want   string
	}{
		{"good", good, ExitClean, "stdout", "1 rules OK (2 examples and negatives checked)"},
		{"example does not match", strings.Replace(good, testkit.TokA, "tok_"+"nope", 1), ExitError, "stderr", `rule "test-token": example 1 yields no finding of this rule`},
		{"negative matches", strings.Replace(good, "tok_short", testkit.TokB, 1), ExitError, "stderr", `rule "test-token": negative 1 yields 1 finding(s) of this rule`},
		{"no examples", tokRule, ExitError, "stderr", "rule has no examples"},
		{"bad regex", strings.Replace(good, `\b(tok_`, `(?=x)\b(tok_`, 1), ExitError, "stderr", "regex does not compile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, tt.toml)
			r := runCLI(t, "", "rules", "check", "--config", cfg)
			out := r.stdout
			if tt.stream == "stderr" {
				out = r.stderr
			}
			if r.code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("%s\nwant exit %d and %q on %s", r, tt.code, tt.want, tt.stream)
			}
		})
	}
}

func TestRulesList(t *testing.T) {
	cfg := writeConfig(t, tokRule+strings.ReplaceAll(tokRuleNamed("other-token"), "tok_", "oth_"))
	r := runCLI(t, "", "rules", "list", "--config", cfg)
	if r.code != ExitClean {
		t.Fatalf("%s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var ids []string
	for _, l := range lines[1 : len(lines)-1] {
		ids = append(ids, strings.Fields(l)[0])
	}
	if !slices.Equal(ids, []string{"test-token", "other-token"}) {
		t.Errorf("ids %q, want the config's in file order:\n%s", ids, r.stdout)
	}
	if !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[len(lines)-1], "2 rules from "+cfg) {
		t.Errorf("header or footer missing:\n%s", r.stdout)
	}
}

// TestReportFormatsCSVJUnit: the CSV and JUnit reports a CI job keeps are
// owner-only files that parse, one row or failing test case per finding;
// JUnit, shown in CI test views, never holds the whole secret.
func TestReportFormatsCSVJUnit(t *testing.T) {
	fx := newFixture(t)
	for _, format := range []string{"csv", "junit"} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "report."+format)
			r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", format, "--report-path", path)
			if r.code != ExitFindings {
				t.Fatalf("%s\nwant exit 1", r)
			}
			data := readOwnerOnly(t, path)
			switch format {
			case "csv":
				rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
				if err != nil || len(rows) != 2 || rows[1][7] != testkit.TokA {
					t.Errorf("rows %q, %v", rows, err)
				}
			case "junit":
				var doc struct {
					Cases []struct {
						Failure *struct{} `xml:"failure"`
					} `xml:"testsuite>testcase"`
				}
				if err := xml.Unmarshal(data, &doc); err != nil || len(doc.Cases) != 1 || doc.Cases[0].Failure == nil {
					t.Errorf("JUnit %+v, %v:\n%s", doc, err, data)
				}
				if bytes.Contains(data, []byte(testkit.TokA)) {
					t.Error("JUnit report holds the whole secret")
				}
			}
		})
	}
}

// TestNoRedact: the text report shows a secret whole only when asked, and
// asking for both contradicts.
func TestNoRedact(t *testing.T) {
	fx := newFixture(t)
	r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config)
	if r.code != ExitFindings || strings.Contains(r.stdout, testkit.TokA) {
		t.Errorf("default text report holds the secret or wrong exit:\n%s", r)
	}
	r = runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--no-redact")
	if r.code != ExitFindings || !strings.Contains(r.stdout, testkit.TokA) {
		t.Errorf("--no-redact: secret not shown:\n%s", r)
	}
	if strings.Contains(r.stderr, testkit.TokA) {
		t.Errorf("--no-redact: the secret reached stderr:\n%s", r.stderr)
	}
	for _, redact := range []string{"--redact", "--redact=0", "--redact=40"} {
		r = runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--no-redact", redact)
		if r.code != ExitError || !strings.Contains(r.stderr, "contradict") {
			t.Errorf("--no-redact %s:\n%s\nwant a usage error", redact, r)
		}
	}
}

// TestReportFormatSARIF: the file a workflow uploads to GitHub is
// owner-only, names leakhound's version and locates the finding, and its
// message does not hold the whole secret.
func TestReportFormatSARIF(t *testing.T) {
	fx := newFixture(t)
	path := filepath.Join(t.TempDir(), "leakhound.sarif")
	r := runCLI(t, "", "dir", fx.dirty, "--config", fx.config, "--report-format", "sarif", "--report-path", path)
	if r.code != ExitFindings {
		t.Fatalf("%s\nwant exit 1", r)
	}
	data := readOwnerOnly(t, path)
	validateSARIF(t, data)
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct{ FullName string }
			}
			Results []struct {
				RuleID  string
				Message struct{ Text string }
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 1 {
		t.Fatalf("SARIF %v:\n%s", err, data)
	}
	res := doc.Runs[0].Results[0]
	if doc.Runs[0].Tool.Driver.FullName != "leakhound "+toolVersion() || res.RuleID != "test-token" || strings.Contains(res.Message.Text, testkit.TokA) {
		t.Errorf("driver %+v, result %+v", doc.Runs[0].Tool.Driver, res)
	}
}

// readOwnerOnly returns a report file's content after checking that only
// its owner may read it.
func readOwnerOnly(t *testing.T, path string) []byte {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("report mode %v, want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
