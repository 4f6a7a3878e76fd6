package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo builds a repository in a temporary folder with fixed authors and
// dates, so that ids are the same on every run. Its git is the tests' own
// trusted git, not the runner under test (internal/gitplumb).
type Repo struct {
	T    testing.TB
	Dir  string
	Tick int
}

// NewRepo initialises an empty repository on branch main.
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	r := &Repo{T: t, Dir: t.TempDir()}
	r.Git("init", "-q", "-b", "main")
	return r
}

// Env is the environment of the repository's git commands: no system or
// global configuration, and an author and committer dated by Tick.
func (r *Repo) Env() []string {
	date := fmt.Sprintf("2020-01-01T%02d:%02d:00+02:00", r.Tick/60%24, r.Tick%60)
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Cy Committer", "GIT_COMMITTER_EMAIL=cy@example.com", "GIT_COMMITTER_DATE="+date)
}

// Git runs git in the repository and returns its trimmed output.
func (r *Repo) Git(args ...string) string {
	r.T.Helper()
	return RunGit(r.T, r.Dir, r.Env(), args...)
}

// RunGit runs git in dir with env and returns its trimmed output, failing
// the test if git fails.
func RunGit(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Write writes content to the slash-separated path in the work tree.
func (r *Repo) Write(path, content string) {
	r.T.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.T.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.T.Fatal(err)
	}
}

// Remove deletes the slash-separated path from the work tree.
func (r *Repo) Remove(path string) {
	r.T.Helper()
	if err := os.Remove(filepath.Join(r.Dir, filepath.FromSlash(path))); err != nil {
		r.T.Fatal(err)
	}
}

// Commit stages everything and commits it, returning the new commit id.
func (r *Repo) Commit(msg string) string {
	r.T.Helper()
	r.Tick++
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

// Blob returns the id of rev:path.
func (r *Repo) Blob(rev, path string) string {
	r.T.Helper()
	return r.Git("rev-parse", rev+":"+path)
}
