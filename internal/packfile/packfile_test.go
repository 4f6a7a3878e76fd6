package packfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A",
		"GIT_COMMITTER_EMAIL=a@example.com", "GIT_AUTHOR_DATE=2020-01-01T00:00:00Z",
		"GIT_COMMITTER_DATE=2020-01-01T00:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// history builds a repository whose files change a little in each of many
// commits, so a repack stores most versions as deltas, some deep.
func history(t testing.TB, format string, commits int) string {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "--object-format="+format)
	rng := rand.New(rand.NewPCG(1, 2))
	files := map[string][]string{}
	for c := range commits {
		for f := range 4 {
			name := filepath.Join(dir, fmt.Sprintf("d%d/file%d.txt", f%2, f))
			lines := files[name]
			switch {
			case len(lines) < 20 || rng.IntN(3) == 0:
				at := rng.IntN(len(lines) + 1)
				lines = append(lines[:at], append([]string{fmt.Sprintf("line %d of commit %d: %x", at, c, rng.Uint64())}, lines[at:]...)...)
			case rng.IntN(2) == 0:
				at := rng.IntN(len(lines))
				lines = append(lines[:at], lines[at+1:]...)
			default:
				lines[rng.IntN(len(lines))] += " edited"
			}
			files[name] = lines
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-q", "-m", fmt.Sprintf("commit %d", c))
	}
	return dir
}

// catAll returns every object git holds: id → "type\x00content".
func catAll(t testing.TB, dir string) map[string]string {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch-all-objects", "--batch")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]string{}
	r := bufio.NewReader(bytes.NewReader(out))
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			return objs
		}
		f := strings.Fields(line)
		size, _ := strconv.Atoi(f[2])
		data := make([]byte, size+1)
		if _, err := io.ReadFull(r, data); err != nil {
			t.Fatal(err)
		}
		objs[f[0]] = f[1] + "\x00" + string(data[:size])
	}
}

// walkAll walks dir's objects and returns what it saw, checking that each
// delta's Ops rebuild it from its base.
func walkAll(t testing.TB, dir string, hashLen, threads int) (map[string]string, int, []error) {
	t.Helper()
	r, err := Open(filepath.Join(dir, ".git", "objects"), hashLen)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var mu sync.Mutex
	got := map[string]string{}
	deltas := 0
	var bad []error
	err = r.Walk(context.Background(), threads, func(_ int, o *Object) error {
		if o.Base != nil {
			var rebuilt []byte
			for _, op := range o.Ops {
				if op.Target != len(rebuilt) {
					return fmt.Errorf("%x: op at %d, want %d", o.ID, op.Target, len(rebuilt))
				}
				if op.Base < 0 {
					rebuilt = append(rebuilt, o.Data[op.Target:op.Target+op.Len]...)
				} else {
					rebuilt = append(rebuilt, o.Base.Data[op.Base:op.Base+op.Len]...)
				}
			}
			if !bytes.Equal(rebuilt, o.Data) {
				return fmt.Errorf("%x: ops do not rebuild the object", o.ID)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if o.Base != nil {
			deltas++
		}
		id := hex.EncodeToString(o.ID)
		if _, dup := got[id]; dup {
			return fmt.Errorf("%s visited twice", id)
		}
		got[id] = o.Kind.String() + "\x00" + string(o.Data)
		return nil
	}, func(e *ObjectError) {
		mu.Lock()
		bad = append(bad, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, deltas, bad
}

func TestWalkMatchesGit(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			dir := history(t, format, 60)
			git(t, dir, "gc", "-q", "--aggressive")
			// Some loose objects next to the pack.
			if err := os.WriteFile(filepath.Join(dir, "loose.txt"), []byte("a loose blob\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			git(t, dir, "add", "loose.txt")
			git(t, dir, "commit", "-q", "-m", "loose")
			hashLen := 20
			if format == "sha256" {
				hashLen = 32
			}
			want := catAll(t, dir)
			for _, threads := range []int{1, 3} {
				got, deltas, bad := walkAll(t, dir, hashLen, threads)
				if len(bad) > 0 {
					t.Fatalf("unreadable objects: %v", bad)
				}
				if len(got) != len(want) {
					t.Fatalf("threads %d: walked %d objects, git has %d", threads, len(got), len(want))
				}
				for id, w := range want {
					if got[id] != w {
						t.Fatalf("threads %d: object %s differs from git's", threads, id)
					}
				}
				if deltas < len(want)/3 {
					t.Errorf("only %d of %d objects came as deltas; the test history should be mostly deltas", deltas, len(want))
				}
			}
		})
	}
}

func TestWalkAlternatesAndSeveralPacks(t *testing.T) {
	src := history(t, "sha1", 20)
	git(t, src, "gc", "-q")
	dir := t.TempDir()
	git(t, dir, "clone", "-q", "--shared", src, "clone")
	clone := filepath.Join(dir, "clone")
	// A second pack in the clone itself.
	if err := os.WriteFile(filepath.Join(clone, "new.txt"), []byte("new in the clone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, clone, "add", "new.txt")
	git(t, clone, "commit", "-q", "-m", "more")
	git(t, clone, "repack", "-q", "-d") // packs only the clone's own objects
	want := catAll(t, clone)
	got, _, bad := walkAll(t, clone, 20, 2)
	if len(bad) > 0 {
		t.Fatalf("unreadable objects: %v", bad)
	}
	for id, w := range want {
		if got[id] != w {
			t.Fatalf("object %s differs from git's or is missing", id)
		}
	}
}

// TestWalkCorruptPack damages a pack in many places: every object must be
// either read correctly or reported, never panic, never hang.
func TestWalkCorruptPack(t *testing.T) {
	dir := history(t, "sha1", 30)
	git(t, dir, "gc", "-q", "--aggressive")
	want := catAll(t, dir)
	packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("want one pack, have %v", packs)
	}
	orig, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		b := bytes.Clone(orig)
		for range 1 + rng.IntN(4) {
			i := 12 + rng.IntN(len(b)-32)
			b[i] ^= byte(1 + rng.IntN(255))
		}
		if err := os.WriteFile(packs[0], b, 0o644); err != nil {
			t.Fatal(err)
		}
		got, _, bad := walkAll(t, dir, 20, 2)
		// zlib's checksum catches damage to the compressed data, so
		// what is read must be right.
		for id, g := range got {
			if want[id] != g {
				t.Fatalf("object %s was read wrong rather than reported", id)
			}
		}
		if len(got)+len(bad) < len(want) {
			t.Fatalf("%d objects read and %d reported, of %d", len(got), len(bad), len(want))
		}
	}
}

func TestOpenRejectsWhatItCannotRead(t *testing.T) {
	dir := history(t, "sha1", 3)
	git(t, dir, "gc", "-q")
	idxs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
	b, err := os.ReadFile(idxs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[7] = 1 // version 1 header is not what follows, and not supported
	if err := os.WriteFile(idxs[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(filepath.Join(dir, ".git", "objects"), 20)
	if err == nil || !strings.Contains(err.Error(), idxs[0]) {
		t.Fatalf("want an error naming %s, got %v", idxs[0], err)
	}
}

// TestRadixSort: radixSort sorts as slices.Sort does, over widths that
// take one digit to several, with digits all keys share.
func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, width := range []uint{1, 5, 11, 12, 30, 49, 63, 64} {
		for _, n := range []int{0, 1, 2, 100, 5000} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = rng.Uint64() >> (64 - width)
				if i%3 == 0 {
					keys[i] &^= 0xFFF << 11 // a digit most keys share
				}
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			if got := radixSort(keys, make([]uint64, n), width); !slices.Equal(got, want) {
				t.Fatalf("width %d, %d keys: not sorted", width, n)
			}
		}
	}
}

func TestSortByOffset(t *testing.T) {
	for _, offs := range [][]uint64{
		{},
		{12},
		{500, 12, 90000, 300},
		{1 << 62, 12, 1 << 40, 7}, // too wide to pack with the position: sorted by comparison
	} {
		got := sortByOffset(offs)
		if len(got) != len(offs) {
			t.Fatalf("%v: %d positions", offs, len(got))
		}
		seen := map[uint32]bool{}
		for i, k := range got {
			seen[k] = true
			if i > 0 && offs[got[i-1]] >= offs[k] {
				t.Fatalf("%v: order %v", offs, got)
			}
		}
		if len(seen) != len(offs) {
			t.Fatalf("%v: positions repeat: %v", offs, got)
		}
	}
}
