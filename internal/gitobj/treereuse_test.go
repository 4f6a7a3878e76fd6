package gitobj

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/packfile"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/testkit"
)

// treeHistory builds a repository of many tree versions with git
// fast-import: nested folders whose files are edited, added, deleted,
// made symbolic links and submodules (whose commits are absent, so the
// store interns them as it parses), on two branches; then packs it as
// tightly as git can, so that most trees are deltas, many chains deep.
func treeHistory(t *testing.T, format string, commits int, seed uint64) *testRepo {
	t.Helper()
	r := &testRepo{&testkit.Repo{T: t, Dir: t.TempDir()}}
	r.Git("init", "-q", "-b", "main", "--object-format="+format)
	hexLen := 40
	if format == "sha256" {
		hexLen = 64
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	var stream strings.Builder
	data := func(s string) { fmt.Fprintf(&stream, "data %d\n%s\n", len(s), s) }
	paths := map[string]bool{}
	randomPath := func() string {
		p := fmt.Sprintf("d%d/", rng.IntN(6))
		if rng.IntN(2) == 0 {
			p += fmt.Sprintf("s%d/", rng.IntN(4))
		}
		return p + fmt.Sprintf("f %02d.txt", rng.IntN(40)) // a space in names, as trees allow
	}
	for c := range commits {
		branch := "main"
		if c >= commits/2 && c%3 == 0 {
			branch = "side"
		}
		fmt.Fprintf(&stream, "commit refs/heads/%s\nmark :%d\n", branch, c+1)
		fmt.Fprintf(&stream, "committer Cy <cy@example.com> %d +0000\n", 1600000000+c)
		data(fmt.Sprintf("commit %d", c))
		if c == commits/2 {
			fmt.Fprintf(&stream, "from :%d\n", c)
		}
		n := 1 + rng.IntN(3)
		if c == 0 {
			n = 120
		}
		for range n {
			p := randomPath()
			switch k := rng.IntN(10); {
			case k < 6 || !paths[p]:
				mode := "100644"
				if rng.IntN(8) == 0 {
					mode = "100755"
				}
				fmt.Fprintf(&stream, "M %s inline %s\n", mode, p)
				data(fmt.Sprintf("content %d of %s\n", rng.IntN(1000), p))
				paths[p] = true
			case k < 8:
				fmt.Fprintf(&stream, "D %s\n", p)
				delete(paths, p)
			case k < 9:
				fmt.Fprintf(&stream, "M 120000 inline %s\n", p)
				data("target")
			default:
				var id strings.Builder
				for range hexLen {
					id.WriteByte("0123456789abcdef"[rng.IntN(16)])
				}
				fmt.Fprintf(&stream, "M 160000 %s %s\n", id.String(), p)
			}
		}
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Env, cmd.Stdin = r.Dir, r.Env(), strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v\n%s", err, out)
	}
	r.Git("repack", "-q", "-adf", "--depth=50", "--window=250")
	return r
}

// readStore reads r's objects in-process into a new store.
func readStore(t *testing.T, r *testRepo, threads int, reuse bool) *Store {
	t.Helper()
	ctx := context.Background()
	g := r.open()
	hashLen, dir, err := g.ObjectStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := NewStore(hashLen)
	p := &Reader{Git: g, Threads: threads, noTreeReuse: !reuse}
	none := func(*detect.Fragment) ([]detect.Finding, error) { return nil, nil }
	if err := p.readPacks(ctx, st, dir, none, source.NopEvents{}); err != nil {
		t.Fatal(err)
	}
	return st
}

// resolvedTrees lists every tree's entries by name, mode and object id,
// which do not depend on the order in which the store met them.
func resolvedTrees(st *Store) map[string][]string {
	trees := map[string][]string{}
	for i := range st.count() {
		if st.kind[i] != kindTree {
			continue
		}
		var list []string
		for e := range st.entries(uint32(i)) {
			list = append(list, fmt.Sprintf("%d %q %s", e.mode(), st.names[e.name()], st.hex(e.obj())))
		}
		trees[st.hex(uint32(i))] = list
	}
	return trees
}

// TestTreeReuseKeepsStore reads histories whose trees are mostly deltas
// with and without taking copied entries from the bases: on one thread
// the stores must be identical, field by field; on two, every tree must
// hold the same entries.
func TestTreeReuseKeepsStore(t *testing.T) {
	commits := 400
	if testing.Short() {
		commits = 120
	}
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			r := treeHistory(t, format, commits, 7)
			whole := readStore(t, r, 1, false)
			reused := readStore(t, r, 1, true)
			if whole.copied != 0 {
				t.Fatalf("%d entries copied with reuse off", whole.copied)
			}
			if reused.copied*2 < reused.nentries {
				t.Fatalf("only %d of %d entries copied: most trees here are deltas of their last version", reused.copied, reused.nentries)
			}
			t.Logf("%d of %d tree entries copied", reused.copied, reused.nentries)
			if reused.stored*2 > reused.nentries {
				t.Fatalf("%d of %d tree entries stored: most trees here should be segments of their bases'", reused.stored, reused.nentries)
			}
			if diff := sameStore(whole, reused); diff != "" {
				t.Fatalf("the store read with copied entries differs from the one parsed whole: %s", diff)
			}
			want := resolvedTrees(whole)
			for range 3 {
				got := resolvedTrees(readStore(t, r, 2, true))
				if !reflect.DeepEqual(got, want) {
					t.Fatal("on two threads, trees read with copied entries differ from those parsed whole")
				}
			}
		})
	}
}

// randomTree returns a tree of n random entries: modes of every kind,
// names with spaces, ids that hold NUL and space bytes.
func randomTree(rng *rand.Rand, n, hashLen int) [][]byte {
	modes := []string{"100644", "100755", "40000", "120000", "160000"}
	var entries [][]byte
	for range n {
		e := []byte(modes[rng.IntN(len(modes))] + " ")
		for range 1 + rng.IntN(6) {
			e = append(e, "ab c.\xff"[rng.IntN(6)])
		}
		e = append(e, 0)
		for range hashLen {
			e = append(e, []byte{0, ' ', '1', 0xfe}[rng.IntN(4)])
		}
		entries = append(entries, e)
	}
	return entries
}

// randomDelta describes data as copies from base and inserts, the way a
// delta encoder might: stretches of any length, aligned to entries or
// not, copied from wherever in base the same bytes are, the first or the
// last place.
func randomDelta(rng *rand.Rand, base, data []byte) []packfile.Op {
	var ops []packfile.Op
	for pos := 0; pos < len(data); {
		n := min(len(data)-pos, 1+rng.IntN(120))
		piece := data[pos : pos+n]
		from := -1
		if rng.IntN(5) > 0 {
			from = bytes.Index(base, piece)
			if rng.IntN(2) == 0 {
				from = bytes.LastIndex(base, piece)
			}
		}
		k := len(ops) - 1
		switch {
		case from < 0 && k >= 0 && ops[k].Base < 0:
			ops[k].Len += n
		case from < 0:
			ops = append(ops, packfile.Op{Target: pos, Len: n, Base: -1})
		case k >= 0 && ops[k].Base >= 0 && ops[k].Base+ops[k].Len == from:
			ops[k].Len += n
		default:
			ops = append(ops, packfile.Op{Target: pos, Len: n, Base: from})
		}
		pos += n
	}
	return ops
}

// TestMapTreeRandom checks mapTree on random trees and random deltas
// between them: the bounds it returns are entryBounds', every run starts
// at an entry, copies its base entries' bytes exactly, and a store that
// takes the runs' entries holds the very entries, and refuses the very
// trees, of a store that parses everything.
func TestMapTreeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	iterations := 20000
	if testing.Short() {
		iterations = 2000
	}
	runs, copied := 0, 0
	for it := range iterations {
		hashLen := []int{20, 32}[it%2]
		baseEntries := randomTree(rng, rng.IntN(30), hashLen)
		entries := slices.Clone(baseEntries)
		for range rng.IntN(5) {
			switch at := rng.IntN(len(entries) + 1); rng.IntN(4) {
			case 0:
				entries = slices.Insert(entries, at, randomTree(rng, 1, hashLen)...)
			case 1:
				if at < len(entries) {
					entries = slices.Delete(entries, at, at+1)
				}
			case 2:
				if at < len(entries) {
					e := slices.Clone(entries[at])
					e[len(e)-1-rng.IntN(hashLen)] ^= 1
					entries[at] = e
				}
			case 3:
				entries = append(entries[:at:at], append(randomTree(rng, 2, hashLen), entries[at:]...)...)
			}
		}
		base, data := bytes.Join(baseEntries, nil), bytes.Join(entries, nil)
		if rng.IntN(10) == 0 && len(data) > 0 {
			data = slices.Clone(data)
			data[rng.IntN(len(data))] = []byte{0, ' ', 'x'}[rng.IntN(3)] // perhaps no longer a tree
		}
		ops := randomDelta(rng, base, data)
		baseBounds, ok := entryBounds(base, hashLen, nil)
		if !ok {
			t.Fatalf("iteration %d: random base is not delimited", it)
		}
		bounds, got, ok := mapTree(baseBounds, ops, data, hashLen, nil, nil)
		wantBounds, wantOK := entryBounds(data, hashLen, nil)
		if ok != wantOK || (ok && !slices.Equal(bounds, wantBounds)) {
			t.Fatalf("iteration %d: mapTree bounds %v %v, entryBounds %v %v", it, bounds, ok, wantBounds, wantOK)
		}
		for _, r := range got {
			if !slices.Contains(wantBounds, r.start) || !slices.Contains(wantBounds, r.end) {
				t.Fatalf("iteration %d: run %+v does not start and end at entries %v", it, r, wantBounds)
			}
			if !bytes.Equal(data[r.start:r.end], base[baseBounds[r.k]:baseBounds[r.k+r.n]]) {
				t.Fatalf("iteration %d: run %+v does not copy its base entries", it, r)
			}
			runs++
			copied += int(r.n)
		}
		compareStores(t, it, hashLen, base, data, got)
	}
	if runs < iterations/2 || copied < iterations*3 {
		t.Fatalf("%d runs of %d entries in %d trees: the deltas should copy many entries whole", runs, copied, iterations)
	}
}

// compareStores adds base then data to two stores, one taking runs from
// base, and checks that they end the same.
func compareStores(t *testing.T, it, hashLen int, base, data []byte, runs []reuseRun) {
	t.Helper()
	whole, reused := smallStore(hashLen), smallStore(hashLen)
	id := func(st *Store, b byte) uint32 { return st.intern(bytes.Repeat([]byte{b}, hashLen)) }
	for _, st := range []*Store{whole, reused} {
		if err := st.add(id(st, 1), "tree", base); err != nil {
			t.Fatalf("iteration %d: base: %v", it, err)
		}
		id(st, 2)
	}
	errWhole := whole.add(id(whole, 2), "tree", data)
	errReused := reused.addReusing(id(reused, 2), "tree", data, &treeReuse{base: id(reused, 1), runs: runs})
	if fmt.Sprint(errWhole) != fmt.Sprint(errReused) {
		t.Fatalf("iteration %d: parsed whole: %v; with runs %v: %v", it, errWhole, runs, errReused)
	}
	if diff := sameStore(whole, reused); diff != "" {
		t.Fatalf("iteration %d: stores differ with runs %+v: %s", it, runs, diff)
	}
}

// smallStore is newStore without its first megabytes of tables, which
// made thousands of tiny stores slow.
func smallStore(hashLen int) *Store {
	return &Store{hashLen: hashLen, index: newOIDTable(1, hashLen), nameIndex: map[string]uint32{},
		ents: chunked[entry]{chunks: [][]entry{make([]entry, 0, 1024)}}, found: map[uint32][]detect.Finding{},
		shallow: map[uint32]bool{}, unreadable: map[uint32]string{}}
}

// sameStore says how two stores that read the same objects differ in
// what they hold, whatever the way each keeps its trees; "" if they do
// not.
func sameStore(a, b *Store) string {
	switch {
	case !reflect.DeepEqual(resolvedTrees(a), resolvedTrees(b)):
		return "trees"
	case !slices.Equal(a.kind, b.kind):
		return "kinds"
	case !slices.Equal(a.names, b.names):
		return "names"
	case !bytes.Equal(a.index.ids, b.index.ids):
		return "ids"
	case !reflect.DeepEqual(a.commits, b.commits):
		return "commits"
	case a.nentries != b.nentries:
		return fmt.Sprintf("%d entries against %d", a.nentries, b.nentries)
	}
	for i := range a.kind {
		if a.kind[i] == kindTree && a.treeLen(uint32(i)) != b.treeLen(uint32(i)) {
			return fmt.Sprintf("tree %d's length", i)
		}
	}
	return ""
}
