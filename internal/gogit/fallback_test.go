package gogit

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/testkit"
)

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=c", "GIT_COMMITTER_EMAIL=c@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// stagedRepo is a repository with one commit and a secret staged.
func stagedRepo(t *testing.T, initArgs ...string) string {
	t.Helper()
	dir := t.TempDir()
	gitIn(t, dir, append([]string{"init", "-q", "-b", "main"}, initArgs...)...)
	testkit.WriteTree(t, dir, map[string]string{"a/one.txt": "x\n", "b/two.txt": "y\n"})
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "one")
	testkit.WriteTree(t, dir, map[string]string{"a/one.txt": "x\nT=" + testkit.TokA + "\n"})
	gitIn(t, dir, "add", "-A")
	return dir
}

func readInProcess(dir string) (*gitplumb.StagedDiff, error) {
	r, err := Open(dir)
	if err != nil {
		return nil, err
	}
	s, err := r.Store()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	d, err := s.DiffStaged("")
	if err == nil {
		err = s.Ensure(d)
	}
	return d, err
}

// TestFallback: what go-git cannot read as git does is refused, with a
// reason, before anything is read; git's plumbing still reads it.
func TestFallback(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T) string
		why   string
	}{
		{"sha256", func(t *testing.T) string {
			if out, err := exec.Command("git", "init", "-q", "--object-format=sha256", t.TempDir()).CombinedOutput(); err != nil {
				t.Skipf("git cannot make a SHA-256 repository: %s", out)
			}
			return stagedRepo(t, "--object-format=sha256")
		}, "object format"},
		{"split index", func(t *testing.T) string {
			dir := stagedRepo(t)
			gitIn(t, dir, "update-index", "--split-index")
			return dir
		}, `index extension "link"`},
		{"sparse index", func(t *testing.T) string {
			dir := stagedRepo(t)
			gitIn(t, dir, "commit", "-q", "-m", "two")
			gitIn(t, dir, "sparse-checkout", "set", "--cone", "--sparse-index", "a")
			testkit.WriteTree(t, dir, map[string]string{"a/one.txt": "x\nT=" + testkit.TokB + "\n"})
			gitIn(t, dir, "add", "-A")
			return dir
		}, "sparse"},
		{"include", func(t *testing.T) string {
			dir := stagedRepo(t)
			gitIn(t, dir, "config", "include.path", "/nonexistent/config")
			return dir
		}, "includes other files"},
		{"unknown extension", func(t *testing.T) string {
			dir := stagedRepo(t)
			gitIn(t, dir, "config", "core.repositoryformatversion", "1")
			gitIn(t, dir, "config", "extensions.preciousObjects", "true")
			gitIn(t, dir, "config", "extensions.futureThing", "true")
			return dir
		}, "extension"},
		{"core.bare", func(t *testing.T) string {
			dir := stagedRepo(t)
			gitIn(t, dir, "config", "core.bare", "true")
			return dir
		}, "core.bare"},
		{"bare", func(t *testing.T) string {
			dir := stagedRepo(t)
			bare := filepath.Join(t.TempDir(), "b.git")
			gitIn(t, dir, "clone", "-q", "--bare", dir, bare)
			return bare
		}, "bare"},
		{"HEAD at a tag object", func(t *testing.T) string {
			dir := stagedRepo(t)
			gitIn(t, dir, "tag", "-a", "-m", "t", "v1")
			tag := gitIn(t, dir, "rev-parse", "v1")
			if err := os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte(tag+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "not a commit"},
		{"missing HEAD commit", func(t *testing.T) string {
			dir := stagedRepo(t)
			if err := os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte(strings.Repeat("ab", 20)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "object"},
		{"corrupt index", func(t *testing.T) string {
			dir := stagedRepo(t)
			p := filepath.Join(dir, ".git", "index")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[0] ^= 0xff
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.setup(t)
			_, err := readInProcess(dir)
			if !errors.Is(err, ErrFallback) || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("in process: %v, want a fallback saying %q", err, c.why)
			}
		})
	}
}

// TestInProcessLayouts: ordinary layouts are read in process, with the
// answers git gives: a linked worktree, a submodule's work tree (a
// "gitdir:" file into the superproject's modules), a folder inside the
// work tree, alternates (relative and absolute), a sparse checkout
// without a sparse index, an index whose checksum does not match, and
// GIT_INDEX_FILE.
func TestInProcessLayouts(t *testing.T) {
	check := func(t *testing.T, dir, indexFile string) {
		t.Helper()
		ctx := context.Background()
		g, err := gitplumb.Open(ctx, dir, "")
		if err != nil {
			t.Fatal(err)
		}
		want, err := g.DiffStaged(ctx, indexFile)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Open(dir)
		if err != nil {
			t.Fatalf("in process: %v", err)
		}
		s, err := r.Store()
		if err != nil {
			t.Fatalf("in process: %v", err)
		}
		defer s.Close()
		got, err := s.DiffStaged(indexFile)
		if err == nil {
			err = s.Ensure(got)
		}
		if err != nil {
			t.Fatalf("in process: %v", err)
		}
		if !reflect.DeepEqual(got, want) || len(got.Changes) == 0 {
			t.Fatalf("in process: %+v\ngit:        %+v", got, want)
		}
	}
	t.Run("worktree", func(t *testing.T) {
		dir := stagedRepo(t)
		wt := filepath.Join(t.TempDir(), "wt")
		gitIn(t, dir, "worktree", "add", "-q", "-b", "side", wt)
		testkit.WriteTree(t, wt, map[string]string{"b/two.txt": "y\nT=" + testkit.TokB + "\n"})
		gitIn(t, wt, "add", "-A")
		check(t, wt, "")
		check(t, dir, "")
	})
	t.Run("submodule", func(t *testing.T) {
		sub := stagedRepo(t)
		gitIn(t, sub, "commit", "-q", "-m", "two")
		super := stagedRepo(t)
		gitIn(t, super, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub, "mod")
		mod := filepath.Join(super, "mod")
		testkit.WriteTree(t, mod, map[string]string{"a/one.txt": "changed " + testkit.TokB + "\n"})
		gitIn(t, mod, "add", "-A")
		check(t, mod, "")
		check(t, super, "")
	})
	t.Run("subfolder", func(t *testing.T) {
		dir := stagedRepo(t)
		check(t, filepath.Join(dir, "a"), "")
	})
	t.Run("alternates", func(t *testing.T) {
		src := stagedRepo(t)
		gitIn(t, src, "commit", "-q", "-m", "two")
		for _, rel := range []bool{false, true} {
			dst := filepath.Join(t.TempDir(), "clone")
			gitIn(t, src, "clone", "-q", "--shared", src, dst)
			if rel {
				alt := filepath.Join(dst, ".git", "objects", "info", "alternates")
				relPath, err := filepath.Rel(filepath.Join(dst, ".git", "objects"), filepath.Join(src, ".git", "objects"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(alt, []byte(relPath+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			testkit.WriteTree(t, dst, map[string]string{"b/two.txt": "new " + testkit.TokB + "\n"})
			gitIn(t, dst, "add", "-A")
			check(t, dst, "")
		}
	})
	t.Run("sparse checkout", func(t *testing.T) {
		dir := stagedRepo(t)
		gitIn(t, dir, "commit", "-q", "-m", "two")
		gitIn(t, dir, "sparse-checkout", "set", "--no-cone", "a")
		testkit.WriteTree(t, dir, map[string]string{"a/one.txt": "x\nT=" + testkit.TokB + "\n"})
		gitIn(t, dir, "add", "-A")
		check(t, dir, "")
	})
	t.Run("index checksum", func(t *testing.T) {
		// git checks the index's trailing checksum only in fsck: an
		// index whose checksum does not match is read all the same.
		dir := stagedRepo(t)
		p := filepath.Join(dir, ".git", "index")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)-1] ^= 0xff
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		check(t, dir, "")
	})
	t.Run("GIT_INDEX_FILE", func(t *testing.T) {
		dir := stagedRepo(t)
		alt := filepath.Join(t.TempDir(), "index")
		cmd := exec.Command("git", "read-tree", "HEAD")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "GIT_INDEX_FILE="+alt)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		testkit.WriteTree(t, dir, map[string]string{"b/two.txt": "y\nT=" + testkit.TokB + "\n"})
		cmd = exec.Command("git", "add", "b/two.txt")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "GIT_INDEX_FILE="+alt)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		check(t, dir, alt)
	})
}
