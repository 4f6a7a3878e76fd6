// Package linediff finds what a new version of a file adds relative to one
// or more old versions, so a git history scan can run the detector on the
// lines a commit introduced and not on the whole file (DESIGN §3).
//
// A line is new when it occurs in none of the old versions. This is a set
// difference of line hashes, not an edit-script diff: it takes linear time,
// a line that moves within the file is not new, and neither is a second copy
// of an existing line, just as a secret already present at that path is not
// new. For a merge commit, pass every parent's version: a line is new only if
// no parent has it, so an evil merge shows up and a plain merge adds nothing.
//
// Lines are split at '\n'. A line's identity is its bytes without the '\n'
// and without one trailing '\r', so converting line endings between CRLF and
// LF, or adding a final newline, makes nothing new; any other change,
// including whitespace, does. Content may hold any bytes (invalid UTF-8,
// NUL). Lines are hashed with hash/maphash under a seed chosen at random per
// Differ, so nobody can craft a line that collides with an old one to hide it.
//
// Each Run is a byte range of the new version to scan: a stretch of new lines
// (its owned range) plus context lines on each side. The detector drops a
// candidate whose match starts outside the owned range, so a secret that lies
// wholly in old lines is not reported again. Three refinements decide what is
// owned:
//
//   - Old lines between two new ones are owned, and the two merged into one
//     run, only when they are at most 2×context lines (the runs' context would
//     touch) and are all filler: lines with no run of 8 or more bytes that a
//     secret is made of (letters, digits, +/=_- and non-ASCII). Lines such as
//     "}", "", "return err" or "} else {" recur everywhere, so without this a
//     new function would split into many runs wherever a line like them occurs.
//     A gap line that could hold a secret is never owned: its neighbours stay
//     separate runs, whose context may overlap. Owned ranges never overlap, so
//     a secret is reported by at most one run.
//   - Key blocks. A private key is one match that starts at its header
//     ("-----BEGIN ... PRIVATE KEY-----", "PuTTY-User-Key-File-") and ends at
//     its footer ("-----END ...", "Private-MAC:"). When a key is replaced or
//     edited, its header and footer lines are usually unchanged, so they are
//     old. If a run's first new line lies inside a block (the last marker
//     before it, within 64 KiB, is a header), the owned range starts at the
//     header's line instead, unless an earlier run already owns that line;
//     if a run's last new line lies inside a block, the run extends past its
//     context to the footer's line, so the detector sees the whole key. A key
//     edited in two places is thus reported once, by the first run. The
//     cost: old lines between the header and the first new line (key
//     material) become owned.
//   - Other multi-line matches. Only a few rules match across lines (docker
//     config "auths" … "auth", netrc machine/login/password). When such a
//     match starts on an old line and its secret sits on a new one, it starts
//     outside the owned range and is dropped. Owning the backward context
//     would catch it, but would also report again every old secret within
//     context lines before an edit (a .env file where DB_HOST changes under
//     AWS keys), which is the commoner case. A detector filter on whether the
//     match covers a new line, rather than where it starts, would fix this;
//     it needs a Fragment field this package cannot add.
//
// linediff performs no I/O and keeps no state between calls beyond a
// Differ's reusable scratch space.
package linediff

import (
	"bytes"
	"hash/maphash"
)

// DefaultContext is how many lines of context a source puts around the
// new lines of each fragment unless told otherwise.
const DefaultContext = 3

// Run is a byte range of the new version to scan. Start and End are offsets
// in the new version; Start is a line start, End a line end (just past its
// '\n') or the end of the content. Line is the 1-based line number of
// Start. OwnedStart and OwnedEnd are relative to Start and bound the new
// lines; they map directly onto detect.Fragment:
//
//	detect.Fragment{Content: newer[r.Start:r.End], StartLine: r.Line,
//		OwnedStart: r.OwnedStart, OwnedEnd: r.OwnedEnd}
//
// OwnedEnd is always positive.
type Run struct {
	Start, End           int
	Line                 int
	OwnedStart, OwnedEnd int
}

// Differ computes added runs, reusing its scratch space across calls: a
// history scan calls it once per changed path per commit. Its zero value is
// ready to use. A Differ is not safe for concurrent use; use one per worker.
type Differ struct {
	seed   maphash.Seed
	seeded bool
	hashes []uint64 // olders' line hashes, before they go into the set
	set    set
	spans  []span
	runs   []Run
	blocks blocks
}

// span is a range of owned lines of the new version; line is the 1-based
// line number of start.
type span struct{ start, end, line int }

// Added returns the runs of lines of newer that occur in none of olders,
// each extended by context lines on each side (see the package doc for
// what is merged and owned). With no olders, or only empty ones, all of a
// non-empty newer is one run. The result is sorted by Start and owned
// ranges are disjoint and increasing; runs' context may overlap. The
// returned slice is reused by the next call.
func (d *Differ) Added(newer []byte, olders [][]byte, context int) []Run {
	d.runs = d.runs[:0]
	if len(newer) == 0 {
		return d.runs
	}
	for _, o := range olders {
		if bytes.Equal(o, newer) {
			return d.runs
		}
	}
	if context < 0 {
		context = 0
	}
	if !d.seeded {
		d.seed, d.seeded = maphash.MakeSeed(), true
	}
	d.hashes = d.hashes[:0]
	for _, o := range olders {
		d.hashes = appendHashes(d.hashes, d.seed, o)
	}
	if len(d.hashes) == 0 {
		d.runs = append(d.runs, Run{Start: 0, End: len(newer), Line: 1, OwnedEnd: len(newer)})
		return d.runs
	}
	d.set.fill(d.hashes)
	d.spans = d.newSpans(d.spans[:0], newer, 2*context)
	if len(d.spans) == 0 {
		return d.runs
	}
	d.blocks.reset(newer)
	prevEnd := 0
	for _, sp := range d.spans {
		d.runs = append(d.runs, d.run(newer, sp, prevEnd, context))
		prevEnd = sp.end
	}
	return d.runs
}

// Added is Differ.Added with a fresh Differ, for one-off use; a loop should
// keep a Differ.
func Added(newer []byte, olders [][]byte, context int) []Run {
	var d Differ
	return d.Added(newer, olders, context)
}

// line returns the line of b starting at pos: its identity (without '\n'
// and one trailing '\r') and the offset just past it.
func line(b []byte, pos int) (text []byte, next int) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		text, next = b[pos:], len(b)
	} else {
		text, next = b[pos:pos+i], pos+i+1
	}
	if n := len(text); n > 0 && text[n-1] == '\r' {
		text = text[:n-1]
	}
	return text, next
}

func appendHashes(dst []uint64, seed maphash.Seed, b []byte) []uint64 {
	for pos := 0; pos < len(b); {
		text, next := line(b, pos)
		dst = append(dst, maphash.Bytes(seed, text))
		pos = next
	}
	return dst
}

// newSpans walks newer once and appends the owned spans: maximal stretches
// of new lines, joined across at most bridge old filler lines.
func (d *Differ) newSpans(dst []span, newer []byte, bridge int) []span {
	var cur span
	// join: the old lines since the last new one may be bridged.
	pending, join, gap := false, false, 0
	lineNo := 1
	for pos := 0; pos < len(newer); lineNo++ {
		text, next := line(newer, pos)
		if !d.set.has(maphash.Bytes(d.seed, text)) {
			if pending && join {
				cur.end = next
			} else {
				if pending {
					dst = append(dst, cur)
				}
				cur, pending = span{pos, next, lineNo}, true
			}
			gap, join = 0, true
		} else if join {
			gap++
			join = gap <= bridge && filler(text)
		}
		pos = next
	}
	if pending {
		dst = append(dst, cur)
	}
	return dst
}

// minToken is the shortest run of secret bytes that makes a line able to
// hold a secret; see filler.
const minToken = 8

// filler reports whether a line has no run of minToken bytes that secrets
// are made of, and so cannot hold one: "}", "", "return err".
func filler(text []byte) bool {
	n := 0
	for _, c := range text {
		if c >= 0x80 || '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z' ||
			c == '+' || c == '/' || c == '=' || c == '_' || c == '-' {
			if n++; n >= minToken {
				return false
			}
		} else {
			n = 0
		}
	}
	return true
}

// run turns an owned span into a Run: key-block extension, then context.
// prevEnd is the previous span's end, which ownership never reaches back past.
func (d *Differ) run(b []byte, sp span, prevEnd, context int) Run {
	owned, lineNo := sp.start, sp.line
	if h := d.blocks.headerBefore(sp.start, prevEnd); h >= 0 {
		lineNo -= bytes.Count(b[h:owned], []byte{'\n'})
		owned = h
	}
	start := owned
	for k := 0; k < context && start > 0; k++ {
		start = bytes.LastIndexByte(b[:start-1], '\n') + 1
		lineNo--
	}
	end := sp.end
	for k := 0; k < context && end < len(b); k++ {
		_, end = line(b, end)
	}
	if f := d.blocks.footerAfter(sp.end); f > end {
		end = f
	}
	return Run{Start: start, End: end, Line: lineNo, OwnedStart: owned - start, OwnedEnd: sp.end - start}
}
