package gitobj

import (
	"iter"

	"github.com/leakhound/leakhound/detect"
)

// The Store's questions and the few answers its other readers give it:
// what an attribution walk, the audit's facts and the incremental state
// ask of the objects, by object index, without reaching into how the
// Store keeps them.

// Object kinds (Store.Kind), as far as the objects read have told.
const (
	KindNone   = kindNone // referenced but never seen: missing
	KindCommit = kindCommit
	KindTree   = kindTree
	KindBlob   = kindBlob
	KindTag    = kindTag
)

// Blob states (Store.BlobState).
const (
	BlobClean    = blobClean    // scanned, no candidates (or not scanned yet)
	BlobFound    = blobFound    // scanned, candidates in Store.Found
	BlobTooLarge = blobTooLarge // over MaxBytes, not scanned
	BlobBinary   = blobBinary   // holds NUL bytes, not scanned
)

// Tree entry modes (Entry.Mode).
const (
	EntBlob    = entBlob // regular or executable file
	EntTree    = entTree
	EntSymlink = entSymlink
	EntGitlink = entGitlink // a submodule's commit: another repository's object
)

// Entry is a tree entry: a name (Store.Name), a mode and an object index.
type Entry = entry

// Name is the index of the entry's name (Store.Name).
func (e entry) Name() uint32 { return e.name() }

// Mode is the entry's mode, one of EntBlob, EntTree, EntSymlink, EntGitlink.
func (e entry) Mode() uint8 { return e.mode() }

// Obj is the index of the entry's object.
func (e entry) Obj() uint32 { return e.obj() }

// HashLen is the length of the repository's object ids, in bytes.
func (s *Store) HashLen() int { return s.hashLen }

// Count is how many objects are known (seen or referenced); object
// indexes run from 0 to Count()-1.
func (s *Store) Count() int { return s.count() }

// Kind is the kind of object i.
func (s *Store) Kind(i uint32) uint8 { return s.kind[i] }

// Hex is the hexadecimal id of object i.
func (s *Store) Hex(i uint32) string { return s.hex(i) }

// Intern returns the index of the object with binary id raw, adding it,
// referenced but not seen, if it is new.
func (s *Store) Intern(raw []byte) uint32 { return s.intern(raw) }

// InternHex is Intern for a hexadecimal id; ok is false if h is not one.
func (s *Store) InternHex(h []byte) (uint32, bool) { return s.internHex(h) }

// Absent says why object i, not of the kind asked for, is not there:
// missing (a partial or damaged clone), or present but unreadable.
func (s *Store) Absent(i uint32) string { return s.absent(i) }

// AbsentBlob is Absent for a blob.
func (s *Store) AbsentBlob(i uint32) string { return s.absentBlob(i) }

// TagTarget is the object an annotated tag i points to.
func (s *Store) TagTarget(i uint32) uint32 { return s.a[i] }

// Commit is commit c, which must be of KindCommit.
func (s *Store) Commit(c uint32) *Commit { return &s.commits[s.a[c]] }

// Shallow reports whether commit c is where a shallow clone's history
// stops: its parents are not in the repository.
func (s *Store) Shallow(c uint32) bool { return s.shallow[c] }

// MarkShallow records the commits, by hexadecimal id, where a shallow
// clone's history stops (gitplumb.Git.ShallowCommits).
func (s *Store) MarkShallow(ids []string) {
	for _, id := range ids {
		if i, ok := s.internHex([]byte(id)); ok {
			s.shallow[i] = true
		}
	}
}

// Entries are tree t's entries, in the tree's order.
func (s *Store) Entries(t uint32) iter.Seq[Entry] { return s.entries(t) }

// TreeLen is how many entries tree t has.
func (s *Store) TreeLen(t uint32) int { return s.treeLen(t) }

// Name is the entry name with index n (Entry.Name).
func (s *Store) Name(n uint32) string { return s.names[n] }

// BlobState is the state of blob b.
func (s *Store) BlobState(b uint32) uint8 { return s.blobState[b] }

// Found is the candidates found in blob b.
func (s *Store) Found(b uint32) []detect.Finding { return s.found[b] }

// Add parses object idx, of type typ ("commit", "tree", "tag"; a blob
// is read with SetBlob), into the store.
func (s *Store) Add(idx uint32, typ string, data []byte) error { return s.add(idx, typ, data) }

// SetBlob records blob b, read and scanned by another reader than the
// Store's own: its state, unless BlobClean, and its candidates, if any.
func (s *Store) SetBlob(b uint32, state uint8, found []detect.Finding) {
	s.kind[b] = kindBlob
	if state != blobClean {
		s.blobState[b] = state
	}
	if found != nil {
		s.found[b] = found
	}
}

// CommitGraph is a store of n commits and their parents only, commit i
// given by commit(i) as its hexadecimal id and its parents' positions
// among the n: what the refs that reach a commit need.
func CommitGraph(hashLen, n int, commit func(i int) (id string, parents []int32)) *Store {
	// Sized once for every commit (an unchanged audit re-run's largest
	// cost was growing these tables commit by commit), the parents of all
	// in one list.
	gs := NewStore(hashLen)
	gs.index.reserve(n)
	gs.kind, gs.a, gs.b, gs.blobState = make([]uint8, 0, n), make([]uint32, 0, n), make([]uint32, 0, n), make([]uint8, 0, n)
	gs.commits = make([]Commit, 0, n)
	idx := make([]uint32, n)
	links := 0
	for i := range n {
		id, ps := commit(i)
		idx[i], _ = gs.internHex([]byte(id))
		links += len(ps)
	}
	parents := make([]uint32, 0, links)
	for i := range n {
		from := len(parents)
		_, ps := commit(i)
		for _, p := range ps {
			parents = append(parents, idx[p])
		}
		c := Commit{}
		if len(parents) > from {
			c.Parents = parents[from:len(parents):len(parents)]
		}
		gs.kind[idx[i]], gs.a[idx[i]] = kindCommit, uint32(len(gs.commits))
		gs.commits = append(gs.commits, c)
	}
	return gs
}

// ParseCommit parses a commit's content, interning its tree and parents.
func (s *Store) ParseCommit(data []byte) (Commit, error) { return s.parseCommit(data) }
