package gitrename

import (
	"bytes"
	"sort"
	"testing"
)

// refSpan and refTable are a line-by-line port of diffcore-delta.c's
// spanhash table (open addressing, growth, qsort with empty slots last),
// kept naive on purpose: the fuzz target checks hasher.table against it.
type refSpan struct{ hashval, cnt uint32 }

type refTable struct {
	allocLog2, free int
	data            []refSpan
}

func refInitialFree(log2 int) int { return (1 << log2) * (log2 - 3) / log2 }

func newRefTable(log2 int) *refTable {
	return &refTable{allocLog2: log2, free: refInitialFree(log2), data: make([]refSpan, 1<<log2)}
}

func (t *refTable) rehash() *refTable {
	n := newRefTable(t.allocLog2 + 1)
	sz := 1 << n.allocLog2
	for _, o := range t.data {
		if o.cnt == 0 {
			continue
		}
		bucket := int(o.hashval) & (sz - 1)
		for {
			h := &n.data[bucket]
			bucket++
			if h.cnt == 0 {
				*h = o
				n.free--
				break
			}
			if sz <= bucket {
				bucket = 0
			}
		}
	}
	return n
}

func (t *refTable) add(hashval, cnt uint32) *refTable {
	lim := 1 << t.allocLog2
	bucket := int(hashval) & (lim - 1)
	for {
		h := &t.data[bucket]
		bucket++
		if h.cnt == 0 {
			h.hashval, h.cnt = hashval, cnt
			t.free--
			if t.free < 0 {
				return t.rehash()
			}
			return t
		}
		if h.hashval == hashval {
			h.cnt += cnt
			return t
		}
		if lim <= bucket {
			bucket = 0
		}
	}
}

// refHashChars is hash_chars.
func refHashChars(buf []byte, isText bool) *refTable {
	t := newRefTable(9)
	var accum1, accum2 uint32
	n := uint32(0)
	for i := 0; i < len(buf); i++ {
		c := uint32(buf[i])
		old1 := accum1
		sz := len(buf) - i - 1
		if isText && c == '\r' && sz > 0 && buf[i+1] == '\n' {
			continue
		}
		accum1 = (accum1 << 7) ^ (accum2 >> 25)
		accum2 = (accum2 << 7) ^ (old1 >> 25)
		accum1 += c
		n++
		if n < 64 && c != '\n' {
			continue
		}
		t = t.add((accum1+accum2*0x61)%hashBase, n)
		n, accum1, accum2 = 0, 0, 0
	}
	sort.Slice(t.data, func(i, j int) bool {
		a, b := t.data[i], t.data[j]
		if a.cnt == 0 || b.cnt == 0 {
			return a.cnt != 0 && b.cnt == 0
		}
		return a.hashval < b.hashval
	})
	return t
}

// refCountChanges is diffcore_count_changes, walking to the first empty
// slot as the C code does.
func refCountChanges(src, dst *refTable) (srcCopied, literalAdded uint64) {
	s, d := src.data, dst.data
	si, di := 0, 0
	cnt := func(x []refSpan, i int) uint32 {
		if i < len(x) {
			return x[i].cnt
		}
		return 0
	}
	for cnt(s, si) != 0 {
		for cnt(d, di) != 0 && d[di].hashval < s[si].hashval {
			literalAdded += uint64(d[di].cnt)
			di++
		}
		srcCnt, dstCnt := s[si].cnt, uint32(0)
		if cnt(d, di) != 0 && d[di].hashval == s[si].hashval {
			dstCnt = d[di].cnt
			di++
		}
		if srcCnt < dstCnt {
			literalAdded += uint64(dstCnt - srcCnt)
			srcCopied += uint64(srcCnt)
		} else {
			srcCopied += uint64(dstCnt)
		}
		si++
	}
	for cnt(d, di) != 0 {
		literalAdded += uint64(d[di].cnt)
		di++
	}
	return srcCopied, literalAdded
}

func sameTable(t *testing.T, got chunkTable, want *refTable) {
	t.Helper()
	var w []uint64
	for _, s := range want.data {
		if s.cnt != 0 {
			w = append(w, uint64(s.hashval)<<32|uint64(s.cnt))
		}
	}
	if len(got) != len(w) {
		t.Fatalf("table has %d hashes, git's %d", len(got), len(w))
	}
	for i := range w {
		if got[i] != w[i] {
			t.Fatalf("entry %d: %#x, git's %#x", i, got[i], w[i])
		}
	}
}

// FuzzChunkHash checks the chunk tables of both halves of the input, as
// text and as binary, and the bytes they share, against the port of git.
func FuzzChunkHash(f *testing.F) {
	f.Add([]byte("line1\nline2\n"), uint8(6))
	f.Add([]byte("a\r\nb\r\n\r\r\n\n"), uint8(3))
	f.Add(append(bytes.Repeat([]byte("a"), 130), '\n'), uint8(65))
	f.Add(bytes.Repeat([]byte("x\n"), 2000), uint8(100))
	f.Add([]byte("\x00\r\n\x00"), uint8(0))
	var long []byte
	for i := range 3000 {
		long = append(long, byte(i*7), byte(i), '\n', byte(i>>3))
	}
	f.Add(long, uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		at := int(cut) * len(data) / 256
		src, dst := data[:at], data[at:]
		var h hasher
		for _, text := range []bool{true, false} {
			st, dt := h.table(src, text), h.table(dst, text)
			rs, rd := refHashChars(src, text), refHashChars(dst, text)
			sameTable(t, st, rs)
			sameTable(t, dt, rd)
			want, _ := refCountChanges(rs, rd)
			if got := copied(st, dt); got != want {
				t.Fatalf("copied = %d, git's %d", got, want)
			}
			sim := similarity{}
			sim.startRow(&side{})
			if got := sim.row.copied(st, dt); got != want {
				t.Fatalf("dense copied = %d, git's %d", got, want)
			}
			sim.startRow(nil)
			for i, c := range sim.row.counts {
				if c != 0 {
					t.Fatalf("dense row left %d at hash %d", c, i)
				}
			}
			total := uint64(0)
			for _, e := range dt {
				total += e & 0xffffffff
			}
			if total > uint64(len(dst)) {
				t.Fatalf("chunks hold %d bytes of %d", total, len(dst))
			}
		}
		// Similarity uses both.
		if s := Similarity(src, dst, 1); s < 0 || s > MaxScore {
			t.Fatalf("Similarity = %d", s)
		}
	})
}
