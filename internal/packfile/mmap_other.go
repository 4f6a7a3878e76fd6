//go:build !unix

package packfile

import "os"

func mapFile(path string) ([]byte, func() error, bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, false, err
	}
	return b, func() error { return nil }, false, nil
}
