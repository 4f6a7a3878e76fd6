//go:build !linux

package gitplumb

import "os"

// setPipeSize does nothing where pipes cannot be resized.
func setPipeSize(*os.File, int) {}
