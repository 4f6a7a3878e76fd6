package packfile

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	mathbits "math/bits"
)

// This file inflates a pack entry's zlib stream (RFC 1950 around RFC 1951)
// whose inflated size the entry's header gives, from memory into memory:
// the shape every pack entry has. A general decoder reads its input
// through an io.Reader a byte at a time and writes through a 32 KiB
// window that a Read then copies out; this one loads the input 8 bytes
// at a time, decodes Huffman codes with one table lookup (two for codes
// longer than the table's index), and writes and copies matches straight
// into the object's buffer. It accepts exactly the streams compress/flate
// and compress/zlib accept (FuzzInflate checks it against them), checks
// the Adler-32 trailer, and fails, never reads or writes out of bounds,
// on a stream that is damaged or forged.

var (
	errInflateLong  = errors.New("longer than its header says")
	errInflateShort = errors.New("shorter than its header says")
	errInflateBad   = errors.New("not a valid deflate stream")
	errInflateSum   = errors.New("checksum mismatch")
)

// A table entry: the code's length in bits (bits 0-3), flags, the count
// of extra bits or, for a link, the subtable's index bits (bits 8-11),
// and the value (bits 16-31): a literal byte, a length or distance base,
// or the subtable's offset.
const (
	entLenMask = 0xF
	entLink    = 1 << 4 // points at a subtable
	entLit     = 1 << 5 // a literal byte
	entEnd     = 1 << 6 // the end of the block
	entBad     = 1 << 7 // no valid code starts with these bits
)

const (
	litBits  = 10 // index bits of the literal/length table
	distBits = 8  // index bits of the distance table
	clenBits = 7  // the code length code is at most 7 bits long
	maxCode  = 15 // the longest code deflate allows
)

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// clenOrder is the order of the code length code's lengths.
	clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// entryTables are each symbol's table entry, less its code length: for
// literals and lengths, distances, and code lengths. An inflateState
// makes its own on first use, so the package builds nothing at start-up.
type entryTables struct {
	lit  [288]uint32
	dist [32]uint32
	clen [19]uint32
}

func newEntryTables() *entryTables {
	e := &entryTables{}
	for sym := range e.lit {
		e.lit[sym] = litEntry(sym)
	}
	for sym := range e.dist {
		e.dist[sym] = distEntry(sym)
	}
	for sym := range e.clen {
		e.clen[sym] = uint32(sym) << 16
	}
	return e
}

func litEntry(sym int) uint32 {
	switch {
	case sym < 256:
		return entLit | uint32(sym)<<16
	case sym == 256:
		return entEnd
	case sym <= 285:
		return uint32(lengthExtra[sym-257])<<8 | uint32(lengthBase[sym-257])<<16
	}
	return entBad
}

func distEntry(sym int) uint32 {
	if sym < 30 {
		return uint32(distExtra[sym])<<8 | uint32(distBase[sym])<<16
	}
	return entBad
}

// huffman is a decoding table: 1<<bits entries indexed by the next bits
// of input, then subtables for longer codes.
type huffman struct {
	t    []uint32
	bits uint
	// linked says the last build made subtables: the next one clears the
	// primary table first, so that a link left over is not taken for one
	// of its own. Otherwise every entry is written anew.
	linked bool
}

// build makes h decode the canonical code whose code lengths are lens
// (0: symbol unused), entries[sym] giving symbol sym's entry. It reports false
// for lengths that are no code deflate accepts: over-subscribed, or
// incomplete other than a single code of length 1 (as zlib allows). An
// empty code builds (a block of literals only has no distance code) and
// fails when used.
func (h *huffman) build(bits uint, lens []uint8, entries []uint32) bool {
	next, maxLen, ok := firstCodes(lens)
	if !ok {
		return false
	}
	size := 1 << bits
	h.bits = bits
	if cap(h.t) < size {
		h.t = make([]uint32, size, 2*size)
	}
	h.t = h.t[:size]
	if h.linked {
		clear(h.t)
		h.linked = false
	}
	if maxLen <= 1 {
		// An empty code, or codes of length 1, of which there may be
		// only one (code 0): input bits that start no code decode
		// nothing.
		fill(h.t, entBad)
	}
	subBits := uint(max(maxLen-int(bits), 0))
	for sym, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		rev := int(mathbits.Reverse16(uint16(c)) >> (16 - l))
		e := entries[sym] | uint32(l)
		if int(l) <= int(bits) {
			for i := rev; i < size; i += 1 << l {
				h.t[i] = e
			}
			continue
		}
		off := h.subtable(rev&(size-1), subBits)
		for i := rev >> bits; i < 1<<subBits; i += 1 << (int(l) - int(bits)) {
			h.t[off+i] = e
		}
	}
	return true
}

// firstCodes returns the first code of each length, as in RFC 1951
// 3.2.2, and the longest length. It reports false for lengths that are
// over-subscribed, or incomplete other than a single code of length 1;
// maxLen is 0 for an empty code.
func firstCodes(lens []uint8) (next [maxCode + 1]int, maxLen int, ok bool) {
	var count [maxCode + 1]int
	for _, l := range lens {
		if l != 0 {
			count[l]++
			maxLen = max(maxLen, int(l))
		}
	}
	if maxLen == 0 {
		return next, 0, true
	}
	code := 0
	for l := 1; l <= maxLen; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	total := next[maxLen] + count[maxLen]
	return next, maxLen, total == 1<<maxLen || (total == 1 && maxLen == 1)
}

// subtable returns the offset of the subtable that the primary entry at
// prefix links to, making it if it is not there yet.
func (h *huffman) subtable(prefix int, subBits uint) int {
	link := h.t[prefix]
	if link&entLink == 0 {
		off := len(h.t)
		h.t = grow(h.t, 1<<subBits)
		h.linked = true
		link = entLink | uint32(subBits)<<8 | uint32(off)<<16
		h.t[prefix] = link
	}
	return int(link >> 16)
}

func fill(t []uint32, v uint32) {
	for i := range t {
		t[i] = v
	}
}

// grow appends n zero entries to t.
func grow(t []uint32, n int) []uint32 {
	if len(t)+n > cap(t) {
		t = append(t[:cap(t)], make([]uint32, len(t)+n-cap(t))...)[:len(t)]
	}
	t = t[:len(t)+n]
	clear(t[len(t)-n:])
	return t
}

// bitReader reads a deflate stream's bits, least significant first.
type bitReader struct {
	in   []byte
	pos  int    // the next byte of in to load
	bits uint64 // loaded bits not yet consumed
	n    uint   // how many
	// over counts the zero bytes loaded past the end of in: decoding may
	// look ahead there, but a stream that consumes them is truncated.
	over uint
}

// refill loads bits until at least 56 are loaded.
func (br *bitReader) refill() {
	if br.pos+8 <= len(br.in) {
		br.bits |= binary.LittleEndian.Uint64(br.in[br.pos:]) << br.n
		br.pos += int(63-br.n) >> 3
		br.n |= 56
		return
	}
	for br.n <= 56 {
		if br.pos < len(br.in) {
			br.bits |= uint64(br.in[br.pos]) << br.n
			br.pos++
		} else {
			br.over++
		}
		br.n += 8
	}
}

// take consumes and returns the next k bits (k <= 32, k <= br.n).
func (br *bitReader) take(k uint) uint32 {
	v := uint32(br.bits & (1<<k - 1))
	br.bits >>= k
	br.n -= k
	return v
}

// decode decodes one symbol's entry with h; br must hold at least 15 bits.
func (br *bitReader) decode(h *huffman) uint32 {
	e := h.t[br.bits&(1<<h.bits-1)]
	if e&entLink != 0 {
		sub := (e >> 8) & 0xF
		e = h.t[int(e>>16)+int((br.bits>>h.bits)&(1<<sub-1))]
	}
	br.bits >>= e & entLenMask
	br.n -= uint(e & entLenMask)
	return e
}

// alignedPos drops the bits up to the next byte boundary and returns the
// position in in of the next byte, the loaded whole bytes given back; -1
// if the stream has consumed bytes past its end.
func (br *bitReader) alignedPos() int {
	br.take(br.n & 7)
	loaded := br.n >> 3
	if br.over > loaded {
		return -1
	}
	pos := br.pos - int(loaded-br.over)
	br.bits, br.n, br.over = 0, 0, 0
	br.pos = pos
	return pos
}

// inflateState is one goroutine's decoding tables, kept between streams.
type inflateState struct {
	ents            *entryTables
	lit, dist, clen huffman
	fixedLit        huffman
	fixedDist       huffman
	lens            [286 + 30]uint8
}

// inflateZlib inflates the zlib stream at the start of in into dst,
// which must hold exactly its inflated size.
func (s *inflateState) inflateZlib(in []byte, dst []byte) error {
	if len(in) < 2 || in[0]&0x0F != 8 || in[0]>>4 > 7 || (uint(in[0])<<8|uint(in[1]))%31 != 0 {
		return errors.New("not a zlib stream")
	}
	if in[1]&0x20 != 0 {
		return errors.New("zlib stream needs a preset dictionary")
	}
	if s.ents == nil {
		s.ents = newEntryTables()
	}
	br := bitReader{in: in, pos: 2}
	out := 0
	for final := false; !final; {
		br.refill()
		final = br.take(1) == 1
		var err error
		switch br.take(2) {
		case 0:
			out, err = s.stored(&br, dst, out)
		case 1:
			s.fixed()
			out, err = s.block(&br, &s.fixedLit, &s.fixedDist, dst, out)
		case 2:
			if err = s.dynamic(&br); err == nil {
				out, err = s.block(&br, &s.lit, &s.dist, dst, out)
			}
		default:
			err = errInflateBad
		}
		if err != nil {
			return err
		}
	}
	if out != len(dst) {
		return errInflateShort
	}
	pos := br.alignedPos()
	if pos < 0 || pos+4 > len(in) {
		return errInflateShort
	}
	if binary.BigEndian.Uint32(in[pos:]) != adler32.Checksum(dst) {
		return errInflateSum
	}
	return nil
}

// stored copies a stored block.
func (s *inflateState) stored(br *bitReader, dst []byte, out int) (int, error) {
	pos := br.alignedPos()
	if pos < 0 || pos+4 > len(br.in) {
		return out, errInflateShort
	}
	n := int(binary.LittleEndian.Uint16(br.in[pos:]))
	if binary.LittleEndian.Uint16(br.in[pos+2:]) != ^uint16(n) {
		return out, errInflateBad
	}
	pos += 4
	switch {
	case pos+n > len(br.in):
		return out, errInflateShort
	case out+n > len(dst):
		return out, errInflateLong
	}
	copy(dst[out:], br.in[pos:pos+n])
	br.pos = pos + n
	return out + n, nil
}

// fixed builds the fixed codes' tables the first time a block uses them.
func (s *inflateState) fixed() {
	if s.fixedLit.t != nil {
		return
	}
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	s.fixedLit.build(litBits, lens[:], s.ents.lit[:])
	for i := range 32 {
		lens[i] = 5
	}
	s.fixedDist.build(distBits, lens[:32], s.ents.dist[:])
}

// dynamic reads a dynamic block's header into s.lit and s.dist.
func (s *inflateState) dynamic(br *bitReader) error {
	br.refill()
	nlit := int(br.take(5)) + 257
	ndist := int(br.take(5)) + 1
	nclen := int(br.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return errInflateBad
	}
	var clens [19]uint8
	for i := range nclen {
		if br.n < 3 {
			br.refill()
		}
		clens[clenOrder[i]] = uint8(br.take(3))
	}
	if !s.clen.build(clenBits, clens[:], s.ents.clen[:]) {
		return errInflateBad
	}
	lens := s.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		br.refill()
		e := br.decode(&s.clen)
		if e&entBad != 0 {
			return errInflateBad
		}
		sym := int(e >> 16)
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return errInflateBad
			}
			rep, v = 3+int(br.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(br.take(3))
		default:
			rep = 11 + int(br.take(7))
		}
		if i+rep > len(lens) {
			return errInflateBad
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if lens[256] == 0 || !s.lit.build(litBits, lens[:nlit], s.ents.lit[:]) || !s.dist.build(distBits, lens[nlit:], s.ents.dist[:]) {
		return errInflateBad
	}
	return nil
}

// follow returns entry e, or the entry of the subtable it links to,
// indexed by the input bits past the primary table's.
func follow(e uint32, t []uint32, bits uint64) uint32 {
	if e&entLink != 0 {
		e = t[int(e>>16)+int(bits&(1<<((e>>8)&0xF)-1))]
	}
	return e
}

// copyMatch copies length bytes from distance back in dst to dst[out:]
// and returns the new end of the output.
func copyMatch(dst []byte, out, distance, length int) (int, error) {
	switch {
	case distance > out:
		return out, errInflateBad
	case length > len(dst)-out:
		return out, errInflateLong
	}
	from, end := out-distance, out+length
	if distance >= length {
		copy(dst[out:end], dst[from:])
		return end, nil
	}
	// Overlapping: the bytes repeat every distance; each copy doubles
	// the run already written.
	for out < end {
		out += copy(dst[out:end], dst[from:out])
	}
	return out, nil
}

// block decodes a Huffman-coded block's symbols into dst from out. It is
// the loop nearly all of inflating runs in: the reader's state lives in
// locals, and the primary tables are indexed through fixed-size arrays,
// so that neither costs a memory access or a bounds check per symbol.
func (s *inflateState) block(br *bitReader, lit, dist *huffman, dst []byte, out int) (int, error) {
	in := br.in
	pos, bits, n := br.pos, br.bits, br.n
	lt := (*[1 << litBits]uint32)(lit.t)
	dt := (*[1 << distBits]uint32)(dist.t)
	var err error
	for {
		// A length and a distance with their extra bits take at most
		// 15+5+15+13 = 48 bits.
		if n < 48 {
			if pos+8 <= len(in) {
				bits |= binary.LittleEndian.Uint64(in[pos:]) << n
				pos += int(63-n) >> 3
				n |= 56
			} else {
				br.pos, br.bits, br.n = pos, bits, n
				br.refill()
				pos, bits, n = br.pos, br.bits, br.n
			}
		}
		e := follow(lt[bits&(1<<litBits-1)], lit.t, bits>>litBits)
		bits >>= e & entLenMask
		n -= uint(e & entLenMask)
		if e&entLit != 0 {
			if out >= len(dst) {
				err = errInflateLong
				break
			}
			dst[out] = byte(e >> 16)
			out++
			continue
		}
		if e&(entEnd|entBad) != 0 {
			if e&entBad != 0 {
				err = errInflateBad
			}
			break
		}
		extra := (e >> 8) & 0xF
		length := int(e>>16) + int(bits&(1<<extra-1))
		bits >>= extra
		n -= uint(extra)
		d := follow(dt[bits&(1<<distBits-1)], dist.t, bits>>distBits)
		bits >>= d & entLenMask
		n -= uint(d & entLenMask)
		if d&entBad != 0 {
			err = errInflateBad
			break
		}
		extra = (d >> 8) & 0xF
		distance := int(d>>16) + int(bits&(1<<extra-1))
		bits >>= extra
		n -= uint(extra)
		if out, err = copyMatch(dst, out, distance, length); err != nil {
			break
		}
	}
	br.pos, br.bits, br.n = pos, bits, n
	if br.over > br.n>>3 {
		// It was decoding the zeros past the end: cut short.
		return out, errInflateShort
	}
	return out, err
}
