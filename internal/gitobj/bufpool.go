package gitobj

// bufClasses is how many power-of-two size classes, from 4 KiB, a bufPool
// recycles; larger buffers are allocated and dropped.
const bufClasses = 28

// bufPool holds buffers for blob content, recycled by power-of-two size
// class so that reading gigabytes of blobs does not mean allocating
// gigabytes. Free lists rather than sync.Pool, which a garbage collection
// empties: a new buffer costs page faults and zeroing. A read makes its
// own, so nothing is made at process start (`leakhound version` reads no
// blob) and nothing is kept after the read. A nil *bufPool recycles
// nothing. It is safe for concurrent use.
type bufPool struct {
	lists [bufClasses]chan []byte
}

func newBufPool() *bufPool {
	// About as many buffers as the scan has in flight (its queue and
	// workers), and at most 8 MiB of retained buffers per size class.
	b := &bufPool{}
	for c := range b.lists {
		b.lists[c] = make(chan []byte, max(1, min(16, (8<<20)/(4096<<c))))
	}
	return b
}

func sizeClass(n int) int {
	c := 0
	for (4096 << c) < n {
		c++
	}
	return c
}

// get returns a buffer of length n.
func (b *bufPool) get(n int) []byte {
	c := sizeClass(n)
	if c >= bufClasses || b == nil {
		return make([]byte, n)
	}
	select {
	case buf := <-b.lists[c]:
		return buf[:n]
	default:
		return make([]byte, n, 4096<<c)
	}
}

// put gives back a buffer that get returned, for another get to reuse.
func (b *bufPool) put(buf []byte) {
	c := sizeClass(cap(buf))
	if b == nil || c >= bufClasses || cap(buf) != 4096<<c {
		return
	}
	select {
	case b.lists[c] <- buf[:0]:
	default:
	}
}
