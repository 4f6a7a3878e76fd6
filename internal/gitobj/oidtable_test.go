package gitobj

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOIDTableFindsEveryIDAfterReserveAndGrowth(t *testing.T) {
	id := func(i int) *oid {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		k := oid(sha256.Sum256(b[:]))
		return &k
	}
	for _, c := range []struct{ reserve, size int }{{0, 32}, {10, 20}, {5000, 32}, {100000, 20}, {0, 20}} {
		reserve := c.reserve
		tab := newOIDTable(0, c.size)
		tab.reserve(reserve)
		const n = 20000
		for i := 0; i < n; i++ {
			if idx, seen := tab.lookup(id(i)); seen || idx != uint32(i) {
				t.Fatalf("reserve %d: first lookup of id %d = %d, seen %v", reserve, i, idx, seen)
			}
			if i == n/2 {
				tab.reserve(reserve) // reserving again, half full, keeps every id
			}
		}
		for i := 0; i < n; i++ {
			if got := tab.id(uint32(i)); string(got) != string(id(i)[:c.size]) {
				t.Fatalf("reserve %d, size %d: id %d reads back as %x", reserve, c.size, i, got)
			}
			if idx, seen := tab.lookup(id(i)); !seen || idx != uint32(i) {
				t.Fatalf("reserve %d: id %d = %d, seen %v; want %d, seen", reserve, i, idx, seen, i)
			}
		}
		if tab.len() != n {
			t.Fatalf("reserve %d: %d ids, want %d", reserve, tab.len(), n)
		}
	}
}

// Ids that share their leading bytes share a home slot and a tag: the
// table must still tell them apart by the whole id, through growth, when
// filled in sorted order (as from a pack index) and at random.
func TestOIDTableSharedPrefixes(t *testing.T) {
	for _, sorted := range []bool{true, false} {
		tab := newOIDTable(0, 20)
		var ids []oid
		for i := range 5000 {
			var k oid
			copy(k[:], "\x12\x34\x56\x78\x9a\xbc\xde\xf0\x11\x22\x33\x44") // 12 shared bytes
			if i%2 == 0 {
				k[0] = byte(i >> 8) // some spread, so clusters meet
			}
			binary.BigEndian.PutUint32(k[16:], uint32(i*7919))
			ids = append(ids, k)
		}
		if sorted {
			slices.SortFunc(ids, func(a, b oid) int { return bytes.Compare(a[:], b[:]) })
		}
		for i := range ids {
			if idx, seen := tab.lookup(&ids[i]); seen || idx != uint32(i) {
				t.Fatalf("sorted %v: id %d added as %d, seen %v", sorted, i, idx, seen)
			}
		}
		for i := range ids {
			if idx, seen := tab.lookup(&ids[i]); !seen || idx != uint32(i) {
				t.Fatalf("sorted %v: id %d found as %d, seen %v", sorted, i, idx, seen)
			}
			if !bytes.Equal(tab.id(uint32(i)), ids[i][:20]) {
				t.Fatalf("sorted %v: id %d reads back wrong", sorted, i)
			}
		}
	}
}

// extend and setAt: ids given the indexes of their places, in another
// order; an id given twice keeps its first index and leaves a hole that
// no lookup returns, through growth.
func TestOIDTableSetAt(t *testing.T) {
	id := func(i int) []byte {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		k := sha256.Sum256(b[:])
		return k[:20]
	}
	tab := newOIDTable(0, 20)
	const n = 3000
	tab.extend(n)
	order := rand.New(rand.NewPCG(1, 1)).Perm(n)
	for _, i := range order {
		src := i
		if i == 7 {
			src = 5 // a second copy of id 5, at index 7
		}
		if got, want := tab.setAt(uint32(i), id(src)), uint32(src); src != 5 && got != want {
			t.Fatalf("id %d set at %d", src, got)
		}
	}
	five, _ := tab.lookup((*oid)(append(id(5), make([]byte, 12)...)))
	for i := range 20000 { // growth rehashes, holes included
		k := oid{}
		copy(k[:], id(n+i))
		tab.lookup(&k)
	}
	for i := range n {
		k := oid{}
		copy(k[:], id(i))
		got, seen := tab.lookup(&k)
		switch {
		case i == 7:
			// id 7 was never given: it is new now.
			if seen {
				t.Fatalf("id 7 found at %d", got)
			}
		case i == 5:
			if !seen || got != five {
				t.Fatalf("id 5 at %d, seen %v; want %d", got, seen, five)
			}
		case !seen || got != uint32(i):
			t.Fatalf("id %d at %d, seen %v", i, got, seen)
		}
	}
}
