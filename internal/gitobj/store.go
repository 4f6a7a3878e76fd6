package gitobj

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
)

// oid is an object id in binary, long enough for SHA-256.
type oid [32]byte

// Object kinds, as far as the stream has told.
const (
	kindNone   uint8 = iota // referenced but not (yet) seen: missing if never seen
	kindCommit              // a commit: a is its index in store.commits
	kindTree                // a tree: entries[a : a+b]
	kindBlob                // a blob: state in blobState
	kindTag                 // an annotated tag: a is its target
)

// Blob states.
const (
	blobClean    uint8 = iota // scanned, no candidates (or not scanned yet)
	blobFound                 // scanned, candidates in store.found
	blobTooLarge              // over MaxBytes, not scanned
	blobBinary                // holds NUL bytes, not scanned
)

// Tree entry modes, as 2 bits.
const (
	entBlob    = 0 // regular or executable file
	entTree    = 1
	entSymlink = 2
	entGitlink = 3 // a submodule's commit: another repository's object
)

// entry is a tree entry: name index << 32 | mode << 30 | object index.
type entry uint64

func (e entry) name() uint32 { return uint32(e >> 32) }
func (e entry) mode() uint8  { return uint8(e>>30) & 3 }
func (e entry) obj() uint32  { return uint32(e) & (1<<30 - 1) }

// Commit is what a report needs of a commit, and its graph: object
// indexes for its tree and parents.
type Commit struct {
	Tree    uint32
	Parents []uint32
	Author  string
	Email   string
	Date    time.Time
	Subject string
}

// Store holds the repository's commits and trees compactly, and the
// candidates found in its blobs.
type Store struct {
	hashLen int
	index   *oidTable
	kind    []uint8
	a, b    []uint32
	// blobState is indexed like ids, for blobs.
	blobState []uint8
	// Tree entries live in chunks of entryChunk entries (see chunked). A
	// tree is stored whole, its entries contiguous: a[tree] is their
	// position, b[tree] their count. Or, when most of it is its delta
	// base's entries, as segments (b[tree] has the segmented bit): runs of
	// entries stored for earlier trees or for this one, a[tree] the
	// position of the first of b[tree]&^segmented segments. Most versions
	// of a tree differ from their base by an entry or two, so most trees
	// take a few segments instead of a copy of every entry: of the 15.2
	// million entries of symfony's trees, 6.4 million are stored, with
	// 1.3 million segments.
	ents     chunked[entry]
	segs     chunked[seg]
	nentries int
	// copied counts the entries taken from a delta base unparsed; stored
	// the entries stored, nsegs the segments.
	copied    int
	stored    int
	nsegs     int
	tmp       []entry
	tsegs     []seg
	baseSegs  []seg
	names     []string
	nameIndex map[string]uint32
	commits   []Commit
	shallow   map[uint32]bool

	found map[uint32][]detect.Finding
	// unreadable says why an object present in a pack could not be read.
	unreadable map[uint32]string
}

// NewStore returns an empty store for ids of hashLen bytes.
func NewStore(hashLen int) *Store {
	return &Store{hashLen: hashLen, index: newOIDTable(1<<16, hashLen), nameIndex: map[string]uint32{},
		found: map[uint32][]detect.Finding{}, shallow: map[uint32]bool{}, unreadable: map[uint32]string{}}
}

// intern returns the index of the object with binary id raw.
func (s *Store) intern(raw []byte) uint32 {
	var k oid
	copy(k[:], raw)
	i, ok := s.index.lookup(&k)
	if ok {
		return i
	}
	s.kind = append(s.kind, kindNone)
	s.a = append(s.a, 0)
	s.b = append(s.b, 0)
	s.blobState = append(s.blobState, 0)
	return i
}

// extend adds n objects to the store, known by index only until
// internAt gives them ids (see oidTable.extend), and returns the first's
// index. The lists indexed like the ids grow once, with the table's room
// to spare for ids met later, so that neither numbering a pack nor the
// trees after it copy lists of a million entries again and again.
func (s *Store) extend(n int) uint32 {
	first := s.index.len()
	s.index.extend(n)
	total := first + n
	spare := n/64 + 64
	s.kind = slices.Grow(s.kind, total+spare-len(s.kind))[:total]
	s.a = slices.Grow(s.a, total+spare-len(s.a))[:total]
	s.b = slices.Grow(s.b, total+spare-len(s.b))[:total]
	s.blobState = slices.Grow(s.blobState, total+spare-len(s.blobState))[:total]
	return uint32(first)
}

// internAt is intern for an id of an object added by extend, which gets
// index idx unless it has one already.
func (s *Store) internAt(idx uint32, raw []byte) uint32 {
	return s.index.setAt(idx, raw)
}

// internHex interns a hexadecimal id; ok is false if it is not one.
func (s *Store) internHex(h []byte) (uint32, bool) {
	if len(h) != 2*s.hashLen {
		return 0, false
	}
	var raw [32]byte
	if _, err := hex.Decode(raw[:s.hashLen], h); err != nil {
		return 0, false
	}
	return s.intern(raw[:s.hashLen]), true
}

func (s *Store) hex(i uint32) string { return hex.EncodeToString(s.index.id(i)) }

// absent says why object i is not in the store: missing (a partial or
// damaged clone), or present but unreadable.
func (s *Store) absent(i uint32) string {
	if why, ok := s.unreadable[i]; ok {
		return "could not be read: " + why
	}
	return "is missing"
}

// absentBlob is absent for a blob, where missing means a partial or
// damaged clone.
func (s *Store) absentBlob(i uint32) string {
	if _, ok := s.unreadable[i]; ok {
		return s.absent(i)
	}
	return "is missing (a partial or damaged clone)"
}

// count is how many objects are known (seen or referenced).
func (s *Store) count() int { return len(s.kind) }

func (s *Store) name(b []byte) uint32 {
	if i, ok := s.nameIndex[string(b)]; ok {
		return i
	}
	i := uint32(len(s.names))
	n := string(b)
	s.names = append(s.names, n)
	s.nameIndex[n] = i
	return i
}

// read streams every object and scans the blobs on p.Threads goroutines.
func (p *Reader) read(ctx context.Context, st *Store, detectFn source.DetectFunc, ev source.Events) error {
	out, wait, err := p.Git.AllObjects(ctx)
	if err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}

	threads := max(p.Threads, 1)
	type job struct {
		idx  uint32
		id   []byte // hexadecimal, for messages
		data []byte
	}
	bufs := newBufPool()
	jobs := make(chan job, 4*threads)
	results := newBlobResults(threads)
	var wg sync.WaitGroup
	for w := range threads {
		wg.Add(1)
		go func(res *blobResults) {
			defer wg.Done()
			for j := range jobs {
				if isBinary(j.data) {
					res.binaryBlob(j.idx, string(j.id), ev)
				} else {
					f := detect.Fragment{Content: j.data, StartLine: 1,
						Provenance: detect.Provenance{Kind: detect.KindHistory}}
					cands, err := detectFn(&f)
					res.fail(err)
					res.scanned(j.idx, cands, int64(len(j.data)), ev)
				}
				bufs.put(j.data)
			}
		}(&results[w])
	}

	rerr := p.parse(bufio.NewReaderSize(out, 1<<20), st, bufs, func(idx uint32, id, data []byte) {
		jobs <- job{idx, id, data}
	})
	close(jobs)
	wg.Wait()
	detErr := mergeBlobs(st, results)
	if err := wait(rerr); err != nil {
		return fmt.Errorf("git cat-file --batch-all-objects: %w", err)
	}
	return detErr
}

// parse reads cat-file's "<id> <type> <size>\n<content>\n" records. Blobs
// go to scan, in a buffer from bufs that the callee owns; everything else
// is parsed here.
func (p *Reader) parse(r *bufio.Reader, st *Store, bufs *bufPool, scan func(idx uint32, id, data []byte)) error {
	var scratch []byte
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil
		}
		if err != nil {
			return gitplumb.EndedEarly(err)
		}
		f := bytes.Fields(line)
		if len(f) != 3 {
			return fmt.Errorf("unexpected answer %q", gitplumb.Truncate(string(line), 120))
		}
		size, err := strconv.ParseInt(string(f[2]), 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("unexpected answer %q", gitplumb.Truncate(string(line), 120))
		}
		typ := string(f[1])
		idx, ok := st.internHex(f[0])
		if !ok {
			return fmt.Errorf("unexpected object id in %q", gitplumb.Truncate(string(line), 120))
		}
		if typ == "blob" {
			if p.Bytes != nil {
				p.Bytes.Add(size)
			}
			st.kind[idx] = kindBlob
			if p.MaxBytes > 0 && size > p.MaxBytes {
				st.blobState[idx] = blobTooLarge
				if _, err := r.Discard(int(size) + 1); err != nil {
					return gitplumb.EndedEarly(err)
				}
				continue
			}
			id := bytes.Clone(f[0]) // line is only valid until the next read
			buf := bufs.get(int(size))
			if _, err := io.ReadFull(r, buf); err != nil {
				return gitplumb.EndedEarly(err)
			}
			if _, err := r.Discard(1); err != nil {
				return gitplumb.EndedEarly(err)
			}
			scan(idx, id, buf)
			continue
		}
		if int64(cap(scratch)) < size+1 {
			scratch = make([]byte, size+1)
		}
		data := scratch[:size+1]
		if _, err := io.ReadFull(r, data); err != nil {
			return gitplumb.EndedEarly(err)
		}
		data = data[:size]
		if err := st.add(idx, typ, data); err != nil {
			return err
		}
	}
}

const entryChunk = 1 << 20

// segmented marks, in b[tree], a tree stored as segments.
const segmented = 1 << 31

// seg is a run of n tree entries stored at position pos. While a tree is
// being added, a seg with the pending bit in n is a run of store.tmp.
type seg struct{ pos, n uint32 }

const pending = 1 << 31

// segWorth: a tree is stored as segments only if it has at least this
// many entries per segment; a tree fragmented by many versions of edits
// is stored whole again, which bounds what reading one costs.
const segWorth = 4

// chunked is an append-only list kept in chunks of entryChunk items, a
// run added at once contiguous in one chunk: position chunk<<20 | start.
// Chunks, unlike one growing slice, are never copied.
type chunked[T any] struct{ chunks [][]T }

// add appends items, contiguous, and returns their position.
func (c *chunked[T]) add(items []T) (uint32, error) {
	n := len(items)
	if len(c.chunks) == 0 || len(c.chunks[len(c.chunks)-1])+n > cap(c.chunks[len(c.chunks)-1]) {
		if len(c.chunks) >= 1<<12 {
			return 0, fmt.Errorf("repository has too many tree entries")
		}
		c.chunks = append(c.chunks, make([]T, 0, max(entryChunk, n)))
	}
	last := &c.chunks[len(c.chunks)-1]
	start := len(*last)
	*last = append(*last, items...)
	return uint32(len(c.chunks)-1)<<20 | uint32(start), nil
}

// at returns the n items at position pos.
func (c *chunked[T]) at(pos, n uint32) []T {
	start := pos & (entryChunk - 1)
	return c.chunks[pos>>20][start : start+n]
}

// entries yields tree t's entries, in order.
func (s *Store) entries(t uint32) iter.Seq[entry] {
	return func(yield func(entry) bool) {
		if s.b[t]&segmented == 0 {
			for _, e := range s.ents.at(s.a[t], s.b[t]) {
				if !yield(e) {
					return
				}
			}
			return
		}
		for _, g := range s.segs.at(s.a[t], s.b[t]&^segmented) {
			for _, e := range s.ents.at(g.pos, g.n) {
				if !yield(e) {
					return
				}
			}
		}
	}
}

// treeLen returns how many entries tree t has.
func (s *Store) treeLen(t uint32) int {
	if s.b[t]&segmented == 0 {
		return int(s.b[t])
	}
	n := 0
	for _, g := range s.segs.at(s.a[t], s.b[t]&^segmented) {
		n += int(g.n)
	}
	return n
}

// segsOf appends tree t's entries as segments to into, and reports
// whether entries can be taken from t by position: not from a tree of
// over entryChunk entries, alone in a chunk, whose positions past 2^20
// have no address.
func (s *Store) segsOf(t uint32, into []seg) ([]seg, bool) {
	if s.b[t]&segmented != 0 {
		return append(into, s.segs.at(s.a[t], s.b[t]&^segmented)...), true
	}
	if int(s.a[t]&(entryChunk-1))+int(s.b[t]) > entryChunk {
		return into, false
	}
	return append(into, seg{s.a[t], s.b[t]}), true
}

// appendSeg appends g to segs, joined to the last segment when it
// continues it in the same chunk (or both are runs of store.tmp).
func appendSeg(segs []seg, g seg) []seg {
	if g.n&^pending == 0 {
		return segs
	}
	if k := len(segs) - 1; k >= 0 {
		last := segs[k]
		if last.n&pending == g.n&pending && last.pos+last.n&^pending == g.pos &&
			(g.n&pending != 0 || last.pos>>20 == g.pos>>20) {
			segs[k].n += g.n &^ pending
			return segs
		}
	}
	return append(segs, g)
}

// pickSegs appends to out the segments that hold entries k to k+n-1 of a
// tree whose segments are from.
func pickSegs(out, from []seg, k, n uint32) []seg {
	for _, g := range from {
		if n == 0 {
			break
		}
		if k >= g.n {
			k -= g.n
			continue
		}
		take := min(g.n-k, n)
		out = appendSeg(out, seg{g.pos + k, take})
		n -= take
		k = 0
	}
	return out
}

// add records a commit, tree or tag.
func (s *Store) add(idx uint32, typ string, data []byte) error {
	return s.addReusing(idx, typ, data, nil)
}

// addReusing is add, taking from reuse, when not nil, the entries a tree
// copied whole from its delta base (see treeReuse).
func (s *Store) addReusing(idx uint32, typ string, data []byte, reuse *treeReuse) error {
	switch typ {
	case "tree":
		return s.addTree(idx, data, reuse)
	case "commit":
		c, err := s.parseCommit(data)
		if err != nil {
			return fmt.Errorf("commit %s: %w", s.hex(idx), err)
		}
		s.kind[idx], s.a[idx] = kindCommit, uint32(len(s.commits))
		s.commits = append(s.commits, c)
	case "tag":
		if rest, ok := bytes.CutPrefix(data, []byte("object ")); ok {
			end := bytes.IndexByte(rest, '\n')
			if end < 0 {
				end = len(rest)
			}
			if t, ok := s.internHex(rest[:end]); ok {
				s.kind[idx], s.a[idx] = kindTag, t
			}
		}
	}
	return nil
}

// addTree records tree idx. The entries its delta copied from its base
// (reuse, when not nil) are taken as segments of the base's, the others
// parsed; the tree is then stored as segments, or whole when it has no
// base, or when too fragmented to be worth it.
func (s *Store) addTree(idx uint32, data []byte, reuse *treeReuse) error {
	s.tmp, s.tsegs = s.tmp[:0], s.tsegs[:0]
	var from []seg
	var runs []reuseRun
	baseLen := 0
	if reuse != nil && s.kind[reuse.base] == kindTree {
		var ok bool
		if s.baseSegs, ok = s.segsOf(reuse.base, s.baseSegs[:0]); ok {
			from, runs, baseLen = s.baseSegs, reuse.runs, s.treeLen(reuse.base)
		}
	}
	lit := 0 // s.tmp[lit:] is parsed but in no segment yet
	total := 0
	for pos := 0; pos < len(data); {
		for len(runs) > 0 && int(runs[0].start) < pos {
			runs = runs[1:]
		}
		if len(runs) > 0 && int(runs[0].start) == pos && copiable(runs[0], baseLen, len(data)) {
			s.tsegs = appendSeg(s.tsegs, seg{uint32(lit), uint32(len(s.tmp)-lit) | pending})
			lit = len(s.tmp)
			s.tsegs = pickSegs(s.tsegs, from, uint32(runs[0].k), uint32(runs[0].n))
			s.copied += int(runs[0].n)
			total += int(runs[0].n)
			pos = int(runs[0].end)
			continue
		}
		e, next, err := s.parseEntry(idx, data, pos)
		if err != nil {
			return err
		}
		s.tmp = append(s.tmp, e)
		total++
		pos = next
	}
	s.nentries += total
	if from == nil {
		return s.storeWhole(idx, s.tmp)
	}
	s.tsegs = appendSeg(s.tsegs, seg{uint32(lit), uint32(len(s.tmp)-lit) | pending})
	return s.storeSegments(idx, total)
}

// storeSegments stores tree idx, of total entries, as the segments
// addTree composed in s.tsegs: runs of entries already stored, and runs
// of s.tmp (marked pending) stored now. A tree in more pieces than its
// entries are worth is gathered and stored whole instead.
func (s *Store) storeSegments(idx uint32, total int) error {
	if len(s.tsegs) == 0 {
		return s.storeWhole(idx, nil)
	}
	if len(s.tsegs)*segWorth > total {
		// Too fragmented: gather the entries and store them whole.
		var whole []entry
		for _, g := range s.tsegs {
			if g.n&pending != 0 {
				whole = append(whole, s.tmp[g.pos:g.pos+g.n&^pending]...)
			} else {
				whole = append(whole, s.ents.at(g.pos, g.n)...)
			}
		}
		return s.storeWhole(idx, whole)
	}
	var at uint32
	if len(s.tmp) > 0 {
		var err error
		if at, err = s.ents.add(s.tmp); err != nil {
			return err
		}
		s.stored += len(s.tmp)
	}
	for i, g := range s.tsegs {
		if g.n&pending != 0 {
			s.tsegs[i] = seg{at + g.pos, g.n &^ pending}
		}
	}
	if len(s.tsegs) == 1 {
		s.kind[idx], s.a[idx], s.b[idx] = kindTree, s.tsegs[0].pos, s.tsegs[0].n
		return nil
	}
	at, err := s.segs.add(s.tsegs)
	if err != nil {
		return err
	}
	s.nsegs += len(s.tsegs)
	s.kind[idx], s.a[idx], s.b[idx] = kindTree, at, uint32(len(s.tsegs))|segmented
	return nil
}

// storeWhole stores tree idx's entries contiguously.
func (s *Store) storeWhole(idx uint32, ents []entry) error {
	if len(ents) >= segmented {
		return fmt.Errorf("tree %s has too many entries", s.hex(idx))
	}
	at, err := s.ents.add(ents)
	if err != nil {
		return err
	}
	s.stored += len(ents)
	s.kind[idx], s.a[idx], s.b[idx] = kindTree, at, uint32(len(ents))
	return nil
}

// parseEntry parses the entry of tree idx that starts at data[pos:], and
// returns it and where the next one starts.
func (s *Store) parseEntry(idx uint32, data []byte, pos int) (entry, int, error) {
	rest := data[pos:]
	sp := bytes.IndexByte(rest, ' ')
	nul := bytes.IndexByte(rest, 0)
	if sp < 0 || nul < sp || nul+1+s.hashLen > len(rest) {
		return 0, 0, fmt.Errorf("tree %s is corrupt", s.hex(idx))
	}
	mode, err := strconv.ParseUint(string(rest[:sp]), 8, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("tree %s is corrupt", s.hex(idx))
	}
	var m uint8
	switch {
	case mode == 0o40000:
		m = entTree
	case gitplumb.Mode(mode) == gitplumb.ModeSymlink:
		m = entSymlink
	case gitplumb.Mode(mode) == gitplumb.ModeGitlink:
		m = entGitlink
	default:
		m = entBlob
	}
	name := s.name(rest[sp+1 : nul])
	obj := s.intern(rest[nul+1 : nul+1+s.hashLen])
	if obj >= 1<<30 {
		return 0, 0, fmt.Errorf("repository has too many objects")
	}
	return entry(uint64(name)<<32 | uint64(m)<<30 | uint64(obj)), pos + nul + 1 + s.hashLen, nil
}

// copiable says whether run r fits the base's entries and the tree: a
// worker's run is trusted only where the store's own parse has reached.
func copiable(r reuseRun, baseEntries, size int) bool {
	return r.k >= 0 && r.n > 0 && int(r.k)+int(r.n) <= baseEntries && r.start < r.end && int(r.end) <= size
}

// parseCommit reads a commit's tree, parents, author and subject.
func (s *Store) parseCommit(data []byte) (Commit, error) {
	var c Commit
	haveTree := false
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			nl = len(data)
		}
		line := data[:nl]
		data = data[min(nl+1, len(data)):]
		if len(line) == 0 {
			break // the message follows
		}
		key, val, _ := bytes.Cut(line, []byte{' '})
		switch string(key) {
		case "tree":
			t, ok := s.internHex(val)
			if !ok {
				return c, errors.New("bad tree line")
			}
			c.Tree, haveTree = t, true
		case "parent":
			p, ok := s.internHex(val)
			if !ok {
				return c, errors.New("bad parent line")
			}
			c.Parents = append(c.Parents, p)
		case "author":
			c.Author, c.Email, c.Date = parseIdent(val)
		}
	}
	if !haveTree {
		return c, errors.New("no tree")
	}
	data = bytes.TrimLeft(data, "\n")
	if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
		data = data[:nl]
	}
	c.Subject = string(bytes.TrimRight(data, "\r"))
	return c, nil
}

// parseIdent splits "Name <email> 1700000000 +0100".
func parseIdent(b []byte) (name, email string, date time.Time) {
	lt := bytes.IndexByte(b, '<')
	gt := bytes.LastIndexByte(b, '>')
	if lt < 0 || gt < lt {
		return string(bytes.TrimSpace(b)), "", time.Time{}
	}
	name = string(bytes.TrimSpace(b[:lt]))
	email = string(b[lt+1 : gt])
	f := bytes.Fields(b[gt+1:])
	if len(f) >= 1 {
		if sec, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
			loc := time.UTC
			if len(f) >= 2 && len(f[1]) == 5 {
				if hh, err := strconv.Atoi(string(f[1][1:3])); err == nil {
					if mm, err := strconv.Atoi(string(f[1][3:5])); err == nil {
						off := (hh*60 + mm) * 60
						if f[1][0] == '-' {
							off = -off
						}
						loc = time.FixedZone("", off)
					}
				}
			}
			date = time.Unix(sec, 0).In(loc)
		}
	}
	return name, email, date
}
