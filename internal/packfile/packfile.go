// Package packfile reads every object of a git repository in-process:
// each pack through its index, each loose object, and the object
// directories its alternates name. Walk hands every object over once, on
// several goroutines, inflating each pack entry exactly once the way
// git's index-pack resolves deltas: a base is materialised, then each
// delta built on it, depth first, so no object is ever rebuilt from its
// chain again.
//
// A delta's visitor also gets its base and the delta's instructions, so a
// scanner can look only at what the delta inserted: most versions of a
// file are a few inserted lines copied around an older version.
//
// The repository is hostile input: every length, offset and instruction is
// checked before use, an object that cannot be read is reported and the
// walk goes on, and nothing is executed. Open fails, and callers fall back
// to git's own reader, on anything this package does not understand
// (index version 1, an unknown pack version).
package packfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zlib"
)

// Kind is an object's type, numbered as in a pack.
type Kind uint8

// Object kinds.
const (
	Commit Kind = 1
	Tree   Kind = 2
	Blob   Kind = 3
	Tag    Kind = 4
	// In a pack only: a delta on the object at an earlier offset, or on
	// an object named by id.
	ofsDelta Kind = 6
	refDelta Kind = 7
)

func (k Kind) String() string {
	switch k {
	case Commit:
		return "commit"
	case Tree:
		return "tree"
	case Blob:
		return "blob"
	case Tag:
		return "tag"
	}
	return fmt.Sprintf("kind %d", k)
}

// Repo is a repository's object store, opened for one walk.
type Repo struct {
	hashLen int
	packs   []*pack
	loose   []looseObject
	// base[n] is where object n's numbering starts: packs in order, then
	// loose objects.
	base  []int
	total int
	// plans, by pack, once Plan has run.
	plans []*plan
}

type looseObject struct {
	id   []byte
	path string
}

// maxAlternates bounds how deep alternates may chain (git allows 5).
const maxAlternates = 5

// Open reads the object directory dir (a repository's "objects" folder)
// and those its info/alternates names. hashLen is 20 for SHA-1
// repositories and 32 for SHA-256 ones.
func Open(dir string, hashLen int) (*Repo, error) {
	if hashLen != 20 && hashLen != 32 {
		return nil, fmt.Errorf("unsupported object id length %d", hashLen)
	}
	r := &Repo{hashLen: hashLen}
	seen := map[string]bool{}
	if err := r.addDir(dir, seen, 0); err != nil {
		r.Close()
		return nil, err
	}
	for _, p := range r.packs {
		r.base = append(r.base, r.total)
		r.total += p.count
	}
	r.base = append(r.base, r.total)
	r.total += len(r.loose)
	return r, nil
}

func (r *Repo) addDir(dir string, seen map[string]bool, depth int) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if seen[abs] {
		return nil
	}
	seen[abs] = true
	idxs, err := filepath.Glob(filepath.Join(abs, "pack", "*.idx"))
	if err != nil {
		return err
	}
	sort.Strings(idxs)
	for _, idx := range idxs {
		p, err := openPack(idx, r.hashLen)
		if err != nil {
			return err
		}
		r.packs = append(r.packs, p)
	}
	if err := r.addLoose(abs); err != nil {
		return err
	}
	alt, err := os.ReadFile(filepath.Join(abs, "info", "alternates"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(abs, "info", "alternates"), err)
	}
	if depth >= maxAlternates {
		return fmt.Errorf("%s: alternates nested more than %d deep", abs, maxAlternates)
	}
	for line := range strings.SplitSeq(string(alt), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, `"`) {
			return fmt.Errorf("%s: quoted alternates are not supported", filepath.Join(abs, "info", "alternates"))
		}
		if !filepath.IsAbs(line) {
			line = filepath.Join(abs, line)
		}
		if err := r.addDir(line, seen, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// addLoose lists the loose objects of an object directory.
func (r *Repo) addLoose(dir string) error {
	fans, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	for _, fan := range fans {
		name := fan.Name()
		if !fan.IsDir() || len(name) != 2 || !isHex(name) {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
		}
		for _, e := range ents {
			rest := e.Name()
			if len(rest) != 2*r.hashLen-2 || !isHex(rest) {
				continue // a temporary file, or another hash's object
			}
			id := make([]byte, r.hashLen)
			if _, err := hexDecode(id, name+rest); err != nil {
				continue
			}
			r.loose = append(r.loose, looseObject{id: id, path: filepath.Join(dir, name, rest)})
		}
	}
	return nil
}

// Close releases the packs' mappings. Object data handed out by Walk must
// not be used after it.
func (r *Repo) Close() error {
	var errs []error
	for _, p := range r.packs {
		errs = append(errs, p.close())
	}
	r.packs = nil
	return errors.Join(errs...)
}

// Count is how many objects Walk numbers (an object stored twice counts
// twice).
func (r *Repo) Count() int { return r.total }

// Packs is how many packs the repository has, alternates included.
func (r *Repo) Packs() int { return len(r.packs) }

// IDs calls fn with each object's number and binary id, so a caller can
// map numbers to its own indexes before Walk. A pack's objects come in
// the order of its index, by id: a hash table keyed by ids' leading bits
// is then filled front to back, as a sorted list would be, not at
// random places of a table larger than the processor's caches.
func (r *Repo) IDs(fn func(n int, id []byte)) {
	for pi, p := range r.packs {
		for k := range p.count {
			fn(r.base[pi]+int(p.entryOf[k]), p.idAt(k))
		}
	}
	for i, l := range r.loose {
		fn(r.base[len(r.packs)]+i, l.id)
	}
}

// Op is one instruction of a delta: Len bytes at Target in the new
// object were copied from Base in the base object, or inserted when Base
// is negative.
type Op struct {
	Target, Len, Base int
}

// Object is what Walk hands a visitor. Its slices are valid only during
// the call; Base, with its State, stays valid for the calls on the objects
// built from it.
type Object struct {
	// N numbers the object (see IDs).
	N    int
	ID   []byte
	Kind Kind
	Data []byte
	// Base is the object this one was built from as a delta, nil for one
	// stored whole; Ops says how.
	Base *Object
	Ops  []Op
	// State is the visitor's: set it to hand something to the objects
	// built on this one.
	State any
}

// ObjectError is an object that could not be read: its id and why. The
// objects built on it cannot be read either and are reported too.
type ObjectError struct {
	ID []byte
	// Where is the file the object lives in: a pack, or a loose object.
	Where string
	Err   error
}

func (e *ObjectError) Error() string {
	return fmt.Sprintf("object %x in %s: %v", e.ID, e.Where, e.Err)
}

func (e *ObjectError) Unwrap() error { return e.Err }

// errCorrupt describes damage inside a pack entry.
var errCorrupt = errors.New("corrupt pack entry")

// inflater inflates zlib streams, reusing its state across objects: its
// own decoder for pack entries (inflate.go), compress/zlib's for loose
// objects, whose size is inside the stream.
type inflater struct {
	pack inflateState
	src  bytes.Reader
	z    io.ReadCloser
}

// inflate decompresses the zlib stream at the start of in into exactly
// size bytes.
func (f *inflater) inflate(in []byte, size int, dst []byte) ([]byte, error) {
	if cap(dst) >= size {
		dst = dst[:size]
	} else {
		dst = make([]byte, size)
	}
	if err := f.pack.inflateZlib(in, dst); err != nil {
		return nil, fmt.Errorf("%w: inflating: %v", errCorrupt, err)
	}
	return dst, nil
}

// readLoose reads a loose object file: zlib over "type size\0content".
func (f *inflater) readLoose(path string, limit int) (Kind, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	f.src.Reset(raw)
	if f.z == nil {
		if f.z, err = zlib.NewReader(&f.src); err != nil {
			return 0, nil, fmt.Errorf("%w: %v", errCorrupt, err)
		}
	} else if err := f.z.(zlib.Resetter).Reset(&f.src, nil); err != nil {
		return 0, nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	var head [64]byte
	n, err := io.ReadAtLeast(f.z, head[:], 1)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && n == 0 {
		return 0, nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	for n < len(head) && bytes.IndexByte(head[:n], 0) < 0 {
		m, err := f.z.Read(head[n:])
		n += m
		if err != nil {
			break
		}
	}
	nul := bytes.IndexByte(head[:n], 0)
	if nul < 0 {
		return 0, nil, fmt.Errorf("%w: no header", errCorrupt)
	}
	typ, sz, ok := strings.Cut(string(head[:nul]), " ")
	var k Kind
	switch typ {
	case "commit":
		k = Commit
	case "tree":
		k = Tree
	case "blob":
		k = Blob
	case "tag":
		k = Tag
	default:
		return 0, nil, fmt.Errorf("%w: unknown type", errCorrupt)
	}
	size, perr := parseDecimal(sz)
	// zlib expands at most about 1032 times: a larger size is a lie.
	if !ok || perr != nil || size > limit || size > 1100*len(raw)+64 {
		return 0, nil, fmt.Errorf("%w: bad size", errCorrupt)
	}
	data := make([]byte, size)
	have := copy(data, head[nul+1:n])
	if have < size {
		if _, err := io.ReadFull(f.z, data[have:]); err != nil {
			return 0, nil, fmt.Errorf("%w: inflating: %v", errCorrupt, err)
		}
	}
	return k, data, nil
}

func parseDecimal(s string) (int, error) {
	if s == "" || len(s) > 15 {
		return 0, errCorrupt
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, errCorrupt
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// deltaSizes reads a delta's base and result sizes.
func deltaSizes(d []byte) (src, dst int, rest []byte, err error) {
	src, d, err = deltaVarint(d)
	if err != nil {
		return
	}
	dst, d, err = deltaVarint(d)
	return src, dst, d, err
}

func deltaVarint(d []byte) (int, []byte, error) {
	n, shift := 0, 0
	for i, c := range d {
		if shift > 56 {
			break
		}
		n |= int(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if n < 0 {
				break
			}
			return n, d[i+1:], nil
		}
	}
	return 0, nil, fmt.Errorf("%w: bad delta size", errCorrupt)
}

// deltaTarget reads delta d's header, checks its declared sizes against
// base and against what its instructions could produce, and returns the
// instructions with dst emptied (or grown) to hold the declared result.
func deltaTarget(base, d, dst []byte) (dstSize int, instrs, buf []byte, err error) {
	srcSize, dstSize, d, err := deltaSizes(d)
	if err != nil {
		return 0, nil, nil, err
	}
	if srcSize != len(base) {
		return 0, nil, nil, fmt.Errorf("%w: delta base is %d bytes, not %d", errCorrupt, len(base), srcSize)
	}
	// An instruction of at most 8 bytes copies at most 64 KiB: a larger
	// declared result is a lie, not to be allocated.
	if dstSize > 0x10000*len(d) {
		return 0, nil, nil, fmt.Errorf("%w: delta declares %d bytes", errCorrupt, dstSize)
	}
	if cap(dst) >= dstSize {
		return dstSize, d, dst[:0], nil
	}
	return dstSize, d, make([]byte, 0, dstSize), nil
}

// apply builds the result of delta d on base into dst, recording the
// instructions in ops. Every copy is checked against base's bounds and
// the result against the size the delta declares.
func apply(base, d []byte, dst []byte, ops []Op) ([]byte, []Op, error) {
	dstSize, d, dst, err := deltaTarget(base, d, dst)
	if err != nil {
		return nil, ops, err
	}
	dst, ops, err = runDelta(base, d, dst, dstSize, ops)
	if err != nil {
		return nil, ops, err
	}
	if len(dst) != dstSize {
		return nil, ops, fmt.Errorf("%w: delta result is %d bytes, not %d", errCorrupt, len(dst), dstSize)
	}
	return dst, ops, nil
}

// runDelta appends to dst what the delta instructions d build from base,
// never past dstSize, merging each instruction into ops. The whole
// instruction loop is this one function: it runs for every delta object.
func runDelta(base, d, dst []byte, dstSize int, ops []Op) ([]byte, []Op, error) {
	for len(d) > 0 {
		c := d[0]
		d = d[1:]
		switch {
		case c&0x80 != 0:
			var off, n int
			for i := range 4 {
				if c&(1<<i) != 0 {
					if len(d) == 0 {
						return nil, ops, fmt.Errorf("%w: truncated delta", errCorrupt)
					}
					off |= int(d[0]) << (8 * i)
					d = d[1:]
				}
			}
			for i := range 3 {
				if c&(0x10<<i) != 0 {
					if len(d) == 0 {
						return nil, ops, fmt.Errorf("%w: truncated delta", errCorrupt)
					}
					n |= int(d[0]) << (8 * i)
					d = d[1:]
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > len(base) || len(dst)+n > dstSize {
				return nil, ops, fmt.Errorf("%w: delta copies out of bounds", errCorrupt)
			}
			// Two copies that continue each other are one for a reader.
			if k := len(ops) - 1; k >= 0 && ops[k].Base >= 0 && ops[k].Base+ops[k].Len == off {
				ops[k].Len += n
			} else {
				ops = append(ops, Op{Target: len(dst), Len: n, Base: off})
			}
			dst = append(dst, base[off:off+n]...)
		case c != 0:
			n := int(c)
			if n > len(d) || len(dst)+n > dstSize {
				return nil, ops, fmt.Errorf("%w: delta inserts out of bounds", errCorrupt)
			}
			if k := len(ops) - 1; k >= 0 && ops[k].Base < 0 {
				ops[k].Len += n
			} else {
				ops = append(ops, Op{Target: len(dst), Len: n, Base: -1})
			}
			dst = append(dst, d[:n]...)
			d = d[n:]
		default:
			return nil, ops, fmt.Errorf("%w: reserved delta instruction", errCorrupt)
		}
	}
	return dst, ops, nil
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func hexDecode(dst []byte, s string) (int, error) {
	if len(s) != 2*len(dst) {
		return 0, errCorrupt
	}
	for i := range dst {
		hi, lo := unhex(s[2*i]), unhex(s[2*i+1])
		if hi > 15 || lo > 15 {
			return 0, errCorrupt
		}
		dst[i] = hi<<4 | lo
	}
	return len(dst), nil
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 255
}
