package gitrename

import (
	"bytes"
	"fmt"
	"slices"
)

// hashBase is HASHBASE in diffcore-delta.c: chunk hashes are taken modulo
// this prime.
const hashBase = 107927

// firstFewBytes is FIRST_FEW_BYTES in xdiff-interface.c: how far git looks
// for a NUL to call a blob binary.
const firstFewBytes = 8000

// isBinary is buffer_is_binary.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), firstFewBytes)], 0) >= 0
}

// chunkTable is the sorted content of git's spanhash table: one entry per
// distinct chunk hash, the hash in the high 32 bits and the number of bytes
// of chunks with that hash in the low 32, in increasing order of hash.
type chunkTable []uint64

// hasher builds chunk tables, keeping its scratch space between calls.
type hasher struct {
	chunks, spare []uint64 // hash<<32 | length, one per chunk
}

// table is hash_chars in diffcore-delta.c. A chunk ends after a newline or
// after 64 bytes; a CR right before an LF is skipped when the blob is text;
// a last chunk with neither is not counted. Where git adds each chunk to
// an open-addressing table and sorts it, this sorts the chunks and merges
// equal hashes: the same (hash, bytes) list.
func (h *hasher) table(buf []byte, text bool) chunkTable {
	chunks := h.chunks[:0]
	var accum1, accum2 uint32
	n := uint32(0)
	for i := 0; i < len(buf); i++ {
		c := buf[i]
		if text && c == '\r' && i+1 < len(buf) && buf[i+1] == '\n' {
			continue
		}
		old1 := accum1
		accum1 = (accum1 << 7) ^ (accum2 >> 25)
		accum2 = (accum2 << 7) ^ (old1 >> 25)
		accum1 += uint32(c)
		n++
		if n < 64 && c != '\n' {
			continue
		}
		chunks = append(chunks, uint64((accum1+accum2*0x61)%hashBase)<<32|uint64(n))
		n, accum1, accum2 = 0, 0, 0
	}
	chunks = h.sortByHash(chunks)
	distinct := 0
	for i, c := range chunks {
		if i == 0 || c>>32 != chunks[i-1]>>32 {
			distinct++
		}
	}
	t := make(chunkTable, 0, distinct)
	for _, c := range chunks {
		if k := len(t) - 1; k >= 0 && t[k]>>32 == c>>32 {
			t[k] = t[k]&^0xffffffff | uint64(uint32(t[k])+uint32(c)) // unsigned int, as git's cnt
			continue
		}
		t = append(t, c)
	}
	return t
}

// sortByHash orders chunks by hash (the lengths of equal hashes are
// summed later, so their order does not matter). Hashes have 17 bits: two
// passes of a radix sort beat a comparison sort once there are a few
// hundred chunks.
func (h *hasher) sortByHash(chunks []uint64) []uint64 {
	h.chunks = chunks
	if len(chunks) < 256 {
		slices.Sort(chunks)
		return chunks
	}
	if cap(h.spare) < len(chunks) {
		h.spare = make([]uint64, len(chunks), cap(chunks))
	}
	from, to := chunks, h.spare[:len(chunks)]
	for _, shift := range []uint{32, 41} {
		var count [512]int
		for _, c := range from {
			count[c>>shift&511]++
		}
		pos := 0
		for i, n := range count {
			count[i] = pos
			pos += n
		}
		for _, c := range from {
			k := c >> shift & 511
			to[count[k]] = c
			count[k]++
		}
		from, to = to, from
	}
	return from
}

// copied is src_copied of diffcore_count_changes: the bytes of dst's
// chunks that src has too, counting each hash at most as often as src has
// it.
func copied(src, dst chunkTable) uint64 {
	var sc uint64
	i, j := 0, 0
	for i < len(src) && j < len(dst) {
		sh, dh := src[i]>>32, dst[j]>>32
		switch {
		case sh < dh:
			i++
		case sh > dh:
			j++
		default:
			sc += uint64(min(uint32(src[i]), uint32(dst[j])))
			i++
			j++
		}
	}
	return sc
}

// sizeRejects is the early exit of estimate_similarity: edits that change
// the size this much are not renames. It also rejects an empty side against
// a non-empty one. The arithmetic is git's, in double precision.
func sizeRejects(srcSize, dstSize int64, minScore int) bool {
	maxSize, baseSize := max(srcSize, dstSize), min(srcSize, dstSize)
	delta := maxSize - baseSize
	return float64(maxSize)*(MaxScore-float64(minScore)) < float64(delta)*MaxScore
}

// score is the end of estimate_similarity.
func score(sc uint64, srcSize, dstSize int64) int {
	if dstSize == 0 {
		return 0
	}
	return int(float64(sc) * MaxScore / float64(max(srcSize, dstSize)))
}

// Similarity is git's estimate_similarity for two regular files whose
// "diff" attribute leaves binary detection to their content: 0 to MaxScore,
// or 0 when their sizes alone rule out minScore.
func Similarity(src, dst []byte, minScore int) int {
	if sizeRejects(int64(len(src)), int64(len(dst)), minScore) {
		return 0
	}
	var h hasher
	st := h.table(src, !isBinary(src))
	dt := h.table(dst, !isBinary(dst))
	return score(copied(st, dt), int64(len(src)), int64(len(dst)))
}

// blob is what Detect learned about one object id.
type blob struct {
	sized  bool
	size   int64
	nul    bool          // buffer_is_binary; valid once loaded
	loaded bool          // nul is known
	tables [2]chunkTable // [0] binary, [1] text; nil until hashed
	hashed [2]bool
}

// similarity computes estimate_similarity for Detect, loading each blob
// once and caching its size and chunk tables as git caches cnt_data.
type similarity struct {
	opt   Options
	blobs map[string]*blob
	h     hasher
	row   denseRow
}

func newSimilarity(opt Options) *similarity {
	return &similarity{opt: opt, blobs: map[string]*blob{}}
}

// estimate is estimate_similarity.
func (s *similarity) estimate(src, dst *side, minScore int) (int, error) {
	if !src.regular() || !dst.regular() {
		return 0, nil
	}
	ss, err := s.size(src)
	if err != nil {
		return 0, err
	}
	ds, err := s.size(dst)
	if err != nil {
		return 0, err
	}
	if sizeRejects(ss, ds, minScore) {
		return 0, nil
	}
	st, err := s.table(src)
	if err != nil {
		return 0, err
	}
	dt, err := s.table(dst)
	if err != nil {
		return 0, err
	}
	if s.row.dst == dst {
		return score(s.row.copied(st, dt), ss, ds), nil
	}
	return score(copied(st, dt), ss, ds), nil
}

// denseRow holds one destination's chunk table as an array by hash, so
// that comparing it with many sources costs each source's table only.
type denseRow struct {
	dst    *side
	counts []uint32 // by hash; zero outside the destination's table
	table  chunkTable
}

// startRow makes dst the destination that estimate compares through the
// dense array; nil stops it. The matrix uses it for rows of many sources.
func (s *similarity) startRow(dst *side) {
	r := &s.row
	for _, e := range r.table {
		r.counts[e>>32] = 0
	}
	r.dst, r.table = dst, nil
	if dst != nil && r.counts == nil {
		r.counts = make([]uint32, hashBase)
	}
}

// copied is the function copied, with dst's table spread on first use.
func (r *denseRow) copied(src, dst chunkTable) uint64 {
	if r.table == nil && len(dst) > 0 {
		for _, e := range dst {
			r.counts[e>>32] = uint32(e)
		}
		r.table = dst
	}
	var sc uint64
	for _, e := range src {
		sc += uint64(min(uint32(e), r.counts[e>>32]))
	}
	return sc
}

func (s *similarity) blob(id string) *blob {
	b := s.blobs[id]
	if b == nil {
		b = &blob{}
		s.blobs[id] = b
	}
	return b
}

func (s *similarity) size(f *side) (int64, error) {
	if f.sized {
		return f.size, nil
	}
	b := s.blob(f.ID)
	if !b.sized && s.opt.Size != nil {
		n, err := s.opt.Size(f.ID)
		if err != nil {
			return 0, fmt.Errorf("gitrename: size of %s (%s): %w", f.ID, f.Path, err)
		}
		b.sized, b.size = true, n
	}
	if !b.sized {
		// Loading for the size hashes this side at once; the content
		// is at hand and is not kept.
		if _, err := s.table(f); err != nil {
			return 0, err
		}
	}
	f.sized, f.size = true, b.size
	return f.size, nil
}

// table returns the chunk table of a side, loading its blob if needed.
func (s *similarity) table(f *side) (chunkTable, error) {
	if f.hashed {
		return f.counts, nil
	}
	b := s.blob(f.ID)
	mode := ByContent
	if s.opt.Binary != nil {
		mode = s.opt.Binary(f.Path)
	}
	text, known := mode == Text, mode != ByContent
	if !known && b.loaded {
		text, known = !b.nul, true
	}
	k := 0
	if text {
		k = 1
	}
	if !known || !b.hashed[k] {
		data, err := s.opt.Load(f.ID)
		if err != nil {
			return nil, fmt.Errorf("gitrename: load %s (%s): %w", f.ID, f.Path, err)
		}
		b.loaded, b.nul = true, isBinary(data)
		b.sized, b.size = true, int64(len(data))
		if !known {
			text = !b.nul
			k = 0
			if text {
				k = 1
			}
		}
		if !b.hashed[k] {
			b.tables[k], b.hashed[k] = s.h.table(data, text), true
		}
	}
	f.counts, f.hashed = b.tables[k], true
	return f.counts, nil
}
