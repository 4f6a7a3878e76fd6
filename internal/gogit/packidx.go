package gogit

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// packIndex is a pack's index file (version 2), mapped and searched in
// place, as git does, for go-git's pack reader (idxfile.Index).
//
// go-git's own index (idxfile.MemoryIndex) decodes the whole file before
// the first object is read: 2 ms for a 10,000-file repository, 1.8 s for
// symfony's 37 MB, where this costs a binary search per object.
type packIndex struct {
	data   []byte
	unmap  func() error
	n      int
	fanout []byte // 256 big-endian counts
	names  []byte // n ids of 20 bytes, sorted
	crcs   []byte // n CRC-32s
	offs   []byte // n 31-bit offsets, or indexes into big
	big    []byte // 64-bit offsets
}

var _ idxfile.Index = (*packIndex)(nil)

// errIndexQuery is what the index answers to the queries go-git's
// object reader never makes.
var errIndexQuery = errors.New("not supported by the mapped pack index")

func openPackIndex(path string) (*packIndex, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, fallbackf("pack index %s: %v", path, err)
	}
	x := &packIndex{data: data, unmap: unmap}
	if err := x.layout(); err != nil {
		unmap()
		return nil, fallbackf("pack index %s: %v", path, err)
	}
	return x, nil
}

func (x *packIndex) layout() error {
	d := x.data
	const head = 8 + 256*4
	if len(d) < head+40 || !bytes.Equal(d[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(d[4:]) != 2 {
		return errors.New("not a version 2 pack index")
	}
	x.fanout = d[8:head]
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		c := binary.BigEndian.Uint32(x.fanout[4*i:])
		if c < prev {
			return errors.New("fan-out table not ascending")
		}
		prev = c
	}
	x.n = int(prev)
	rest := d[head : len(d)-40] // the pack's and the index's checksums end it
	if len(rest) < x.n*28 {
		return errors.New("truncated")
	}
	x.names = rest[:x.n*20]
	x.crcs = rest[x.n*20 : x.n*24]
	x.offs = rest[x.n*24 : x.n*28]
	x.big = rest[x.n*28:]
	if len(x.big)%8 != 0 {
		return errors.New("64-bit offset table misaligned")
	}
	return nil
}

func (x *packIndex) close() error { return x.unmap() }

// find returns the position of h among the index's ids.
func (x *packIndex) find(h plumbing.Hash) (int, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(binary.BigEndian.Uint32(x.fanout[4*(int(h[0])-1):]))
	}
	hi := int(binary.BigEndian.Uint32(x.fanout[4*int(h[0]):]))
	if hi > x.n || lo > hi {
		return 0, false
	}
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(x.names[mid*20:mid*20+20], h[:]); {
		case c == 0:
			return mid, true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

func (x *packIndex) Contains(h plumbing.Hash) (bool, error) {
	_, ok := x.find(h)
	return ok, nil
}

func (x *packIndex) FindOffset(h plumbing.Hash) (int64, error) {
	i, ok := x.find(h)
	if !ok {
		return 0, plumbing.ErrObjectNotFound
	}
	o := binary.BigEndian.Uint32(x.offs[4*i:])
	if o&0x80000000 == 0 {
		return int64(o), nil
	}
	k := int(o & 0x7fffffff)
	if 8*k+8 > len(x.big) {
		return 0, errors.New("pack index: 64-bit offset out of range")
	}
	return int64(binary.BigEndian.Uint64(x.big[8*k:])), nil
}

func (x *packIndex) FindCRC32(h plumbing.Hash) (uint32, error) {
	i, ok := x.find(h)
	if !ok {
		return 0, plumbing.ErrObjectNotFound
	}
	return binary.BigEndian.Uint32(x.crcs[4*i:]), nil
}

// FindHash names the object at offset o. go-git's pack reader asks it
// only to name a delta's base for its caches, and reads the base by its
// offset. Answering truly would mean sorting every offset of the pack
// (tens of milliseconds on a large one) before the first delta, so the
// answer is a name no object has: 0xff in the first 12 bytes, then the
// offset. It is unique per offset, so a cache keyed by it holds the right
// base; an object named so would be one in 2^96.
func (x *packIndex) FindHash(o int64) (plumbing.Hash, error) {
	var h plumbing.Hash
	for i := 0; i < 12; i++ {
		h[i] = 0xff
	}
	binary.BigEndian.PutUint64(h[12:], uint64(o))
	return h, nil
}

func (x *packIndex) Count() (int64, error) { return int64(x.n), nil }

func (x *packIndex) Entries() (idxfile.EntryIter, error) { return nil, errIndexQuery }

func (x *packIndex) EntriesByOffset() (idxfile.EntryIter, error) { return nil, errIndexQuery }
