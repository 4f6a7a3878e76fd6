package gogit

import (
	"bytes"
	"encoding/binary"

	"github.com/go-git/go-git/v5/plumbing"
)

// indexEntry is one entry of the index as rawIndex.each reads it. name is
// valid only during the call it is passed to.
type indexEntry struct {
	name  []byte
	mode  uint32
	id    plumbing.Hash
	stage int
	// ita is "git add -N": intended to be added, with the empty blob.
	ita bool
}

// rawIndex is an index file (gitformat-index(5), versions 2 to 4) checked
// and laid out but not decoded: its entries are read in place by each,
// so that a hook on a large repository decodes only the entries under
// folders that changed.
type rawIndex struct {
	version uint32
	count   int
	// entries is the part of the file that holds the entries.
	entries []byte
	// cache is the cache-tree extension; nil when the index has none.
	cache cacheTree
}

// parseIndex checks an index file's signature and version,
// walks its entries once to check that each is well formed, and reads
// its extensions: the cache-tree, which go-git's decoder discards, and
// any extension git requires readers to know, which is an error.
//
// go-git's decoder (plumbing/format/index) is the reference: the tests
// decode indexes both ways and compare. It is not on the hook's path
// because it reads each entry field by field through reflection, 11 ms
// and 160,000 allocations for a 10,000-file index on this project's
// machine, a third of what `git diff --cached` takes in all; this walks
// the same index without allocating.
//
// Anything go-git rejects, or that git reads in a way this does not (a
// split index, a sparse index, an extension git requires readers to
// know), is an error matching ErrFallback.
func parseIndex(raw []byte) (*rawIndex, error) {
	const hashLen = 20
	if len(raw) < 12+hashLen {
		return nil, fallbackf("index too short")
	}
	if string(raw[:4]) != "DIRC" {
		return nil, fallbackf("index signature")
	}
	// The trailing checksum is not checked: git checks it only in fsck
	// (read-cache.c, verify_index_checksum), and reads an index whose
	// checksum does not match as any other. Hashing a 10,000-file index
	// was a fifth of this reader's time.
	body := raw[:len(raw)-hashLen]
	x := &rawIndex{version: binary.BigEndian.Uint32(raw[4:])}
	if x.version < 2 || x.version > 4 {
		return nil, fallbackf("index version %d", x.version)
	}
	x.count = int(binary.BigEndian.Uint32(raw[8:]))
	if x.count > len(body)/40 {
		return nil, fallbackf("index entry count %d", x.count)
	}
	x.entries = body
	end, err := x.walk(nil)
	if err != nil {
		return nil, err
	}
	x.entries = body[:end]
	for off := end; off < len(body); {
		if off+8 > len(body) {
			return nil, fallbackf("index extension header overruns the file")
		}
		sig := string(body[off : off+4])
		size := int(binary.BigEndian.Uint32(body[off+4:]))
		off += 8
		if size < 0 || size > len(body)-off {
			return nil, fallbackf("index extension %q overruns the file", sig)
		}
		switch {
		case sig == "TREE":
			x.cache = cacheTree{}
			rest, err := x.cache.parse(body[off:off+size], "")
			if err != nil || len(rest) != 0 {
				return nil, fallbackf("index cache-tree does not parse")
			}
		case sig[0] < 'A' || sig[0] > 'Z':
			// git requires readers to understand an extension whose
			// name starts with a lower-case letter: "link" (a split
			// index), "sdir" (a sparse index), or one of the future.
			return nil, fallbackf("index extension %q", sig)
		}
		off += size
	}
	return x, nil
}

// each calls fn with every entry, in index order.
func (x *rawIndex) each(fn func(*indexEntry) error) error {
	_, err := x.walk(fn)
	return err
}

// entryName reads the name of the entry at offset off of x.entries,
// whose fixed part and flags take hdr bytes, and returns it with the
// offset of the next entry. prev is the previous entry's name, which
// version 4 compresses against and whose buffer it reuses.
func (x *rawIndex) entryName(off, hdr int, flags uint16, prev []byte) ([]byte, int, error) {
	body := x.entries
	p := off + hdr
	if x.version == 4 {
		// How much of the previous name to strip (git's offset varint),
		// then the rest of the name, NUL-terminated; no padding.
		strip, n := varint(body[p:])
		if n == 0 || strip > uint64(len(prev)) {
			return nil, 0, fallbackf("index entry name does not decode")
		}
		p += n
		nul := bytes.IndexByte(body[p:], 0)
		if nul < 0 {
			return nil, 0, fallbackf("index entries overrun the file")
		}
		return append(prev[:len(prev)-int(strip)], body[p:p+nul]...), p + nul + 1, nil
	}
	nameLen := int(flags & 0xfff)
	if nameLen == 0xfff {
		nameLen = bytes.IndexByte(body[p:], 0)
	}
	if nameLen < 0 || p+nameLen >= len(body) || body[p+nameLen] != 0 {
		return nil, 0, fallbackf("index entries overrun the file")
	}
	// NUL-padded to a multiple of eight, at least one NUL.
	return body[p : p+nameLen : p+nameLen], off + (hdr+nameLen+8)&^7, nil
}

// walk reads the entries from the start of x.entries, calling fn (when
// not nil) with each, and returns the offset where they end.
func (x *rawIndex) walk(fn func(*indexEntry) error) (int, error) {
	body := x.entries
	off := 12
	// name holds the previous entry's name for version 4's prefix
	// compression; other versions point it into body.
	var name []byte
	var ent indexEntry
	for i := 0; i < x.count; i++ {
		// ctime, mtime, dev, ino (32 bytes), mode, uid, gid, size, id
		// (20 bytes), flags: 62 bytes, then extended flags if flagged.
		const fixed = 62
		if off+fixed > len(body) {
			return 0, fallbackf("index entries overrun the file")
		}
		e := body[off:]
		flags := binary.BigEndian.Uint16(e[60:])
		ent.mode = binary.BigEndian.Uint32(e[24:])
		ent.stage = int(flags>>12) & 3
		ent.ita = false
		copy(ent.id[:], e[40:60])
		hdr := fixed
		if flags&0x4000 != 0 {
			if x.version < 3 || off+fixed+2 > len(body) {
				return 0, fallbackf("index entry has extended flags in version %d", x.version)
			}
			ext := binary.BigEndian.Uint16(e[fixed:])
			ent.ita = ext&0x2000 != 0
			hdr += 2
		}
		var err error
		if name, off, err = x.entryName(off, hdr, flags, name); err != nil {
			return 0, err
		}
		if off > len(body) {
			return 0, fallbackf("index entries overrun the file")
		}
		if fn != nil {
			ent.name = name
			if err := fn(&ent); err != nil {
				return 0, err
			}
		}
	}
	return off, nil
}

// varint is git's offset encoding (varint.c): seven bits a byte, most
// significant first, each continuation adding one. n is 0 when it does
// not decode.
func varint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	c := b[0]
	v = uint64(c & 0x7f)
	n = 1
	for c&0x80 != 0 {
		if n >= len(b) || n > 9 {
			return 0, 0
		}
		v++
		c = b[n]
		n++
		v = v<<7 | uint64(c&0x7f)
	}
	return v, n
}
