//go:build !unix

package gogit

import "os"

func devOf(os.FileInfo) uint64 { return 0 }

// ownerOf is unknown here (-2, nobody's euid), so Open leaves every
// repository to git, whose ownership check it cannot repeat.
func ownerOf(os.FileInfo) int { return -2 }

func mapFile(path string) ([]byte, func() error, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return b, func() error { return nil }, nil
}
