package gitplumb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakhound/leakhound/internal/testkit"
)

func TestDiffTreeRootModifyDelete(t *testing.T) {
	r := newRepo(t)
	r.Write("a.txt", "one\n")
	r.Write("dir/b.txt", "two\n")
	c1 := r.Commit("first line\nsecond line\n\nbody")
	r.Write("a.txt", "one\nmore\n")
	r.Remove("dir/b.txt")
	c2 := r.Commit("second")
	got, _ := diffAll(t, r.open())

	root := got[c1]
	if root.Author != "Ann Author" || root.Email != "ann@example.com" || root.Subject != "first line" {
		t.Errorf("root metadata = %q %q %q", root.Author, root.Email, root.Subject)
	}
	if want := time.Date(2020, 1, 1, 0, 1, 0, 0, time.FixedZone("", 2*3600)); !root.Date.Equal(want) {
		t.Errorf("root date = %v, want %v", root.Date, want)
	}
	wantRoot := []Change{
		{Path: "a.txt", Mode: ModeFile, Blob: r.Blob(c1, "a.txt"), Parents: []Side{{ModeNone, zeroID()}}, Status: "A"},
		{Path: "dir/b.txt", Mode: ModeFile, Blob: r.Blob(c1, "dir/b.txt"), Parents: []Side{{ModeNone, zeroID()}}, Status: "A"},
	}
	if !reflect.DeepEqual(root.Changes, wantRoot) {
		t.Errorf("root changes = %+v\nwant %+v", root.Changes, wantRoot)
	}
	wantSecond := []Change{
		{Path: "a.txt", Mode: ModeFile, Blob: r.Blob(c2, "a.txt"), Parents: []Side{{ModeFile, r.Blob(c1, "a.txt")}}, Status: "M"},
		{Path: "dir/b.txt", Mode: ModeNone, Blob: zeroID(), Parents: []Side{{ModeFile, r.Blob(c1, "dir/b.txt")}}, Status: "D"},
	}
	if !reflect.DeepEqual(got[c2].Changes, wantSecond) {
		t.Errorf("second changes = %+v\nwant %+v", got[c2].Changes, wantSecond)
	}
	if !got[c2].Changes[1].Deleted() {
		t.Error("deleted path not Deleted")
	}
}

func TestDiffTreeMerges(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "base\n")
	r.Write("g", "g\n")
	base := r.Commit("base")
	r.Git("checkout", "-q", "-b", "side")
	r.Write("f", "base\nside\n")
	side := r.Commit("side")
	r.Git("checkout", "-q", "main")
	r.Write("g", "g\nmain\n")
	main := r.Commit("main")

	r.Git("merge", "-q", "--no-ff", "--no-edit", "side")
	plain := r.Git("rev-parse", "HEAD")

	// An evil merge: content in the result that is in neither parent.
	r.Git("checkout", "-q", "-b", "evil", main)
	r.Git("merge", "-q", "--no-ff", "--no-commit", "side")
	r.Write("f", "base\nside\nevil\n")
	evil := r.Commit("evil merge")

	got, order := diffAll(t, r.open())
	if len(order) != 5 || order[0] != base {
		t.Fatalf("order = %v", order)
	}
	if c := got[plain]; len(c.Changes) != 0 {
		t.Errorf("plain merge changes = %+v, want none", c.Changes)
	}
	want := []Change{{
		Path: "f", Mode: ModeFile, Blob: r.Blob(evil, "f"),
		Parents: []Side{{ModeFile, r.Blob(main, "f")}, {ModeFile, r.Blob(side, "f")}},
		Status:  "MM",
	}}
	if c := got[evil]; !reflect.DeepEqual(c.Changes, want) {
		t.Errorf("evil merge changes = %+v\nwant %+v", c.Changes, want)
	}
	if got[evil].Subject != "evil merge" {
		t.Errorf("subject %q", got[evil].Subject)
	}
}

// TestDiffTreeCorruptCommit reads a commit object made by hand with NUL
// bytes in its author and message, which git itself would refuse to
// write: the parser must keep its place.
func TestDiffTreeCorruptCommit(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "f\n")
	base := r.Commit("base")
	tree := r.Git("rev-parse", base+"^{tree}")
	obj := "tree " + tree + "\nparent " + base + "\nauthor Ev\x00il <e\x00@x> 1577836800 +0000\n" +
		"committer C <c@x> 1577836800 +0000\n\nsub\x00ject\n\nmore\n"
	path := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(path, []byte(obj), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := r.Git("hash-object", "-t", "commit", "-w", "--literally", path)
	r.Git("update-ref", "refs/heads/bad", bad)
	r.Git("checkout", "-q", "-b", "after", bad)
	r.Write("g", "g\n")
	after := r.Commit("after")
	got, order := diffAll(t, r.open())
	if len(order) != 3 {
		t.Fatalf("order = %v", order)
	}
	if c := got[after]; c.Subject != "after" || c.Author != "Ann Author" || len(c.Changes) != 1 {
		t.Errorf("commit after the corrupt one: %+v", c)
	}
	t.Logf("corrupt commit read as %+v", got[bad])
}

func TestDiffTreeAwkwardPaths(t *testing.T) {
	r := newRepo(t)
	names := []string{"with space.txt", "new\nline", "ünï/cödé.txt", "bad\xff\xfe.txt", "tab\tand:colon", "0123456789abcdef0123456789abcdef01234567"}
	for _, n := range names {
		r.Write(n, "x "+n+"\n")
	}
	c := r.Commit("awkward")
	got, _ := diffAll(t, r.open())
	var paths []string
	for _, ch := range got[c].Changes {
		paths = append(paths, ch.Path)
		if ch.Blob != r.Blob(c, ch.Path) {
			t.Errorf("%q: blob %s", ch.Path, ch.Blob)
		}
	}
	if len(paths) != len(names) {
		t.Fatalf("paths = %q", paths)
	}
	for _, n := range names {
		found := false
		for _, p := range paths {
			found = found || p == n
		}
		if !found {
			t.Errorf("path %q missing from %q", n, paths)
		}
	}
}

func TestDiffTreeSymlinkAndSubmodule(t *testing.T) {
	sub := newRepo(t)
	sub.Write("s", "s\n")
	subID := sub.Commit("sub")
	r := newRepo(t)
	r.Write("f", "f\n")
	if err := os.Symlink("f", filepath.Join(r.Dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.Git("add", "f", "link")
	r.Git("update-index", "--add", "--cacheinfo", "160000,"+subID+",mod")
	r.Git("commit", "-q", "-m", "links")
	c := r.Git("rev-parse", "HEAD")
	got, _ := diffAll(t, r.open())
	modes := map[string]Mode{}
	for _, ch := range got[c].Changes {
		modes[ch.Path] = ch.Mode
	}
	want := map[string]Mode{"f": ModeFile, "link": ModeSymlink, "mod": ModeGitlink}
	if !reflect.DeepEqual(modes, want) {
		t.Errorf("modes = %v, want %v", modes, want)
	}
}

func TestRevListArgs(t *testing.T) {
	r := newRepo(t)
	c1 := r.Commit("1")
	c2 := r.Commit("2")
	r.Git("checkout", "-q", "-b", "other", c1)
	c3 := r.Commit("3")
	r.Git("checkout", "-q", "main")
	g := r.open()
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{c1, c2, c3}},
		{[]string{"main"}, []string{c1, c2}},
		{[]string{c1 + "..other"}, []string{c3}},
		{[]string{"--since=2020-01-01T00:02:30+02:00"}, []string{c3}},
		{[]string{"--until=2020-01-01T00:01:30+02:00", "main"}, []string{c1}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got []string
			err := g.RevList(context.Background(), tt.args, func(id string) error { got = append(got, id); return nil })
			if err != nil {
				t.Fatal(err)
			}
			// --all visits c2 and c3 in an order of git's choosing; only
			// parents-first matters.
			if len(tt.args) == 0 && len(got) == 3 && got[0] == c1 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if err := g.RevList(context.Background(), []string{"no-such-branch"}, func(string) error { return nil }); err == nil {
		t.Error("bad revision: no error")
	}
	stop := errors.New("stop")
	if err := g.RevList(context.Background(), nil, func(string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error = %v", err)
	}
}

func TestShallowCloneBoundaryIsRoot(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "one\n")
	r.Commit("1")
	r.Write("f", "one\ntwo\n")
	c2 := r.Commit("2")
	g := shallowClone(t, r)
	got, order := diffAll(t, g)
	if len(order) != 1 || order[0] != c2 {
		t.Fatalf("order = %v", order)
	}
	want := []Change{{Path: "f", Mode: ModeFile, Blob: r.Blob(c2, "f"), Parents: []Side{{ModeNone, zeroID()}}, Status: "A"}}
	if !reflect.DeepEqual(got[c2].Changes, want) {
		t.Errorf("changes = %+v, want %+v", got[c2].Changes, want)
	}
}

func TestCatFile(t *testing.T) {
	r := newRepo(t)
	r.Write("small", "hello\n")
	r.Write("big", strings.Repeat("0123456789abcdef", 1<<12)) // 64 KiB
	c := r.Commit("c")
	g := r.open()
	cf, err := g.CatFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	missing := strings.Repeat("1", 40)
	reqs := []string{r.Blob(c, "small"), missing, r.Blob(c, "big"), r.Blob(c, "small"), c}
	for _, id := range reqs {
		if err := cf.Request(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := cf.Request("HEAD\n" + missing); err == nil {
		t.Error("Request accepted a non-id")
	}
	obj, err := cf.Next(1<<10, nil)
	if err != nil || obj.Type != "blob" || string(obj.Data) != "hello\n" {
		t.Fatalf("small: %+v %v", obj, err)
	}
	_, err = cf.Next(1<<10, nil)
	var me *MissingError
	if !errors.Is(err, ErrMissing) || !errors.As(err, &me) || me.ID != missing {
		t.Fatalf("missing: err = %v", err)
	}
	obj, err = cf.Next(1<<10, nil)
	if err != nil || !obj.TooLarge || obj.Data != nil || obj.Size != 1<<16 {
		t.Fatalf("big: %+v %v", obj, err)
	}
	buf := make([]byte, 0, 64)
	obj, err = cf.Next(1<<10, buf)
	if err != nil || string(obj.Data) != "hello\n" || &obj.Data[0] != &buf[:1][0] {
		t.Fatalf("small again: %+v %v", obj, err)
	}
	obj, err = cf.Next(0, nil)
	if err != nil || obj.Type != "commit" {
		t.Fatalf("commit: %+v %v", obj, err)
	}
	// Interleaved: the batch still works after a missing object.
	cf.Request(missing)
	cf.Request(r.Blob(c, "small"))
	if _, err := cf.Next(0, nil); !errors.Is(err, ErrMissing) {
		t.Fatal(err)
	}
	if obj, err := cf.Next(0, nil); err != nil || string(obj.Data) != "hello\n" {
		t.Fatal(obj, err)
	}
	if _, err := cf.Next(0, nil); err == nil {
		t.Error("Next without request: no error")
	}
	if err := cf.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCatFileManyUnread checks that requesting far more than the pipes
// hold and closing without reading neither deadlocks nor leaks.
func TestCatFileManyUnread(t *testing.T) {
	r := newRepo(t)
	r.Write("big", strings.Repeat("x", 1<<20))
	c := r.Commit("c")
	cf, err := r.open().CatFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id := r.Blob(c, "big")
	for range 8 {
		cf.Request(id)
	}
	if _, err := cf.Next(0, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- cf.Close() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung")
	}
}

func TestOpenResolves(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "f\n")
	c := r.Commit("c")
	if err := os.MkdirAll(filepath.Join(r.Dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	wt := filepath.Join(t.TempDir(), "wt")
	r.Git("worktree", "add", "-q", "-b", "wtb", wt)
	bare := filepath.Join(t.TempDir(), "bare.git")
	testkit.RunGit(t, r.Dir, r.Env(), "clone", "-q", "--bare", r.Dir, bare)

	real := func(p string) string {
		p, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct{ name, path, dir string }{
		{"work tree", r.Dir, filepath.Join(real(r.Dir), ".git")},
		{"subfolder", filepath.Join(r.Dir, "sub"), filepath.Join(real(r.Dir), ".git")},
		{"worktree", wt, filepath.Join(real(r.Dir), ".git", "worktrees", "wt")},
		{"bare", bare, real(bare)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GIT_DIR", "/nonexistent") // must be ignored
			g, err := Open(context.Background(), tt.path, "")
			if err != nil {
				t.Fatal(err)
			}
			if real(g.Dir) != tt.dir {
				t.Errorf("Dir = %s, want %s", g.Dir, tt.dir)
			}
			var ids []string
			if err := g.RevList(context.Background(), []string{"HEAD"}, func(id string) error { ids = append(ids, id); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(ids) != 1 || ids[0] != c {
				t.Errorf("HEAD history = %v", ids)
			}
		})
	}
	if _, err := Open(context.Background(), t.TempDir(), ""); err == nil {
		t.Error("Open of a plain folder: no error")
	}
}

func TestEnvStripsGitVariables(t *testing.T) {
	got := Env([]string{"PATH=/bin", "GIT_DIR=/x", "GIT_EXTERNAL_DIFF=evil", "GIT_CONFIG_PARAMETERS='a.b'=c", "HOME=/h"})
	for _, kv := range got {
		if strings.HasPrefix(kv, "GIT_DIR=") || strings.HasPrefix(kv, "GIT_EXTERNAL_DIFF=") || strings.HasPrefix(kv, "GIT_CONFIG_PARAMETERS=") {
			t.Errorf("kept %s", kv)
		}
	}
	if got[0] != "PATH=/bin" || got[1] != "HOME=/h" {
		t.Errorf("env = %v", got)
	}
}

// TestCleanRemoteURL: credentials never leave a remote URL.
func TestCleanRemoteURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://x-access-token:" + "ghs_" + "abcdefabcdef@github.com/o/r.git": "https://github.com/o/r.git",
		"git@github.com:o/r.git":   "ssh://github.com/o/r.git",
		"ssh://user@host:2222/o/r": "ssh://host:2222/o/r",
		"/srv/git/repo.git":        "",
		"file:///srv/git/repo.git": "",
		"":                         "",
		"https://host/o r":         "",
	} {
		if got := cleanRemoteURL(raw); got != want {
			t.Errorf("cleanRemoteURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
