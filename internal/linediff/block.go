package linediff

import (
	"bytes"
	"slices"
)

// maxBlock bounds how far apart a key block's header, its new lines and its
// footer may be for ownership to follow the block. The rules that match key
// blocks look at most 32 KiB past their header.
const maxBlock = 64 << 10

// mark is a key-block header or footer at byte pos of the new version.
type mark struct {
	pos    int
	header bool
}

// blocks finds key-block markers in the new version and answers, for
// increasing positions, whether a position lies inside a block.
type blocks struct {
	b     []byte
	marks []mark // sorted by pos
	next  int    // marks[:next] lie before the last position asked about
	// footer line end, memoised: several runs inside one block ask for the
	// same footer, whose line may be long.
	footer, footerEnd int
}

func (k *blocks) reset(b []byte) {
	k.b, k.next, k.footer = b, 0, -1
	k.marks = k.marks[:0]
	k.marks = appendMarks(k.marks, b, "-----", func(rest []byte) (bool, bool) {
		h := bytes.HasPrefix(rest, []byte("BEGIN "))
		return h || bytes.HasPrefix(rest, []byte("END ")), h
	})
	n := len(k.marks)
	k.marks = appendMarks(k.marks, b, "PuTTY-User-Key-File-", func([]byte) (bool, bool) { return true, true })
	k.marks = appendMarks(k.marks, b, "Private-", func(rest []byte) (bool, bool) {
		return bytes.HasPrefix(rest, []byte("MAC: ")) || bytes.HasPrefix(rest, []byte("Hash: ")), false
	})
	if n > 0 && n < len(k.marks) {
		slices.SortFunc(k.marks, func(x, y mark) int { return x.pos - y.pos })
	}
}

// appendMarks appends a mark for each occurrence of needle in b that
// accept says is one, given the bytes after it. Every needle ends in '-', and
// a run of dashes after one is skipped whole, so a long line of dashes costs
// one pass.
func appendMarks(ms []mark, b []byte, needle string, accept func(rest []byte) (ok, header bool)) []mark {
	nb := []byte(needle)
	for i := 0; ; {
		j := bytes.Index(b[i:], nb)
		if j < 0 {
			return ms
		}
		p := i + j
		i = p + len(nb)
		for i < len(b) && b[i] == '-' {
			i++
		}
		if ok, h := accept(b[i:]); ok {
			ms = append(ms, mark{p, h})
		}
	}
}

// seek returns the index of the first mark at or after p. Calls must not
// decrease p.
func (k *blocks) seek(p int) int {
	for k.next < len(k.marks) && k.marks[k.next].pos < p {
		k.next++
	}
	return k.next
}

// headerBefore returns the start of the header line of the block that line
// start p lies inside, or -1 when p is in no block, or the header is more
// than maxBlock back or before floor (a line start).
func (k *blocks) headerBefore(p, floor int) int {
	i := k.seek(p)
	if i == 0 || !k.marks[i-1].header {
		return -1
	}
	at := k.marks[i-1].pos
	lo := max(floor, p-maxBlock)
	if at < lo {
		return -1
	}
	nl := bytes.LastIndexByte(k.b[lo:at], '\n')
	if nl < 0 {
		if lo != floor {
			return -1
		}
		return lo
	}
	return lo + nl + 1
}

// footerAfter returns the end of the footer line of the block that line
// start p lies inside, or -1 when p is in no block or its footer is more
// than maxBlock past its header.
func (k *blocks) footerAfter(p int) int {
	i := k.seek(p)
	if i == 0 || i == len(k.marks) || !k.marks[i-1].header || k.marks[i].header ||
		k.marks[i].pos-k.marks[i-1].pos > maxBlock {
		return -1
	}
	if f := k.marks[i].pos; f != k.footer {
		_, k.footerEnd = line(k.b, f)
		k.footer = f
	}
	return k.footerEnd
}
