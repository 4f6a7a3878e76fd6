package gitplumb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

func TestParsePushUpdates(t *testing.T) {
	a, b, z := strings.Repeat("a", 40), strings.Repeat("b", 40), zeroID()
	long := strings.Repeat("c", 64)
	for _, tc := range []struct {
		name, in string
		want     []PushUpdate
		bad      bool
	}{
		{name: "empty", in: ""},
		{name: "update", in: "refs/heads/main " + a + " refs/heads/main " + b + "\n",
			want: []PushUpdate{{"refs/heads/main", a, "refs/heads/main", b}}},
		{name: "new branch and deletion, CRLF, blank line", in: "HEAD " + a + " refs/heads/new " + z + "\r\n\n(delete) " + z + " refs/heads/old " + b + "\n",
			want: []PushUpdate{{"HEAD", a, "refs/heads/new", z}, {"(delete)", z, "refs/heads/old", b}}},
		{name: "local ref with spaces, sha256, no final newline", in: "HEAD@{1 day ago} " + long + " refs/heads/x " + long,
			want: []PushUpdate{{"HEAD@{1 day ago}", long, "refs/heads/x", long}}},
		{name: "too few fields", in: "refs/heads/main " + a + " " + b + "\n", bad: true},
		{name: "short id", in: "r abc r " + b + "\n", bad: true},
		{name: "option as id", in: "r --output=/tmp/x r " + b + "\n", bad: true},
		{name: "upper-case id", in: "r " + strings.ToUpper(a) + " r " + b + "\n", bad: true},
		{name: "overlong line", in: "r " + strings.Repeat("x", maxPushLine) + " " + a + " r " + b + "\n", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePushUpdates(strings.NewReader(tc.in))
			if tc.bad {
				if err == nil {
					t.Fatalf("no error; got %+v", got)
				}
				if len(err.Error()) > 400 {
					t.Errorf("error too long: %d bytes", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("line %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func FuzzParsePushUpdates(f *testing.F) {
	a := strings.Repeat("a", 40)
	f.Add("refs/heads/main " + a + " refs/heads/main " + zeroID() + "\n")
	f.Add("(delete) " + zeroID() + " refs/heads/x " + a)
	f.Fuzz(func(t *testing.T, in string) {
		ups, err := ParsePushUpdates(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, u := range ups {
			if !validID(u.LocalID) || !validID(u.RemoteID) || strings.HasPrefix(u.LocalID, "-") {
				t.Fatalf("accepted %+v", u)
			}
		}
	})
}

// TestPushRevs: what a push sends is its local commits minus what the
// remote has: the remote's old commit, or for a new ref (or an unknown
// remote commit) everything on a remote-tracking branch. Deletions send
// nothing, a tag is peeled, and every argument is an id or an option.
func TestPushRevs(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "1\n")
	c1 := r.Commit("one")
	r.Write("f", "2\n")
	c2 := r.Commit("two")
	r.Git("update-ref", "refs/remotes/origin/main", c1)
	r.Git("tag", "-a", "-m", "tag", "v1", c2)
	tag := r.Git("rev-parse", "v1")
	tree := r.Git("rev-parse", "HEAD^{tree}")
	unknown := strings.Repeat("7", 40)
	z := zeroID()
	g := r.open()
	for _, tc := range []struct {
		name    string
		updates []PushUpdate
		want    string
		notes   int
	}{
		{"update", []PushUpdate{{"refs/heads/main", c2, "refs/heads/main", c1}}, c2 + " --not " + c1, 0},
		{"new branch", []PushUpdate{{"refs/heads/main", c2, "refs/heads/new", z}}, c2 + " --not --remotes", 0},
		{"deletion only", []PushUpdate{{"(delete)", z, "refs/heads/old", c1}}, "", 0},
		{"unknown remote commit", []PushUpdate{{"refs/heads/main", c2, "refs/heads/main", unknown}}, c2 + " --not --remotes", 1},
		{"annotated tag", []PushUpdate{{"refs/tags/v1", tag, "refs/tags/v1", z}}, c2 + " --not --remotes", 0},
		{"tree", []PushUpdate{{"refs/tags/t", tree, "refs/tags/t", z}}, "", 1},
		{"two refs, one commit", []PushUpdate{
			{"refs/heads/main", c2, "refs/heads/main", c1},
			{"refs/heads/copy", c2, "refs/heads/copy", z},
			{"(delete)", z, "refs/heads/gone", c1},
		}, c2 + " --not " + c1 + " --remotes", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, notes, err := g.PushRevs(context.Background(), tc.updates)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(args, " "); got != tc.want {
				t.Errorf("args = %q, want %q", got, tc.want)
			}
			if len(notes) != tc.notes {
				t.Errorf("notes = %q, want %d", notes, tc.notes)
			}
			// rev-list takes them as they are.
			if len(args) > 0 {
				if err := g.RevList(context.Background(), args, func(string) error { return nil }); err != nil {
					t.Errorf("rev-list %v: %v", args, err)
				}
			}
		})
	}
	if _, _, err := g.PushRevs(context.Background(), []PushUpdate{{"x", "--all", "y", z}}); err == nil {
		t.Error("an option as an id: no error")
	}
}

func TestResolveCommits(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "1\n")
	c1 := r.Commit("one")
	r.Write("f", "2\n")
	c2 := r.Commit("two")
	g := r.open()
	ids, err := g.ResolveCommits(context.Background(), []string{"HEAD", "main~1", c1, "no-such-ref", "HEAD^{tree}", "HEAD@{0}"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{c2, c1, c1, "", "", c2}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("ids = %q, want %q", ids, want)
	}
	for _, bad := range []string{"", "-all", "--output=/tmp/x", "HEAD\nHEAD", "a\x00b"} {
		if _, err := g.ResolveCommits(context.Background(), []string{bad}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// One by one, as in a partial clone where the batch stops.
	if id, err := g.resolveOne(context.Background(), "main~1"); err != nil || id != c1 {
		t.Errorf("resolveOne = %q, %v", id, err)
	}
	if id, err := g.resolveOne(context.Background(), strings.Repeat("7", 40)); err != nil || id != "" {
		t.Errorf("resolveOne(unknown) = %q, %v", id, err)
	}
}

// TestHooksDir: hooks go where git runs them from: the repository's
// hooks folder (shared by linked worktrees, in the git directory of a
// bare repository), or core.hooksPath, relative to the work tree's top.
func TestHooksDir(t *testing.T) {
	r := newRepo(t)
	r.Write("sub/f", "1\n")
	r.Commit("one")
	real := func(p string) string {
		t.Helper()
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		q, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	check := func(path, want string) {
		t.Helper()
		got, err := HooksDir(context.Background(), path, "")
		if err != nil {
			t.Fatal(err)
		}
		if got != real(want) {
			t.Errorf("HooksDir(%s) = %s, want %s", path, got, want)
		}
	}
	check(r.Dir, filepath.Join(r.Dir, ".git", "hooks"))
	check(filepath.Join(r.Dir, "sub"), filepath.Join(r.Dir, ".git", "hooks"))

	wt := filepath.Join(t.TempDir(), "wt")
	r.Git("worktree", "add", "-q", wt)
	check(wt, filepath.Join(r.Dir, ".git", "hooks"))

	bare := filepath.Join(t.TempDir(), "b.git")
	testkit.RunGit(t, r.Dir, r.Env(), "clone", "-q", "--bare", r.Dir, bare)
	check(bare, filepath.Join(bare, "hooks"))

	r.Git("config", "core.hooksPath", ".githooks")
	check(filepath.Join(r.Dir, "sub"), filepath.Join(r.Dir, ".githooks"))
	abs := t.TempDir()
	r.Git("config", "core.hooksPath", abs)
	check(r.Dir, abs)

	if _, err := HooksDir(context.Background(), t.TempDir(), ""); err == nil {
		t.Error("not a repository: no error")
	}
}
