//go:build 386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm

package detect

import "unsafe"

// load64 loads the eight bytes at p+i as a little-endian word: one load
// on a little-endian machine, with no bounds check; the caller checks.
func load64(p unsafe.Pointer, i int) uint64 { return *(*uint64)(unsafe.Add(p, i)) }
