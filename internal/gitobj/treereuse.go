package gitobj

import (
	"bytes"
	"math"
	"slices"

	"github.com/leakhound/leakhound/internal/packfile"
)

// Most versions of a tree differ from the version their delta is built on
// by an entry or two; the rest of their bytes are copied from the base.
// Parsing a copied entry again (its mode, its name looked up, its object
// id interned) gives the entry the store already holds for the base, and
// on a large history that parsing is seconds of CPU on the one goroutine
// that owns the store. So a worker, which has the delta's instructions,
// says which stretches of a new tree are whole entries of its base, and
// the store copies those entries' packed values instead of parsing them.

// reuseRun says that bytes [start, end) of a tree are a copy of its base's
// entries k to k+n-1, byte for byte, beginning at an entry's start.
type reuseRun struct {
	start, end int32
	k, n       int32
}

// treeReuse is what the store needs to take a tree's entries from its
// delta base: the base's index, and the stretches copied from it.
type treeReuse struct {
	base uint32
	runs []reuseRun
}

// treeShape is what a worker knows of a tree it visited, for the trees
// built on it as deltas: where its entries start.
type treeShape struct {
	// bounds holds the offset of every entry's start, then the tree's
	// length; valid is false when an entry could not be delimited (the
	// store will refuse the tree anyway), and bounds is then unusable.
	bounds []int32
	valid  bool
	// inStore says that this worker sent these very bytes to the store:
	// then the store has parsed them before any tree this worker sends
	// later. A tree another worker sent, or a duplicate copy of an object
	// found in two packs, does not count: its bytes were not these.
	inStore bool
	depth   int
}

// treeShapes is a worker's shapes, one per delta depth. Walk visits deltas
// depth first, so when a tree of depth d is visited, the shapes still
// needed are those of its base and the base's own bases, at depths below
// d: the shape at depth d belongs to a tree whose descendants are done,
// and is reused, so that no memory is allocated per tree.
type treeShapes []*treeShape

// at returns the shape to fill for a tree of depth d.
func (s *treeShapes) at(d int) *treeShape {
	for len(*s) <= d {
		*s = append(*s, &treeShape{})
	}
	sh := (*s)[d]
	sh.depth = d
	return sh
}

// shapeOf returns the shape a visit left on o, if o is a tree.
func shapeOf(o *packfile.Object) (*treeShape, bool) {
	if o == nil {
		return nil, false
	}
	s, ok := o.State.(*treeShape)
	return s, ok
}

// entryBounds returns the offsets at which tree data's entries start,
// followed by its length: an entry ends hashLen bytes after the first NUL
// from its start, the rule store.add parses by. ok is false if an entry
// does not end within data, or the tree is too large to be described in
// int32 offsets.
func entryBounds(data []byte, hashLen int, bounds []int32) ([]int32, bool) {
	bounds = bounds[:0]
	if len(data) > math.MaxInt32 {
		return bounds, false
	}
	pos := 0
	for pos < len(data) {
		bounds = append(bounds, int32(pos))
		next, ok := nextEntry(data, pos, hashLen)
		if !ok {
			return bounds, false
		}
		pos = next
	}
	return append(bounds, int32(pos)), true
}

// nextEntry returns where the entry that starts at pos ends.
func nextEntry(data []byte, pos, hashLen int) (int, bool) {
	nul := bytes.IndexByte(data[pos:], 0)
	if nul < 0 || pos+nul+1+hashLen > len(data) {
		return 0, false
	}
	return pos + nul + 1 + hashLen, true
}

// mapTree delimits the entries of tree data, built by ops from a base
// whose entries start at base (entryBounds), and finds the stretches of
// data that are copies of whole base entries. It walks data's entries
// from the start, so every run begins where an entry begins: at a copy
// instruction reaching an offset where a base entry begins, the bytes
// that follow, up to the last base entry the instruction copies whole,
// are those entries' bytes, and delimit into the same entries in data.
// Elsewhere it steps over one entry as entryBounds does. It returns
// data's bounds as entryBounds would, and the runs.
func mapTree(base []int32, ops []packfile.Op, data []byte, hashLen int, bounds []int32, runs []reuseRun) ([]int32, []reuseRun, bool) {
	bounds, runs = bounds[:0], runs[:0]
	if len(data) > math.MaxInt32 || len(base) == 0 {
		b, ok := entryBounds(data, hashLen, bounds)
		return b, runs, ok
	}
	pos, i := 0, 0
	for pos < len(data) {
		for i < len(ops) && ops[i].Target+ops[i].Len <= pos {
			i++
		}
		if i < len(ops) && ops[i].Base >= 0 && ops[i].Target <= pos {
			if k, m, ok := copiedEntries(base, ops[i], pos); ok {
				shift := int32(pos) - base[k]
				for _, b := range base[k:m] {
					bounds = append(bounds, b+shift)
				}
				end := base[m] + shift
				runs = appendRun(runs, reuseRun{start: int32(pos), end: end, k: int32(k), n: int32(m - k)})
				pos = int(end)
				continue
			}
		}
		bounds = append(bounds, int32(pos))
		next, ok := nextEntry(data, pos, hashLen)
		if !ok {
			return bounds, runs, false
		}
		pos = next
	}
	return append(bounds, int32(pos)), runs, true
}

// copiedEntries returns the base entries k to m-1 that copy instruction
// op holds whole from data offset pos on, when pos corresponds to the
// start of base entry k; ok is false when it does not, or no entry fits.
func copiedEntries(base []int32, op packfile.Op, pos int) (k, m int, ok bool) {
	from := op.Base + pos - op.Target
	if from > math.MaxInt32 {
		return 0, 0, false
	}
	k, found := slices.BinarySearch(base, int32(from))
	if !found {
		return 0, 0, false
	}
	limit := min(op.Base+op.Len, math.MaxInt32)
	m, found = slices.BinarySearch(base[k:], int32(limit))
	m += k
	if !found {
		m--
	}
	if m <= k {
		return 0, 0, false
	}
	return k, m, true
}

// appendRun appends r, joined to the last run when it continues it.
func appendRun(runs []reuseRun, r reuseRun) []reuseRun {
	if n := len(runs); n > 0 && runs[n-1].end == r.start && runs[n-1].k+runs[n-1].n == r.k {
		runs[n-1].end = r.end
		runs[n-1].n += r.n
		return runs
	}
	return append(runs, r)
}

// shapeTree records on o, a tree, where its entries start, and returns
// what the store needs to take its copied entries from its base: nil when
// its base is not a tree this worker sent to the store, or nothing is
// copied whole. inStore says whether o's bytes are being sent to the
// store. The runs are appended to runs, which is returned for reuse if
// unused.
func (s *treeShapes) shapeTree(o *packfile.Object, hashLen int, inStore bool, runs []reuseRun) ([]reuseRun, bool) {
	base, hasBase := shapeOf(o.Base)
	depth := 0
	if hasBase {
		depth = base.depth + 1
	}
	sh := s.at(depth)
	sh.inStore = inStore
	o.State = sh
	if !hasBase || !base.valid {
		sh.bounds, sh.valid = entryBounds(o.Data, hashLen, sh.bounds)
		return runs[:0], false
	}
	sh.bounds, runs, sh.valid = mapTree(base.bounds, o.Ops, o.Data, hashLen, sh.bounds, runs)
	return runs, sh.valid && base.inStore && inStore && len(runs) > 0
}

// treeWorker is a worker's state for finding the entries trees copy.
type treeWorker struct {
	shapes treeShapes
	runs   []reuseRun
}

// reuse shapes tree o (see shapeTree) and returns what its record to the
// store carries: the runs it copied from its base, whose slice then
// belongs to the store, which hands it back through spare. first says
// whether o's record is sent; table maps Walk's numbers to store indexes.
func (t *treeWorker) reuse(o *packfile.Object, hashLen int, first bool, table []uint32, spare chan []reuseRun) treeReuse {
	runs, ok := t.shapes.shapeTree(o, hashLen, first, t.runs)
	if !ok || o.Base.N < 0 {
		t.runs = runs
		return treeReuse{}
	}
	select {
	case t.runs = <-spare:
	default:
		t.runs = nil
	}
	return treeReuse{base: table[o.Base.N], runs: runs}
}
