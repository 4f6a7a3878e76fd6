package detect

// keywordIndex finds every case-insensitive occurrence of a fixed set of
// keywords. It is a two-stage matcher: a table of the keywords' first two
// bytes (in every case combination) flags candidate start positions, and a
// trie over case-folded bytes confirms which keywords start there. The
// first stage has no dependency between iterations, so it runs several
// times faster than an Aho-Corasick automaton's state chain on source code,
// where candidate starts are rare.
type keywordIndex struct {
	// bigram is a bitset over uint16(b[i])<<8 | b[i+1]: set when some
	// keyword starts with those two bytes (any case).
	bigram [1 << 16 / 64]uint64
	// single flags bytes that are a whole one-byte keyword.
	single [256]bool
	class  [256]uint8 // case-folded byte → trie column; 0 = in no keyword
	nclass int
	next   []int32 // trie: node*nclass + class → child node, or 0 for none
	outs   [][]int32
	lens      []int // keyword index → length in bytes
	empty     bool
	hasSingle bool
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func cases(b byte) []byte {
	l := lower(b)
	if 'a' <= l && l <= 'z' {
		return []byte{l, l - 'a' + 'A'}
	}
	return []byte{b}
}

func newKeywordIndex(keywords []string) *keywordIndex {
	ix := &keywordIndex{lens: make([]int, len(keywords)), empty: len(keywords) == 0}
	next := uint8(1)
	for _, kw := range keywords {
		for i := 0; i < len(kw); i++ {
			if c := lower(kw[i]); ix.class[c] == 0 {
				ix.class[c] = next
				next++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		ix.class[c] = ix.class[c+'a'-'A']
	}
	ix.nclass = int(next)
	ix.next = make([]int32, ix.nclass) // node 0: the root
	ix.outs = [][]int32{nil}
	for k, kw := range keywords {
		ix.lens[k] = len(kw)
		node := int32(0)
		for i := 0; i < len(kw); i++ {
			slot := int(node)*ix.nclass + int(ix.class[kw[i]])
			if ix.next[slot] == 0 {
				ix.next = append(ix.next, make([]int32, ix.nclass)...)
				ix.outs = append(ix.outs, nil)
				ix.next[slot] = int32(len(ix.outs) - 1)
			}
			node = ix.next[slot]
		}
		ix.outs[node] = append(ix.outs[node], int32(k))
		if len(kw) == 1 {
			ix.hasSingle = true
			for _, c := range cases(kw[0]) {
				ix.single[c] = true
			}
			continue
		}
		for _, a := range cases(kw[0]) {
			for _, b := range cases(kw[1]) {
				v := uint16(a)<<8 | uint16(b)
				ix.bigram[v>>6] |= 1 << (v & 63)
			}
		}
	}
	return ix
}

// scan calls hit(end, keyword) for every occurrence, in order of start
// position, where end is the offset just past the occurrence. It stops
// early if hit returns false.
func (ix *keywordIndex) scan(b []byte, hit func(end int, kw int32) bool) {
	if ix.empty || len(b) == 0 {
		return
	}
	bg := &ix.bigram
	last := len(b) - 1
	for i := 0; i < last; i++ {
		v := uint16(b[i])<<8 | uint16(b[i+1])
		if bg[v>>6]&(1<<(v&63)) == 0 && (!ix.hasSingle || !ix.single[b[i]]) {
			continue
		}
		if !ix.confirm(b, i, hit) {
			return
		}
	}
	if ix.single[b[last]] {
		ix.confirm(b, last, hit)
	}
}

// confirm walks the trie from b[i] and reports every keyword starting there.
func (ix *keywordIndex) confirm(b []byte, i int, hit func(end int, kw int32) bool) bool {
	node := int32(0)
	for j := i; j < len(b); j++ {
		c := ix.class[b[j]]
		if c == 0 {
			return true
		}
		node = ix.next[int(node)*ix.nclass+int(c)]
		if node == 0 {
			return true
		}
		for _, k := range ix.outs[node] {
			if !hit(j+1, k) {
				return false
			}
		}
	}
	return true
}
