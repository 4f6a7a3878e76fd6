package linediff

// set is an open-addressing hash set of line hashes with linear probing.
// maphash output is uniform, so its low bits index the table directly.
// Building it from a parent and probing every line of the child measured
// 8× faster than a map[uint64]struct{} at 2,000 lines and 3.5× at 100,000,
// and 3–10× faster than a sorted slice with binary search (BenchmarkSet).
type set struct {
	slots []uint64 // 0 marks an empty slot
	mask  uint64
	zero  bool // whether 0, which cannot be stored in a slot, is a member
}

// fill empties the set and adds hs, keeping the load at most one half.
func (s *set) fill(hs []uint64) {
	n := 16
	for n < 2*len(hs) {
		n <<= 1
	}
	// Reuse the table unless it is far larger than needed: one huge file
	// should not pin its table for the rest of a scan.
	if c := cap(s.slots); c >= n && (c <= 8*n || c <= 1<<16) {
		s.slots = s.slots[:n]
		clear(s.slots)
	} else {
		s.slots = make([]uint64, n)
	}
	s.mask, s.zero = uint64(n-1), false
	for _, h := range hs {
		s.add(h)
	}
}

func (s *set) add(h uint64) {
	if h == 0 {
		s.zero = true
		return
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			return
		case h:
			return
		}
	}
}

func (s *set) has(h uint64) bool {
	if h == 0 {
		return s.zero
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}
