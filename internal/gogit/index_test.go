package gogit

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goindex "github.com/go-git/go-git/v5/plumbing/format/index"

	"github.com/leakhound/leakhound/internal/testkit"
)

// indexView is what the staged reader takes from an index: each entry's
// name, mode, id, stage and intent-to-add flag, and the valid cache-tree
// nodes as go-git keeps them (name within the parent, entries, tree id).
type indexView struct {
	entries []string
	cache   []string
}

func viewOurs(t *testing.T, raw []byte) indexView {
	t.Helper()
	x, err := parseIndex(raw)
	if err != nil {
		t.Fatalf("parseIndex: %v", err)
	}
	var v indexView
	err = x.each(func(e *indexEntry) error {
		v.entries = append(v.entries, fmt.Sprintf("%s %o %s %d %v", e.name, e.mode, e.id, e.stage, e.ita))
		return nil
	})
	if err != nil {
		t.Fatalf("each: %v", err)
	}
	for dir, n := range x.cache {
		name := path.Base(dir)
		if dir == "" {
			name = ""
		}
		v.cache = append(v.cache, fmt.Sprintf("%q %d %s", name, n.entries, n.id))
	}
	slices.Sort(v.cache)
	return v
}

func viewGoGit(t *testing.T, raw []byte) indexView {
	t.Helper()
	var idx goindex.Index
	if err := goindex.NewDecoder(bytes.NewReader(raw)).Decode(&idx); err != nil {
		t.Fatalf("go-git's decoder: %v", err)
	}
	var v indexView
	for _, e := range idx.Entries {
		v.entries = append(v.entries, fmt.Sprintf("%s %o %s %d %v", e.Name, uint32(e.Mode), e.Hash, e.Stage, e.IntentToAdd))
	}
	if idx.Cache != nil {
		for _, n := range idx.Cache.Entries {
			v.cache = append(v.cache, fmt.Sprintf("%q %d %s", n.Path, n.Entries, n.Hash))
		}
	}
	slices.Sort(v.cache)
	return v
}

// TestIndexMatchesGoGit: the index reader reads every entry and every
// valid cache-tree node exactly as go-git's own index decoder does, on
// indexes git writes in versions 2, 3 and 4, with conflicts, intent-to-add
// entries, submodules, symbolic links, executable files, a name longer
// than the 12 bits of an entry's name length, and cache-trees both whole
// and invalidated by what was staged after the commit.
func TestIndexMatchesGoGit(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 8
	}
	versions := make([]int, seeds)
	t.Cleanup(func() {
		for v := 2; v <= 4; v++ {
			if !t.Failed() && !slices.Contains(versions, v) {
				t.Errorf("no index of version %d was read", v)
			}
		}
	})
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 29))
			r := &randRepo{t: t, rng: rng, dir: t.TempDir(),
				env: append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
					"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=c", "GIT_COMMITTER_EMAIL=c@example.com"),
				toks: []string{testkit.TokA, testkit.TokB}}
			r.git("init", "-q", "-b", "main")
			version := 2 + int(seed%3)
			r.git("config", "index.version", fmt.Sprint(version))
			r.populate(10 + rng.IntN(40))
			if rng.IntN(2) == 0 {
				// A name past 0xfff bytes: its length is found by its NUL.
				blob := r.git("hash-object", "-w", "--stdin")
				long := strings.Repeat("long-folder-name/", 260) + "file"
				r.git("update-index", "--add", "--cacheinfo", "100644,"+blob+","+long)
			}
			r.git("commit", "-q", "--allow-empty", "-m", "base")
			r.stage(1 + rng.IntN(8))
			if seed%2 == 0 {
				// Intended to be added: an entry with extended flags.
				p := fmt.Sprintf("later-%d.txt", seed)
				r.write(p, r.content(), false)
				r.git("add", "-N", "--", p)
			}
			raw, err := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
			if err != nil {
				t.Fatal(err)
			}
			// git writes version 3 for 2 or 2 for 3 as the entries need
			// extended flags (intent-to-add) or not; 4 stays 4.
			if got := int(raw[7]); got != version && (version == 4 || got == 4) {
				t.Fatalf("index version %d, want %d", got, version)
			}
			versions[seed] = int(raw[7])
			ours, theirs := viewOurs(t, raw), viewGoGit(t, raw)
			if !slices.Equal(ours.entries, theirs.entries) {
				t.Errorf("entries differ from go-git's (ops: %s)\nours:   %q\ngo-git: %q", strings.Join(r.ops, "; "), ours.entries, theirs.entries)
			}
			if !slices.Equal(ours.cache, theirs.cache) {
				t.Errorf("cache-tree differs from go-git's (ops: %s)\nours:   %q\ngo-git: %q", strings.Join(r.ops, "; "), ours.cache, theirs.cache)
			}
		})
	}
}

// FuzzParseIndex: an index file of any bytes gives entries or an error
// matching ErrFallback, never a panic; what parses, walks.
func FuzzParseIndex(f *testing.F) {
	dir := f.TempDir()
	for _, version := range []string{"2", "3", "4"} {
		repo := filepath.Join(dir, "v"+version)
		for _, args := range [][]string{
			{"init", "-q", repo},
			{"-C", repo, "config", "index.version", version},
		} {
			if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
				f.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		for _, name := range []string{"a", "b/c", "b/d e", "f/g/h"} {
			p := filepath.Join(repo, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				f.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
				f.Fatal(err)
			}
		}
		cmd := exec.Command("git", "-C", repo, "add", "-A")
		if out, err := cmd.CombinedOutput(); err != nil {
			f.Fatalf("git add: %v\n%s", err, out)
		}
		cmd = exec.Command("git", "-C", repo, "write-tree") // fills the cache-tree
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			f.Fatalf("git write-tree: %v\n%s", err, out)
		}
		raw, err := os.ReadFile(filepath.Join(repo, ".git", "index"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		// The same as index.skipHash writes it: the checksum zeroed.
		skip := bytes.Clone(raw)
		clear(skip[len(skip)-20:])
		f.Add(skip)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		x, err := parseIndex(raw)
		if err != nil {
			if !errors.Is(err, ErrFallback) {
				t.Fatalf("error %v does not match ErrFallback", err)
			}
			return
		}
		n := 0
		if err := x.each(func(e *indexEntry) error { n++; return nil }); err != nil {
			t.Fatalf("parsed, then failed to walk: %v", err)
		}
		if n != x.count {
			t.Fatalf("walked %d entries of %d", n, x.count)
		}
	})
}
