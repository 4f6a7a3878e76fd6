package gitplumb

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testRepo builds a repository in a temporary folder with fixed authors
// and dates, so that ids are the same on every run.
type testRepo struct {
	t    testing.TB
	dir  string
	tick int
}

func newRepo(t testing.TB) *testRepo {
	t.Helper()
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) env() []string {
	date := fmt.Sprintf("2020-01-01T%02d:%02d:00+02:00", r.tick/60%24, r.tick%60)
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Cy Committer", "GIT_COMMITTER_EMAIL=cy@example.com", "GIT_COMMITTER_DATE="+date)
}

// git runs git in the repository (the tests' own trusted git, not the
// package's runner) and returns its trimmed output.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	return runGit(r.t, r.dir, r.env(), args...)
}

func runGit(t testing.TB, dir string, env []string, args ...string) string {
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

func (r *testRepo) write(path, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) remove(path string) {
	r.t.Helper()
	if err := os.Remove(filepath.Join(r.dir, filepath.FromSlash(path))); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages everything and commits it, returning the new commit id.
func (r *testRepo) commit(msg string) string {
	r.t.Helper()
	r.tick++
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// blob returns the id of rev:path.
func (r *testRepo) blob(rev, path string) string {
	r.t.Helper()
	return r.git("rev-parse", rev+":"+path)
}

func (r *testRepo) open() *Git {
	r.t.Helper()
	g, err := Open(context.Background(), r.dir, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return g
}

// diffAll runs RevList args through DiffTree and returns the commits by id
// and their order.
func diffAll(t testing.TB, g *Git, args ...string) (map[string]*Commit, []string) {
	t.Helper()
	ctx := context.Background()
	var ids []string
	if err := g.RevList(ctx, args, func(id string) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	dt, err := g.DiffTree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer dt.Close()
	go func() {
		for _, id := range ids {
			dt.Request(id)
		}
		dt.CloseRequests()
	}()
	byID := map[string]*Commit{}
	var order []string
	for {
		c, err := dt.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		byID[c.ID] = c
		order = append(order, c.ID)
	}
	if strings.Join(order, " ") != strings.Join(ids, " ") {
		t.Fatalf("diff-tree answered %v, asked %v", order, ids)
	}
	return byID, order
}

func zeroID() string { return strings.Repeat("0", 40) }

// shallowClone clones r at depth 1, as CI checkouts do, and opens it.
func shallowClone(t *testing.T, r *testRepo) *Git {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "shallow")
	runGit(t, r.dir, r.env(), "clone", "-q", "--depth", "1", "file://"+r.dir, dst)
	g, err := Open(context.Background(), dst, "")
	if err != nil {
		t.Fatal(err)
	}
	return g
}
