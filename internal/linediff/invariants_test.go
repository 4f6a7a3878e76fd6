package linediff

import (
	"bytes"
	"sort"
	"testing"
)

// refLine is a line of the new version as a naive reference sees it.
type refLine struct {
	start, end int // end is just past its '\n', or the end of content
	isNew      bool
	text       string // identity: without '\n' and one trailing '\r'
}

// refLines splits newer into lines and marks the new ones with a plain
// string set, independent of the hashing under test.
func refLines(newer []byte, olders [][]byte) []refLine {
	old := map[string]bool{}
	for _, o := range olders {
		for pos := 0; pos < len(o); {
			text, next := refSplit(o, pos)
			old[string(text)] = true
			pos = next
		}
	}
	var out []refLine
	for pos := 0; pos < len(newer); {
		text, next := refSplit(newer, pos)
		out = append(out, refLine{pos, next, !old[string(text)], string(text)})
		pos = next
	}
	return out
}

func refSplit(b []byte, pos int) ([]byte, int) {
	end, next := len(b), len(b)
	if i := bytes.IndexByte(b[pos:], '\n'); i >= 0 {
		end, next = pos+i, pos+i+1
	}
	text := b[pos:end]
	if n := len(text); n > 0 && text[n-1] == '\r' {
		text = text[:n-1]
	}
	return text, next
}

func isHeader(text string) bool {
	return bytes.Contains([]byte(text), []byte("-----BEGIN ")) || bytes.Contains([]byte(text), []byte("PuTTY-User-Key-File-"))
}

// checkInvariants checks what every result must satisfy: runs sorted and
// within bounds, on line boundaries, with correct line numbers; owned ranges
// disjoint and increasing; every new line owned; and every owned old line
// either filler bridging two new lines or key material after a block header.
func checkInvariants(t *testing.T, newer []byte, olders [][]byte, runs []Run) {
	t.Helper()
	lineAt := func(p int) bool { return p == 0 || p == len(newer) || newer[p-1] == '\n' }
	prevStart, prevOwnedEnd, line := 0, 0, 1
	for i, r := range runs {
		if r.Start >= prevStart && r.Start <= len(newer) {
			line += bytes.Count(newer[prevStart:r.Start], []byte{'\n'})
		}
		os, oe := r.Start+r.OwnedStart, r.Start+r.OwnedEnd
		switch {
		case r.Start < 0 || r.End > len(newer) || r.Start >= r.End:
			t.Fatalf("run %d %+v out of bounds (len %d)", i, r, len(newer))
		case r.OwnedStart < 0 || r.OwnedStart >= r.OwnedEnd || oe > r.End:
			t.Fatalf("run %d %+v: bad owned range", i, r)
		case !lineAt(r.Start) || !lineAt(r.End) || !lineAt(os) || !lineAt(oe):
			t.Fatalf("run %d %+v: not on line boundaries", i, r)
		case r.Start < prevStart || os < prevOwnedEnd:
			t.Fatalf("run %d %+v: not sorted, or owned ranges overlap", i, r)
		case r.Line != line:
			t.Fatalf("run %d %+v: line %d, want %d", i, r, r.Line, line)
		}
		prevStart, prevOwnedEnd = r.Start, oe
	}
	ref := refLines(newer, olders)
	prefix := make([]int, len(ref)+1) // prefix[i]: new lines among ref[:i]
	for i, l := range ref {
		prefix[i+1] = prefix[i]
		if l.isNew {
			prefix[i+1]++
		}
	}
	k := 0 // runs[k] is the first run whose owned range ends after the line
	for li, l := range ref {
		for k < len(runs) && runs[k].Start+runs[k].OwnedEnd <= l.start {
			k++
		}
		owned := k < len(runs) && runs[k].Start+runs[k].OwnedStart <= l.start
		if l.isNew && !owned {
			t.Fatalf("new line %d %q is in no run's owned range; runs %+v", li+1, l.text, runs)
		}
		if !owned || l.isNew {
			continue
		}
		r := runs[k]
		a, z := lineIndex(ref, r.Start+r.OwnedStart), lineIndex(ref, r.Start+r.OwnedEnd)
		newBefore, newAfter := prefix[li]-prefix[a] > 0, prefix[z]-prefix[li+1] > 0
		first := ref[a]
		bridged := newBefore && newAfter && filler([]byte(l.text))
		block := !newBefore && newAfter && isHeader(first.text)
		if !bridged && !block {
			t.Fatalf("old line %d %q is owned by run %+v, neither bridged filler nor in a key block", li+1, l.text, r)
		}
	}
}

// lineIndex returns the index of the first line of ref starting at or after p.
func lineIndex(ref []refLine, p int) int {
	return sort.Search(len(ref), func(i int) bool { return ref[i].start >= p })
}
