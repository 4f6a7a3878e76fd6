package gitplumb

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

func TestOIDTableFindsEveryIDAfterReserveAndGrowth(t *testing.T) {
	id := func(i int) *oid {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		k := oid(sha256.Sum256(b[:]))
		return &k
	}
	for _, reserve := range []int{0, 10, 5000, 100000} {
		tab := newOIDTable(0)
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
			if idx, seen := tab.lookup(id(i)); !seen || idx != uint32(i) {
				t.Fatalf("reserve %d: id %d = %d, seen %v; want %d, seen", reserve, i, idx, seen, i)
			}
		}
		if len(tab.ids) != n {
			t.Fatalf("reserve %d: %d ids, want %d", reserve, len(tab.ids), n)
		}
	}
}
