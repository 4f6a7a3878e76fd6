//go:build unix

package source

import (
	"os"
	"syscall"
)

// openRegular opens path for reading without blocking on a FIFO and
// without following a final symbolic link swapped in after the walk, then
// confirms it is a regular file.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		fh.Close()
		return nil, nil, errNotRegular
	}
	return fh, info, nil
}
