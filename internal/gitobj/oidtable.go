package gitobj

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// oidTable maps object ids to dense indexes. Object ids are uniformly
// random, so their first eight bytes are a ready-made hash: an
// open-addressing table of indexes probed linearly, with the ids
// themselves kept once, in order, in ids. It is several times faster than
// a map keyed by a 32-byte array on the millions of lookups a large
// history's trees need.
//
// An id's slot is taken from its leading bits, so the table keeps ids in
// sorted order, give or take a probe: filled from a pack index, which
// lists ids sorted, it is written front to back, like a list, instead of
// at random places of a table larger than the caches (0.7 s of symfony's
// scan, before the first object could be read).
type oidTable struct {
	// slots hold bytes 8 to 11 of the id above index+1 (0 is empty), so
	// a probe that meets another id rarely has to look at ids.
	slots []uint64
	mask  uint64
	shift uint // 64 - log2(len(slots))
	// ids are the ids, size bytes each (the repository's hash length):
	// a SHA-1 repository's 1.3 million ids take 26 MB, not the 42 MB of
	// 32-byte arrays.
	ids  []byte
	size int
}

func newOIDTable(hint, size int) *oidTable {
	n := 1024
	for n < 2*hint {
		n <<= 1
	}
	t := &oidTable{size: size}
	t.setSlots(n)
	return t
}

// setSlots gives the table n empty slots, n a power of two.
func (t *oidTable) setSlots(n int) {
	t.slots = make([]uint64, n)
	t.mask = uint64(n - 1)
	t.shift = uint(64 - bits.Len(uint(n-1)))
}

// home returns the slot where id k's probe starts, and its tag.
func (t *oidTable) home(k []byte) (uint64, uint64) {
	return binary.BigEndian.Uint64(k) >> t.shift, uint64(binary.BigEndian.Uint32(k[8:])) << 32
}

// len is the number of ids.
func (t *oidTable) len() int { return len(t.ids) / t.size }

// id returns the id of index i.
func (t *oidTable) id(i uint32) []byte {
	at := int(i) * t.size
	return t.ids[at : at+t.size : at+t.size]
}

// probe returns the slot that holds k (its first size bytes) and k's
// index, or the empty slot where k belongs.
func (t *oidTable) probe(k []byte) (slot uint64, idx uint32, found bool) {
	home, tag := t.home(k)
	for i := home; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return i, 0, false
		}
		if s&^(1<<32-1) == tag && bytes.Equal(t.id(uint32(s)-1), k[:t.size]) {
			return i, uint32(s) - 1, true
		}
	}
}

// put fills empty slot i with k's tag and index idx.
func (t *oidTable) put(i uint64, k []byte, idx uint32) {
	_, tag := t.home(k)
	t.slots[i] = tag | uint64(idx+1)
}

// lookup returns the index of k (its first size bytes), adding it if it
// is new.
func (t *oidTable) lookup(k *oid) (uint32, bool) {
	i, idx, found := t.probe(k[:])
	if found {
		return idx, true
	}
	idx = uint32(t.len())
	if len(t.ids)+t.size > cap(t.ids) {
		// Past what reserve made room for: grow by a quarter, not by
		// append's doubling of a large slice.
		ids := make([]byte, len(t.ids), cap(t.ids)+cap(t.ids)/4+64*t.size)
		copy(ids, t.ids)
		t.ids = ids
	}
	t.ids = append(t.ids, k[:t.size]...)
	t.put(i, k[:], idx)
	if uint64(t.len())*2 > t.mask {
		t.grow()
	}
	return idx, false
}

// extend adds n indexes, len() to len()+n-1, for setAt to give ids. An
// index it gives no id stays a hole no lookup returns.
func (t *oidTable) extend(n int) {
	t.reserve(n)
	t.ids = t.ids[:len(t.ids)+n*t.size]
}

// setAt gives id k index idx, one of those extend added, and returns it;
// or, if k has an index already, returns that. A pack's ids are given
// the indexes of the objects' places in the pack, where the walk meets
// them, so that lists indexed by them are read and written mostly in
// order; but they are set in the order of the pack's index, by id, so
// that this table is filled front to back.
func (t *oidTable) setAt(idx uint32, k []byte) uint32 {
	i, have, found := t.probe(k)
	if found {
		return have
	}
	copy(t.ids[int(idx)*t.size:], k[:t.size])
	t.put(i, k, idx)
	return idx
}

// reserve makes room for n more ids, so that a table filled from the
// packs' indexes, whose object count is known, is sized once rather than
// doubled (and every id copied and rehashed) twenty times: 1.4 s of
// symfony's 28 s of history scan. A little more is kept for the ids that
// trees and refs name beyond the packs (submodules' commits, missing
// objects), which would otherwise copy the whole list once more.
func (t *oidTable) reserve(n int) {
	total := t.len() + n + n/64 + 64
	if cap(t.ids) < total*t.size {
		ids := make([]byte, len(t.ids), total*t.size)
		copy(ids, t.ids)
		t.ids = ids
	}
	size := len(t.slots)
	for uint64(total)*2 > uint64(size-1) {
		size <<= 1
	}
	if size != len(t.slots) {
		t.rehash(size)
	}
}

func (t *oidTable) grow() { t.rehash(2 * len(t.slots)) }

// rehash moves every id to a table of n slots, a power of two.
func (t *oidTable) rehash(n int) {
	t.setSlots(n)
	for idx, end := 0, t.len(); idx < end; idx++ {
		// setAt, so that a hole extend left (a copy of an object in a
		// second pack) takes no slot.
		t.setAt(uint32(idx), t.id(uint32(idx)))
	}
}
