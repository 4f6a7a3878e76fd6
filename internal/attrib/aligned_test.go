package attrib

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitobj"
	"github.com/leakhound/leakhound/internal/source"
)

// treeEnt is one entry of a test tree.
type treeEnt struct {
	name string
	mode string // "100644", "40000", "120000", "160000"
	id   []byte
}

// randomHistory builds a store of random commits, half of them merges,
// whose trees are edited versions of their parents' (entries kept,
// changed, retyped, removed, added, subtrees edited in turn) and whose
// merges take each entry from either side. Trees are in git's order, as
// git writes them.
type randomHistory struct {
	t     *testing.T
	rng   *rand.Rand
	st    *gitobj.Store
	next  uint64
	trees map[string][]treeEnt
	blobs [][]byte
}

// Names that sort differently as a file and as a directory ("foo.txt"
// before "foo/", "foo-bar" before both) and an ordinary spread.
var testNames = []string{"a", "b", "c.go", "d", "foo", "foo-bar", "foo.txt", "foo0", "m", "x.md", "y", "zz"}

func (h *randomHistory) id() []byte {
	h.next++
	return fmt.Appendf(nil, "%020d", h.next)
}

func (h *randomHistory) blob() []byte {
	id := h.id()
	b := h.st.Intern(id)
	switch k := h.rng.IntN(10); {
	case k < 4:
		// Candidates; secrets from a small pool, so that a parent's
		// version often holds the same one.
		var found []detect.Finding
		for range 1 + h.rng.IntN(2) {
			found = append(found, detect.Finding{RuleID: "r", Secret: fmt.Sprintf("s%d", h.rng.IntN(6)), StartLine: 1})
		}
		h.st.SetBlob(b, gitobj.BlobFound, found)
	case k < 5:
		h.st.SetBlob(b, gitobj.BlobTooLarge, nil)
	case k < 6:
		// Never read: missing.
	default:
		h.st.SetBlob(b, gitobj.BlobClean, nil)
	}
	h.blobs = append(h.blobs, id)
	return id
}

func (h *randomHistory) entry(name string, depth int) treeEnt {
	switch k := h.rng.IntN(10); {
	case k < 6 || depth >= 3:
		if h.rng.IntN(4) == 0 && len(h.blobs) > 0 {
			// A blob that is elsewhere too.
			return treeEnt{name, "100644", h.blobs[h.rng.IntN(len(h.blobs))]}
		}
		return treeEnt{name, "100644", h.blob()}
	case k < 8:
		return treeEnt{name, "40000", h.tree(nil, depth+1)}
	case k < 9:
		return treeEnt{name, "120000", h.blob()}
	default:
		return treeEnt{name, "160000", h.id()}
	}
}

// tree writes a tree: an edited copy of base's entries, or new ones.
func (h *randomHistory) tree(base []treeEnt, depth int) []byte {
	byName := map[string]treeEnt{}
	for _, e := range base {
		byName[e.name] = e
	}
	var ents []treeEnt
	for _, n := range testNames {
		e, ok := byName[n]
		k := h.rng.IntN(100)
		switch {
		case !ok && k < 12:
			ents = append(ents, h.entry(n, depth))
		case !ok:
		case k < 70:
			ents = append(ents, e)
		case k < 78:
			// removed
		case k < 90 && e.mode == "40000":
			ents = append(ents, treeEnt{n, "40000", h.tree(h.trees[string(e.id)], depth+1)})
		default:
			ents = append(ents, h.entry(n, depth))
		}
	}
	return h.write(ents)
}

// merge writes a tree taking each name from one side or the other,
// merging subtrees both sides have, with now and then an edit of its own.
func (h *randomHistory) merge(x, y []treeEnt, depth int) []byte {
	xs, ys := map[string]treeEnt{}, map[string]treeEnt{}
	for _, e := range x {
		xs[e.name] = e
	}
	for _, e := range y {
		ys[e.name] = e
	}
	var ents []treeEnt
	for _, n := range testNames {
		a, inX := xs[n]
		b, inY := ys[n]
		k := h.rng.IntN(100)
		switch {
		case !inX && !inY:
		case k < 10:
			ents = append(ents, h.entry(n, depth))
		case k < 15:
			// removed by the merge
		case inX && inY && a.mode == "40000" && b.mode == "40000" && k < 40:
			ents = append(ents, treeEnt{n, "40000", h.merge(h.trees[string(a.id)], h.trees[string(b.id)], depth+1)})
		case inX && (!inY || k < 65):
			ents = append(ents, a)
		default:
			if inY {
				ents = append(ents, b)
			}
		}
	}
	return h.write(ents)
}

func (h *randomHistory) write(ents []treeEnt) []byte {
	key := func(e treeEnt) string {
		if e.mode == "40000" {
			return e.name + "/"
		}
		return e.name
	}
	slices.SortFunc(ents, func(a, b treeEnt) int { return strings.Compare(key(a), key(b)) })
	var data []byte
	for _, e := range ents {
		data = fmt.Appendf(data, "%s %s\x00%s", e.mode, e.name, e.id)
	}
	id := h.id()
	if err := h.st.Add(h.st.Intern(id), "tree", data); err != nil {
		h.t.Fatal(err)
	}
	h.trees[string(id)] = ents
	return id
}

func hexOf(id []byte) string { return fmt.Sprintf("%x", id) }

// TestAlignedWalkEqualsMatchingByName: the walk that lines entries up
// with the parents' emits the same findings and raises the same events,
// in the same order, as matching every entry by name, over random
// histories of edits and merges.
func TestAlignedWalkEqualsMatchingByName(t *testing.T) {
	for seed := range uint64(20) {
		h := &randomHistory{t: t, rng: rand.New(rand.NewPCG(seed, 3)), st: gitobj.NewStore(20), trees: map[string][]treeEnt{}}
		var commits [][]byte
		treeOf := map[string][]byte{}
		for i := range 60 {
			var parents [][]byte
			var tree []byte
			switch {
			case i == 0:
				tree = h.tree(nil, 0)
			case i > 2 && h.rng.IntN(2) == 0:
				p, q := commits[h.rng.IntN(len(commits))], commits[h.rng.IntN(len(commits))]
				parents = [][]byte{p, q}
				tree = h.merge(h.trees[string(treeOf[string(p)])], h.trees[string(treeOf[string(q)])], 0)
			default:
				p := commits[h.rng.IntN(len(commits))]
				parents = [][]byte{p}
				tree = h.tree(h.trees[string(treeOf[string(p)])], 0)
			}
			msg := "tree " + hexOf(tree) + "\n"
			for _, p := range parents {
				msg += "parent " + hexOf(p) + "\n"
			}
			msg += fmt.Sprintf("author A <a@x> %d +0000\n\ncommit %d\n", 1700000000+i, i)
			id := h.id()
			if err := h.st.Add(h.st.Intern(id), "commit", []byte(msg)); err != nil {
				t.Fatal(err)
			}
			commits = append(commits, id)
			treeOf[string(id)] = tree
		}
		var tips []string
		for _, c := range commits {
			tips = append(tips, hexOf(c))
		}
		run := func(byNameOnly bool) []string {
			var out []string
			rec := &Recording{}
			a := New(h.st, rec, rec.Emit)
			a.byNameOnly = byNameOnly
			if err := a.Run(context.Background(), tips); err != nil {
				t.Fatal(err)
			}
			for _, r := range rec.Calls {
				switch {
				case r.Found != nil:
					for _, f := range r.Found {
						out = append(out, fmt.Sprintf("%s %s %s %s", f.Commit, f.Path, f.BlobID, f.Secret))
					}
				case r.Failed != nil:
					out = append(out, fmt.Sprintf("failed %s: %v", r.Path, r.Failed))
				default:
					out = append(out, fmt.Sprintf("skipped %s: %v", r.Path, r.Skipped))
				}
			}
			return out
		}
		want, got := run(true), run(false)
		if len(want) < 20 {
			t.Fatalf("seed %d: only %d findings and events: the histories are not what the test means", seed, len(want))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("seed %d: aligned walk\n%s\nmatching by name\n%s", seed, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

var _ source.Events = (*Recording)(nil)
