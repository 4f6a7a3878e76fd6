package gogit

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// goGitIndex writes a version 2 pack index with go-git's writer and
// encoder for objects at the given offsets (some past 2 GiB, in the
// 64-bit table) and returns it with go-git's decoding of it.
func goGitIndex(t testing.TB, rng *rand.Rand, n int) ([]byte, *idxfile.MemoryIndex, []plumbing.Hash) {
	t.Helper()
	w := new(idxfile.Writer)
	if err := w.OnHeader(uint32(n)); err != nil {
		t.Fatal(err)
	}
	var ids []plumbing.Hash
	for i := 0; i < n; i++ {
		var h plumbing.Hash
		for j := range h {
			h[j] = byte(rng.IntN(256))
		}
		pos := int64(rng.IntN(1 << 30))
		if rng.IntN(4) == 0 {
			pos += 1 << 32 // a 64-bit offset
		}
		if err := w.OnInflatedObjectContent(h, pos, rng.Uint32(), nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h)
	}
	if err := w.OnFooter(plumbing.Hash{1}); err != nil {
		t.Fatal(err)
	}
	idx, err := w.Index()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := idxfile.NewEncoder(&buf).Encode(idx); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), idx, ids
}

// TestPackIndexMatchesGoGit: the mapped pack index answers what go-git's
// pack reader asks (is an object there, at which offset, with which
// CRC-32) as go-git's own decoded index does, 64-bit offsets included,
// and finds no object that is not there.
func TestPackIndexMatchesGoGit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, n := range []int{1, 2, 255, 1000, 5000} {
		raw, theirs, ids := goGitIndex(t, rng, n)
		ours := &packIndex{data: raw}
		if err := ours.layout(); err != nil {
			t.Fatalf("%d objects: layout: %v", n, err)
		}
		if c, _ := ours.Count(); c != int64(n) {
			t.Errorf("%d objects: Count %d", n, c)
		}
		for _, h := range ids {
			wantOff, err1 := theirs.FindOffset(h)
			gotOff, err2 := ours.FindOffset(h)
			wantCRC, _ := theirs.FindCRC32(h)
			gotCRC, _ := ours.FindCRC32(h)
			if err1 != nil || err2 != nil || gotOff != wantOff || gotCRC != wantCRC {
				t.Fatalf("%d objects, %s: offset %d crc %08x (%v), go-git %d %08x (%v)", n, h, gotOff, gotCRC, err2, wantOff, wantCRC, err1)
			}
		}
		for i := 0; i < 200; i++ {
			var h plumbing.Hash
			for j := range h {
				h[j] = byte(rng.IntN(256))
			}
			want, _ := theirs.Contains(h)
			if got, _ := ours.Contains(h); got != want {
				t.Fatalf("%d objects, %s: Contains %v, go-git %v", n, h, got, want)
			}
		}
	}
}

// FuzzPackIndex: a pack index read in place never panics, whatever its
// bytes; a lookup answers or errs.
func FuzzPackIndex(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	raw, _, ids := goGitIndex(f, rng, 40)
	f.Add(raw, ids[0][:])
	f.Add(raw[:len(raw)/2], ids[1][:])
	bad := bytes.Clone(raw)
	binary.BigEndian.PutUint32(bad[8+4*255:], 1<<31) // a count past the tables
	f.Add(bad, ids[2][:])
	f.Fuzz(func(t *testing.T, data, id []byte) {
		x := &packIndex{data: data}
		if x.layout() != nil {
			return
		}
		var h plumbing.Hash
		copy(h[:], id)
		_, _ = x.Contains(h)
		_, _ = x.FindOffset(h)
		_, _ = x.FindCRC32(h)
	})
}
