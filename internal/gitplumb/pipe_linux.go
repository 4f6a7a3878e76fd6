//go:build linux

package gitplumb

import (
	"os"
	"syscall"
)

// fSetPipeSz is F_SETPIPE_SZ from <fcntl.h> (not in package syscall).
const fSetPipeSz = 1031

// setPipeSize asks the kernel for a bigger pipe buffer; with the default
// 64 KiB, the history scan spent seconds in the kernel switching between
// git and leakhound (docs/git-history-measurements.md). Failure (an
// unprivileged process over /proc/sys/fs/pipe-max-size) is ignored.
// SyscallConn is used rather than Fd, which would make f blocking.
func setPipeSize(f *os.File, size int) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, uintptr(size))
	})
}
