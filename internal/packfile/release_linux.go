package packfile

import "syscall"

// release drops a read-only file mapping's pages from the process's
// resident set; the next read faults them back from the page cache.
func release(b []byte) {
	if len(b) > 0 {
		_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
	}
}
