package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// gitRepo makes a repository in a temporary folder with fixed identities
// and dates, and returns a function that commits a file's new content.
func gitRepo(t *testing.T) (string, func(path, content, msg, date string)) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	run := func(env []string, args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run(nil, "init", "-q", "-b", "main")
	commit := func(path, content, msg, date string) {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		run(nil, "add", "-A")
		run([]string{
			"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.invalid", "GIT_AUTHOR_DATE=" + date,
			"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.invalid", "GIT_COMMITTER_DATE=" + date,
		}, "commit", "-q", "-m", msg+"\n\nbody line")
	}
	return dir, commit
}

// TestGitHistory runs `leakhound git` as a user would: a secret added in
// one commit, kept by the next and removed by a third is reported once,
// for the commit that introduced it, with its provenance.
func TestGitHistory(t *testing.T) {
	dir, commit := gitRepo(t)
	commit("app/config.env", "NAME=shop\n", "initial", "2024-01-01T10:00:00Z")
	commit("app/config.env", "NAME=shop\nTOKEN="+testkit.TokA+"\n", "add token", "2024-01-02T10:00:00Z")
	commit("app/config.env", "PORT=80\nNAME=shop\nTOKEN="+testkit.TokA+"\n", "add port", "2024-01-03T10:00:00Z")
	commit("app/config.env", "PORT=80\nNAME=shop\n", "remove token", "2024-01-04T10:00:00Z")
	cfg := writeConfig(t, tokRuleNamed("test-token"))

	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"git", dir, "--config", cfg, "--report-format", "json"}, Env{Stdout: &stdout, Stderr: &stderr})
	if code != ExitFindings {
		t.Fatalf("exit %d; stderr: %s", code, stderr.String())
	}
	var got []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1: %s", len(got), stdout.String())
	}
	f := got[0]
	for k, want := range map[string]any{
		"file": "app/config.env", "start_line": 2.0, "start_column": 7.0, "author": "Ada Lovelace",
		"email": "ada@example.invalid", "date": "2024-01-02T10:00:00Z", "message": "add token", "secret": testkit.TokA,
	} {
		if f[k] != want {
			t.Errorf("%s = %v, want %v", k, f[k], want)
		}
	}
	if c, _ := f["commit"].(string); len(c) != 40 {
		t.Errorf("commit = %q, want a full hash", c)
	}
	if bytes.Contains(stderr.Bytes(), []byte(testkit.TokA)) {
		t.Error("stderr shows the secret")
	}

	// --range limits the scan to the commits after the token was added.
	stdout.Reset()
	stderr.Reset()
	code = Run(context.Background(), []string{"git", dir, "--config", cfg, "--range", "HEAD~2..HEAD"}, Env{Stdout: &stdout, Stderr: &stderr})
	if code != ExitClean {
		t.Fatalf("--range HEAD~2..HEAD: exit %d, want 0 (the token was introduced before the range); stderr: %s", code, stderr.String())
	}
	// A revision that looks like a flag is refused, not passed to git.
	code = Run(context.Background(), []string{"git", dir, "--config", cfg, "--branch", "--output=/tmp/x"}, Env{Stdout: &stdout, Stderr: &stderr})
	if code != ExitError {
		t.Fatalf("--branch --output=...: exit %d, want %d", code, ExitError)
	}
}

func TestGitNotARepository(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"git", t.TempDir()}, Env{Stdout: &stdout, Stderr: &stderr})
	if code != ExitError {
		t.Fatalf("exit %d, want %d", code, ExitError)
	}
}
