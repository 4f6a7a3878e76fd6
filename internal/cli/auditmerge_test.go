package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhound/leakhound/internal/testkit"
)

type mergeDoc struct {
	Schema     string `json:"schema"`
	Incomplete bool   `json:"incomplete"`
	Inputs     []struct {
		File, State, Repository string
	} `json:"inputs"`
	Secrets []struct {
		ID           string `json:"id"`
		Secret       string `json:"secret"`
		Reused       bool   `json:"reused"`
		StillPresent bool   `json:"still_present"`
		Repos        []struct {
			Repository string   `json:"repository"`
			Status     string   `json:"status"`
			Paths      []string `json:"paths"`
			Introduced struct {
				Message string `json:"message"`
			} `json:"introduced"`
		} `json:"repositories"`
	} `json:"secrets"`
}

// namedRepo builds a repository with gitRepo from commits (path,
// content, message, date), then moves it to a folder called name: the
// audit names a repository after its folder.
func namedRepo(t *testing.T, name string, commits ...[4]string) string {
	t.Helper()
	dir, commit := gitRepo(t)
	for _, c := range commits {
		commit(c[0], c[1], c[2], c[3])
	}
	named := filepath.Join(t.TempDir(), name)
	if err := os.Rename(dir, named); err != nil {
		t.Fatal(err)
	}
	return named
}

// TestAuditMergeReusedAcrossRepositories audits three repositories, two of
// which hold the same fake key, as a user would, then merges their JSON:
// the shared key is one entry, flagged as reused, naming both.
func TestAuditMergeReusedAcrossRepositories(t *testing.T) {
	shop := namedRepo(t, "shop", [4]string{"config/app.env", "TOKEN=" + testkit.TokA + "\n", "add the shop token", "2024-01-01T10:00:00Z"})
	billing := namedRepo(t, "billing",
		[4]string{"deploy/prod.env", "KEY=" + testkit.TokA + "\n", "copy the shop token", "2024-02-01T10:00:00Z"},
		[4]string{"deploy/prod.env", "KEY=\n", "remove it", "2024-02-11T10:00:00Z"})
	docs := namedRepo(t, "docs", [4]string{"notes.md", "B=" + testkit.TokB + "\n", "a token of its own", "2024-03-01T10:00:00Z"})

	auditNow = func() time.Time { return time.Date(2024, 4, 10, 10, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { auditNow = time.Now })
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	audits := t.TempDir()
	for _, repo := range []string{shop, billing, docs} {
		out := filepath.Join(audits, filepath.Base(repo)+".json")
		if r := runCLI(t, "", "audit", repo, "--config", cfg, "--report-format", "json", "--report-path", out); r.code != ExitFindings {
			t.Fatalf("audit %s: %s", repo, r)
		}
	}
	merged := filepath.Join(audits, "merged.json") // in the folder merged: never read as an input
	r := runCLI(t, "", "audit", "merge", audits, "--report-format", "json", "--report-path", merged)
	if r.code != ExitFindings || !strings.Contains(r.stderr, "2 unique secret(s) across 3 repositories from 3 input(s): 1 reused") {
		t.Fatalf("audit merge: %s", r)
	}
	if info, err := os.Stat(merged); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("merged report: %v, want owner-only (%v)", info, err)
	}
	doc := readMergeDoc(t, merged)
	if doc.Schema != "leakhound-audit-merge/v1" || doc.Incomplete || len(doc.Inputs) != 3 || len(doc.Secrets) != 2 {
		t.Fatalf("merged: %+v", doc)
	}
	a := doc.Secrets[0] // still in shop's HEAD: before docs' token
	if !a.Reused || !a.StillPresent || len(a.Repos) != 2 || a.Repos[0].Repository != "billing" || a.Repos[1].Repository != "shop" {
		t.Fatalf("shared key: %+v, want reused in billing and shop", a)
	}
	if a.Repos[0].Status != "removed" || a.Repos[1].Status != "present" || a.Repos[0].Paths[0] != "deploy/prod.env" ||
		a.Repos[1].Introduced.Message != "add the shop token" {
		t.Errorf("shared key per repository: %+v", a.Repos)
	}
	if strings.Contains(a.Secret, testkit.TokA) || doc.Secrets[1].Reused {
		t.Errorf("secret shown %q (inputs are masked), docs' token reused %v", a.Secret, doc.Secrets[1].Reused)
	}
	for _, format := range []string{"text", "markdown", "html"} {
		r := runCLI(t, "", "audit", "merge", filepath.Join(audits, "shop.json"), filepath.Join(audits, "billing.json"), "--report-format", format)
		if r.code != ExitFindings || !strings.Contains(r.stdout, "billing") || strings.Contains(r.stdout, testkit.TokA) {
			t.Errorf("%s: %s", format, r)
		}
	}
}

func readMergeDoc(t *testing.T, path string) mergeDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc mergeDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return doc
}

// TestAuditMergeBadInputs: a broken input is listed and the merge exits 2,
// the worklist still written; no input at all is a usage error; a
// duplicate is listed, not counted, and is no failure.
func TestAuditMergeBadInputs(t *testing.T) {
	shop := namedRepo(t, "shop", [4]string{"a.env", "TOKEN=" + testkit.TokA + "\n", "add A", "2024-01-01T10:00:00Z"})
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	dir := t.TempDir()
	good := filepath.Join(dir, "shop.json")
	if r := runCLI(t, "", "audit", shop, "--config", cfg, "--report-format", "json", "--no-redact", "--report-path", good); r.code != ExitFindings {
		t.Fatal(r)
	}
	data, _ := os.ReadFile(good)
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, data[:len(data)-40], 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "merged.json")
	r := runCLI(t, "", "audit", "merge", dir, filepath.Join(dir, "missing.json"), "--report-format", "json", "--report-path", out)
	if r.code != ExitError || !strings.Contains(r.stderr, "broken.json: error: truncated") || !strings.Contains(r.stderr, "missing.json: error") {
		t.Errorf("a broken and a missing input: %s", r)
	}
	doc := readMergeDoc(t, out)
	if !doc.Incomplete || len(doc.Inputs) != 3 || len(doc.Secrets) != 1 || doc.Inputs[0].State != "error" || doc.Inputs[1].State != "merged" {
		t.Errorf("worklist with a broken input: %+v", doc)
	}
	r = runCLI(t, "", "audit", "merge", good, good, "--report-format", "json", "--no-redact")
	if r.code != ExitFindings || !strings.Contains(r.stdout, `"state": "duplicate"`) || !strings.Contains(r.stdout, testkit.TokA) {
		t.Errorf("the same input twice, --no-redact over unmasked inputs: %s", r)
	}
	if r := runCLI(t, "", "audit", "merge", t.TempDir()); r.code != ExitError || !strings.Contains(r.stderr, "no audit reports") {
		t.Errorf("an empty folder: %s", r)
	}
	if r := runCLI(t, "", "audit", "merge", good, "--report-format", "sarif"); r.code != ExitError {
		t.Errorf("sarif: %s", r)
	}
}
