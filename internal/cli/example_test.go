package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// TestREADMEExample runs what the README's first command runs, with the
// built-in rules, and checks a newcomer sees the six planted credentials
// and none of the look-alikes (template variables, environment lookups).
func TestREADMEExample(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := Env{Stdout: &stdout, Stderr: &stderr}
	code := Run(context.Background(), []string{"dir", "../../testdata/example", "--report-format", "json"}, env)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitFindings, stderr.String())
	}
	var got []struct {
		RuleID string `json:"rule_id"`
		File   string `json:"file"`
		Line   int    `json:"start_line"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range got {
		ids = append(ids, f.File+":"+f.RuleID)
	}
	sort.Strings(ids)
	want := []string{
		".env:slack-webhook-url",
		".env:stripe-secret-key",
		".env:url-credentials",
		"config/settings.py:aws-access-key-id",
		"config/settings.py:aws-secret-access-key",
		"config/settings.py:github-pat",
	}
	if strings.Join(ids, "\n") != strings.Join(want, "\n") {
		t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(ids, "\n"), strings.Join(want, "\n"))
	}
}

// TestDeterministicAcrossThreads pins that reports do not depend on how
// many workers scan in parallel or on scheduling, in every machine-read
// format, for directories and for history. It scans this repository with
// the built-in rules and no allowlist, so the reports hold hundreds of
// findings (rule examples, test data).
func TestDeterministicAcrossThreads(t *testing.T) {
	runs := []struct{ kind, format string }{
		{"dir", "json"}, {"dir", "jsonl"}, {"dir", "csv"}, {"dir", "junit"}, {"dir", "sarif"}, {"git", "json"},
	}
	for _, r := range runs {
		t.Run(r.kind+"-"+r.format, func(t *testing.T) {
			var first []byte
			for i, threads := range []string{"1", "8", "2"} {
				var stdout, stderr bytes.Buffer
				args := []string{r.kind, "../..", "--config", "../../config/default.toml", "--report-format", r.format, "--threads", threads, "--no-color"}
				code := Run(context.Background(), args, Env{Stdout: &stdout, Stderr: &stderr})
				if code != ExitFindings {
					t.Fatalf("threads %s: exit %d; stderr: %s", threads, code, stderr.String())
				}
				if i == 0 {
					first = stdout.Bytes()
					if r.format == "sarif" {
						validateSARIF(t, first)
					}
					continue
				}
				if !bytes.Equal(first, stdout.Bytes()) {
					t.Fatalf("threads %s: %s report differs from threads 1", threads, r.format)
				}
			}
		})
	}
}
