package detect

// keywordIndex finds every case-insensitive occurrence of a fixed set of
// keywords in one pass (Aho-Corasick, compiled to a DFA over byte classes).
// Bytes that occur in no keyword share one class, so the transition table
// stays small enough to live in cache: states × classes int32 entries.
type keywordIndex struct {
	class    [256]uint8 // byte → class; 0 is "in no keyword"
	nclass   int
	trans    []int32 // state*nclass + class → next state
	outStart []int32 // state → first index into out; outStart[s+1] ends it
	out      []int32 // keyword indices ending at a state, through suffix links
	lens     []int   // keyword index → length in bytes
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func newKeywordIndex(keywords []string) *keywordIndex {
	ix := &keywordIndex{lens: make([]int, len(keywords))}
	// Classes: one per distinct (lower-cased) byte used by a keyword.
	next := uint8(1)
	for _, kw := range keywords {
		for i := 0; i < len(kw); i++ {
			c := lower(kw[i])
			if ix.class[c] == 0 {
				ix.class[c] = next
				next++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		ix.class[c] = ix.class[c+'a'-'A']
	}
	ix.nclass = int(next)

	// Build the trie with goto transitions (-1 = none).
	type node struct {
		next []int32
		fail int32
		outs []int32
	}
	newNode := func() node {
		n := node{next: make([]int32, ix.nclass)}
		for i := range n.next {
			n.next[i] = -1
		}
		return n
	}
	nodes := []node{newNode()}
	for k, kw := range keywords {
		ix.lens[k] = len(kw)
		s := int32(0)
		for i := 0; i < len(kw); i++ {
			c := ix.class[lower(kw[i])]
			if nodes[s].next[c] < 0 {
				nodes = append(nodes, newNode())
				nodes[s].next[c] = int32(len(nodes) - 1)
			}
			s = nodes[s].next[c]
		}
		nodes[s].outs = append(nodes[s].outs, int32(k))
	}
	// Breadth-first: fill failure links and complete the DFA.
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < ix.nclass; c++ {
		if t := nodes[0].next[c]; t >= 0 {
			nodes[t].fail = 0
			queue = append(queue, t)
		} else {
			nodes[0].next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].outs = append(nodes[s].outs, nodes[f].outs...)
		for c := 0; c < ix.nclass; c++ {
			if t := nodes[s].next[c]; t >= 0 {
				nodes[t].fail = nodes[f].next[c]
				queue = append(queue, t)
			} else {
				nodes[s].next[c] = nodes[f].next[c]
			}
		}
	}
	// Class 0 (bytes in no keyword) always returns to the root.
	ix.trans = make([]int32, len(nodes)*ix.nclass)
	ix.outStart = make([]int32, len(nodes)+1)
	for s := range nodes {
		copy(ix.trans[s*ix.nclass:], nodes[s].next)
		ix.trans[s*ix.nclass] = 0
		ix.outStart[s] = int32(len(ix.out))
		ix.out = append(ix.out, nodes[s].outs...)
	}
	ix.outStart[len(nodes)] = int32(len(ix.out))
	return ix
}

// scan calls hit(end, keyword) for every occurrence, where end is the
// offset just past the occurrence. It stops early if hit returns false.
func (ix *keywordIndex) scan(b []byte, hit func(end int, kw int32) bool) {
	if len(ix.out) == 0 {
		return
	}
	s := int32(0)
	nc := int32(ix.nclass)
	trans, class, outStart := ix.trans, &ix.class, ix.outStart
	for i := 0; i < len(b); i++ {
		s = trans[s*nc+int32(class[b[i]])]
		if lo, hi := outStart[s], outStart[s+1]; lo != hi {
			for _, k := range ix.out[lo:hi] {
				if !hit(i+1, k) {
					return
				}
			}
		}
	}
}
