//go:build unix

package packfile

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a file read-only; mapped says the memory is a mapping. Packs are read once, front to back, and
// can be larger than memory would like to hold twice.
func mapFile(path string) ([]byte, func() error, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, false, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, false, fmt.Errorf("%s: not a regular file", path)
	}
	size := st.Size()
	if size == 0 {
		return nil, func() error { return nil }, false, nil
	}
	if size != int64(int(size)) {
		return nil, nil, false, fmt.Errorf("%s: too large to map", path)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return b, func() error { return syscall.Munmap(b) }, true, nil
}
