//go:build !unix

package source

import "os"

// openRegular opens path and confirms it is a regular file.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, errNotRegular
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return fh, info, nil
}
