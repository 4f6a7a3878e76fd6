package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/filter"
)

// overlapCase is a built-in rule example that two rules read the same
// bytes of: a and b are their candidates, before any filter.
type overlapCase struct {
	path    string // where the case is written, unique per case
	content string
	a, b    detect.Finding
	all     []detect.Finding // every candidate, a and b among them
}

// overlapCases finds every pair of built-in rules that match the same
// bytes in some rule's example (a specific rule and a generic one, two
// generic ones, two specific ones), with the first example where every
// candidate overlaps the pair's first rule, so that suppressing that
// secret must leave the file clean.
func overlapCases(t *testing.T) (cases []overlapCase, pairs int) {
	t.Helper()
	set, err := loader().Default()
	if err != nil {
		t.Fatal(err)
	}
	d := detect.New(set, nil)
	seen := map[string]bool{}
	covered := map[string]bool{}
	for _, r := range set.Rules {
		path := r.ExamplePath
		if path == "" {
			path = "example.txt"
		}
		for _, ex := range r.Examples {
			if !strings.HasSuffix(ex, "\n") {
				ex += "\n"
			}
			fs, _ := d.Detect(&detect.Fragment{Content: []byte(ex), StartLine: 1, Provenance: detect.Provenance{Path: path}})
			for i := range fs {
				for j := range fs {
					a, b := fs[i], fs[j]
					if i == j || a.RuleID >= b.RuleID || !spansOverlap(&a, &b) {
						continue
					}
					key := a.RuleID + " " + b.RuleID
					seen[key] = true
					if covered[key] || !allOverlap(fs, &a) {
						continue
					}
					covered[key] = true
					cases = append(cases, overlapCase{path: fmt.Sprintf("c%03d/%s", len(cases), path), content: ex, a: a, b: b, all: fs})
				}
			}
		}
	}
	return cases, len(seen)
}

func spansOverlap(a, b *detect.Finding) bool {
	return a.Start == b.Start || (a.Start < b.End && b.Start < a.End)
}

func allOverlap(fs []detect.Finding, x *detect.Finding) bool {
	for i := range fs {
		if !spansOverlap(&fs[i], x) {
			return false
		}
	}
	return true
}

// matrixTarget is one way of scanning the cases, as a user runs it.
type matrixTarget struct {
	name string
	// scan writes the cases (with content changed by edit, for allow
	// comments), scans them with the extra flags and returns the findings
	// of each case, by index.
	scan func(t *testing.T, cases []overlapCase, edit func(int, string) string, flags ...string) map[int][]map[string]any
	// place is where a case's findings are reported: path and commit, and
	// the line its first line has.
	place func(i int) (path, commit string, line int)
}

// TestSuppressionMatrix checks that a suppressed secret stays suppressed
// whichever rule would report it: every suppression mechanism (ignore
// files, baselines in every accepted form, allow comments, allowlists)
// naming either rule of every pair of built-in rules that match the same
// bytes, in dir, git, --staged and stdin. Before, a secret ignored under
// its specific rule came back under a generic one.
func TestSuppressionMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("scans every overlapping pair of built-in rules many times")
	}
	cases, pairs := overlapCases(t)
	if len(cases) < pairs*9/10 || len(cases) < 100 {
		t.Fatalf("%d cases for %d pairs of rules that overlap: the examples no longer cover the pairs", len(cases), pairs)
	}
	for _, target := range matrixTargets(t) {
		t.Run(target.name, func(t *testing.T) {
			t.Parallel()
			runMatrix(t, target, cases)
		})
	}
}

func runMatrix(t *testing.T, target matrixTarget, cases []overlapCase) {
	plain := func(_ int, s string) string { return s }
	before := target.scan(t, cases, plain)
	var live []int // cases reported at all without suppression
	for i := range cases {
		if len(before[i]) > 0 {
			live = append(live, i)
		}
	}
	if len(live) < len(cases)*8/10 {
		t.Fatalf("only %d of %d cases are reported without suppression", len(live), len(cases))
	}
	// The reported fingerprints are the candidates': the entries below
	// are what reports carry.
	for _, i := range live {
		path, commit, _ := target.place(i)
	next:
		for _, f := range before[i] {
			for _, x := range cases[i].all {
				if f["fingerprint"] == fingerprintAs(x, path, commit) {
					continue next
				}
			}
			t.Fatalf("case %s: reported fingerprint %v is no candidate's", cases[i].path, f["fingerprint"])
		}
	}
	side := map[string]func(c overlapCase) detect.Finding{
		"first rule":  func(c overlapCase) detect.Finding { return c.a },
		"second rule": func(c overlapCase) detect.Finding { return c.b },
	}
	for sideName, pick := range side {
		mechanisms := []struct {
			name  string
			edit  func(int, string) string
			flags func(t *testing.T) []string
		}{
			{".leakhoundignore", plain, func(t *testing.T) []string {
				return []string{"--ignore-path", writeLines(t, ".leakhoundignore", live, func(i int) string {
					path, commit, _ := target.place(i)
					return fingerprintAs(pick(cases[i]), path, commit)
				})}
			}},
			{".gitleaksignore", plain, func(t *testing.T) []string {
				return []string{"--gitleaks-ignore-path", writeLines(t, ".gitleaksignore", live, func(i int) string {
					path, commit, line := target.place(i)
					x := pick(cases[i])
					fp := fmt.Sprintf("%s:%s:%d", path, x.RuleID, line+x.StartLine-1)
					if commit != "" {
						fp = commit + ":" + fp
					}
					return fp
				})}
			}},
			{"baseline file", plain, func(t *testing.T) []string {
				file := filter.BaselineFile{Version: filter.BaselineVersion}
				for _, i := range live {
					path, commit, _ := target.place(i)
					x := pick(cases[i])
					file.Findings = append(file.Findings, filter.BaselineEntry{RuleID: x.RuleID, File: path, Fingerprint: fingerprintAs(x, path, commit)})
				}
				return []string{"--baseline-path", writeJSON(t, "baseline.json", file)}
			}},
			{"JSON report as baseline", plain, func(t *testing.T) []string {
				return []string{"--baseline-path", writeJSON(t, "report.json", reportRecords(target, cases, live, pick))}
			}},
			{"JSON Lines report as baseline", plain, func(t *testing.T) []string {
				var lines []string
				for _, r := range reportRecords(target, cases, live, pick) {
					b, _ := json.Marshal(r)
					lines = append(lines, string(b))
				}
				return []string{"--baseline-path", writeFile(t, "report.jsonl", strings.Join(lines, "\n")+"\n")}
			}},
			{"gitleaks report as baseline", plain, func(t *testing.T) []string {
				var recs []map[string]any
				for _, i := range live {
					path, _, _ := target.place(i)
					x := pick(cases[i])
					recs = append(recs, map[string]any{"RuleID": x.RuleID, "File": path, "Secret": x.Secret, "StartLine": x.StartLine})
				}
				return []string{"--baseline-path", writeJSON(t, "gitleaks.json", recs)}
			}},
			{"leakhound:allow", allowComment(cases, pick, "leakhound:allow"), nil},
			{"gitleaks:allow", allowComment(cases, pick, "gitleaks:allow"), nil},
			{"global allowlist on the value", plain, func(t *testing.T) []string {
				var b strings.Builder
				b.WriteString("[extend]\nuse_default = true\n")
				for _, i := range live {
					fmt.Fprintf(&b, "\n[[allowlists]]\nregexes = [%q]\n", "^"+regexp.QuoteMeta(pick(cases[i]).Secret)+"$")
				}
				return []string{"--config", writeConfig(t, b.String())}
			}},
		}
		for _, m := range mechanisms {
			t.Run(m.name+", "+sideName, func(t *testing.T) {
				var flags []string
				if m.flags != nil {
					flags = m.flags(t)
				}
				after := target.scan(t, cases, m.edit, flags...)
				if m.flags == nil {
					// An allow comment changes the file: the same
					// comment without the marker must still be reported.
					neutral := target.scan(t, cases, allowComment(cases, pick, "reviewed"))
					for _, i := range live {
						if len(neutral[i]) == 0 {
							t.Errorf("case %s: a plain comment hides the secret; the allow comment proves nothing", cases[i].path)
						}
					}
				}
				for _, i := range live {
					for _, f := range after[i] {
						t.Errorf("case %s (%s and %s): suppressed as %s, reported again as %v", cases[i].path,
							cases[i].a.RuleID, cases[i].b.RuleID, pick(cases[i]).RuleID, f["rule_id"])
					}
				}
			})
		}
	}
	// The user's way round: an allowlist for the rule the report named.
	t.Run("allowlist naming the reported rule", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("[extend]\nuse_default = true\n")
		for _, i := range live {
			for _, f := range before[i] {
				fmt.Fprintf(&b, "\n[[allowlists]]\ntarget_rules = [%q]\nregexes = [%q]\n", f["rule_id"], "^"+regexp.QuoteMeta(f["secret"].(string))+"$")
			}
		}
		after := target.scan(t, cases, plain, "--config", writeConfig(t, b.String()))
		for _, i := range live {
			for _, f := range after[i] {
				t.Errorf("case %s: allowlisted as %v, reported again as %v", cases[i].path, before[i][0]["rule_id"], f["rule_id"])
			}
		}
	})
}

// fingerprintAs is the fingerprint x has when reported at path in commit.
func fingerprintAs(x detect.Finding, path, commit string) string {
	x.Path, x.Commit = path, commit
	return detect.Fingerprint(&x)
}

// reportRecords are the findings a JSON report of the picked rule would
// hold.
func reportRecords(target matrixTarget, cases []overlapCase, live []int, pick func(overlapCase) detect.Finding) []map[string]any {
	var recs []map[string]any
	for _, i := range live {
		path, commit, line := target.place(i)
		x := pick(cases[i])
		recs = append(recs, map[string]any{"rule_id": x.RuleID, "file": path, "start_line": line + x.StartLine - 1,
			"secret": x.Secret, "fingerprint": fingerprintAs(x, path, commit), "commit": commit})
	}
	return recs
}

// allowComment returns an edit that ends the picked finding's first line
// with a comment holding marker.
func allowComment(cases []overlapCase, pick func(overlapCase) detect.Finding, marker string) func(int, string) string {
	return func(i int, content string) string {
		lines := strings.SplitAfter(content, "\n")
		n := pick(cases[i]).StartLine - 1
		end := strings.TrimRight(lines[n], "\r\n")
		lines[n] = end + " # " + marker + lines[n][len(end):]
		return strings.Join(lines, "")
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeLines(t *testing.T, name string, live []int, line func(int) string) string {
	t.Helper()
	var b strings.Builder
	for _, i := range live {
		b.WriteString(line(i) + "\n")
	}
	return writeFile(t, name, b.String())
}

func writeJSON(t *testing.T, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name, string(b))
}

// matrixTargets are dir, git (one commit holding every case), --staged
// (every case staged over a first commit) and stdin (the cases one after
// another, apart by blank lines).
func matrixTargets(t *testing.T) []matrixTarget {
	byPath := func(cases []overlapCase, fs []map[string]any) map[int][]map[string]any {
		index := map[string]int{}
		for i, c := range cases {
			index[c.path] = i
		}
		out := map[int][]map[string]any{}
		for _, f := range fs {
			if i, ok := index[f["file"].(string)]; ok {
				out[i] = append(out[i], f)
			} else {
				t.Errorf("finding outside the cases: %v", f["file"])
			}
		}
		return out
	}
	writeCases := func(t *testing.T, cases []overlapCase, edit func(int, string) string) string {
		dir := t.TempDir()
		for i, c := range cases {
			p := filepath.Join(dir, filepath.FromSlash(c.path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(edit(i, c.content)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	scanJSON := func(t *testing.T, stdin string, args ...string) []map[string]any {
		t.Helper()
		r := runCLI(t, stdin, append(args, "--report-format", "json", "--no-color")...)
		if r.code != ExitFindings && r.code != ExitClean {
			t.Fatalf("leakhound %s: %s", strings.Join(args, " "), r)
		}
		return jsonFindings(t, r.stdout)
	}
	var headCommit string // set by git's scan; every run commits the same tree the same way
	gitTree := func(t *testing.T, cases []overlapCase, edit func(int, string) string, commit bool) string {
		dir := writeCases(t, cases, edit)
		gitIn(t, dir, "init", "-q", "-b", "main")
		if commit {
			gitIn(t, dir, "add", "-A")
			cmd := gitCmd(dir, "commit", "-q", "-m", "cases")
			cmd.Env = append(cmd.Env, "GIT_AUTHOR_DATE=2024-01-02T10:00:00Z", "GIT_COMMITTER_DATE=2024-01-02T10:00:00Z")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git commit: %v\n%s", err, out)
			}
			return dir
		}
		// --staged: a first commit, then every case staged.
		if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("cases\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(t, dir, "add", "README.md")
		gitIn(t, dir, "commit", "-q", "-m", "first")
		gitIn(t, dir, "add", "-A")
		return dir
	}
	// stdin: where each case starts in the stream.
	starts := func(cases []overlapCase, edit func(int, string) string) (string, []int) {
		var b strings.Builder
		var at []int
		line := 1
		for i, c := range cases {
			content := edit(i, c.content)
			at = append(at, line)
			b.WriteString(content + "\n\n\n\n")
			line += strings.Count(content, "\n") + 4
		}
		return b.String(), at
	}
	allCases, _ := overlapCases(t)
	_, stdinStarts := starts(allCases, func(_ int, s string) string { return s })
	return []matrixTarget{
		{
			name: "dir",
			scan: func(t *testing.T, cases []overlapCase, edit func(int, string) string, flags ...string) map[int][]map[string]any {
				return byPath(cases, scanJSON(t, "", append([]string{"dir", writeCases(t, cases, edit)}, flags...)...))
			},
			place: func(i int) (string, string, int) { return allCases[i].path, "", 1 },
		},
		{
			name: "git",
			scan: func(t *testing.T, cases []overlapCase, edit func(int, string) string, flags ...string) map[int][]map[string]any {
				dir := gitTree(t, cases, edit, true)
				fs := scanJSON(t, "", append([]string{"git", dir}, flags...)...)
				if headCommit == "" {
					headCommit = gitIn(t, dir, "rev-parse", "HEAD")
				}
				return byPath(cases, fs)
			},
			place: func(i int) (string, string, int) { return allCases[i].path, headCommit, 1 },
		},
		{
			name: "staged",
			scan: func(t *testing.T, cases []overlapCase, edit func(int, string) string, flags ...string) map[int][]map[string]any {
				return byPath(cases, scanJSON(t, "", append([]string{"git", "--staged", gitTree(t, cases, edit, false)}, flags...)...))
			},
			place: func(i int) (string, string, int) { return allCases[i].path, "", 1 },
		},
		{
			name: "stdin",
			scan: func(t *testing.T, cases []overlapCase, edit func(int, string) string, flags ...string) map[int][]map[string]any {
				stream, at := starts(cases, edit)
				out := map[int][]map[string]any{}
				for _, f := range scanJSON(t, stream, append([]string{"stdin"}, flags...)...) {
					line := int(f["start_line"].(float64))
					i := sort.SearchInts(at, line+1) - 1
					out[i] = append(out[i], f)
				}
				return out
			},
			place: func(i int) (string, string, int) { return "stdin", "", stdinStarts[i] },
		},
	}
}
