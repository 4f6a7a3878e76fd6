//go:build !(386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm)

package detect

import (
	"encoding/binary"
	"unsafe"
)

// load64 loads the eight bytes at p+i as a little-endian word; the
// caller checks the bounds.
func load64(p unsafe.Pointer, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(p, i)), 8))
}
