package detect

import (
	"bytes"
	"slices"
	"sort"
)

// Span is a byte range [Lo, Hi) of a fragment's content.
type Span struct{ Lo, Hi int }

// Copy is a stretch of a new version copied from an old one: Len bytes
// at To in the new version came from From in the old.
type Copy struct{ To, From, Len int }

// Anchor is a keyword hit of a rule whose matches may reach past the
// keyword's line (a multi-line rule: key names on the line before their
// value, private key blocks): At is where the keyword starts, End where
// its window ends, Window the rule's reach past the keyword's line.
type Anchor struct{ At, End, Window int }

// Memo is what scanning one version of a content leaves behind for
// scanning a later version built from it (DetectChanged).
type Memo struct {
	// Anchors, sorted by At, are every multi-line rule's keyword hits:
	// the only places where a match can start on a line other than the
	// one its keyword is on.
	Anchors []Anchor
	// Secret is set when the content holds a Kubernetes Secret marker,
	// which makes every line of it decodable: such content is always
	// scanned whole.
	Secret bool
}

// farWindow splits multi-line rules into near ones, whose matches end a
// few lines past their keyword, and far ones (private key blocks, docker
// configs): a change under a far one's window rescans the whole content,
// which is rare and simpler than tracking kilobytes of window.
const farWindow = 256

// DetectMemo is Detect that also returns the memo DetectChanged needs to
// scan a later version from this one.
func (d *Detector) DetectMemo(f *Fragment) ([]Finding, Memo, error) {
	var memo Memo
	out, err := d.run(f, nil, &memo)
	return out, memo, err
}

// DetectChanged scans f, a new version of base, a content already
// scanned, built from it as changed and copies say: changed holds the ranges of f
// that are new (sorted; an empty range marks where two stretches copied
// from different places meet), copies where the rest came from. prior is
// the old version's memo, in its own offsets.
//
// It returns the candidates of f that start in the owned spans: the lines
// of the changes, and the windows of multi-line rules' keywords that
// reach them or whose keyword the change removed. The old version's
// candidates outside them are still right; Carry moves them to f's
// offsets. Together they are the candidates Detect would return. The
// owned spans are whole lines, sorted and disjoint; the memo is f's.
//
// Rule sets that cannot be scanned in parts (composite rules, rules with
// no keyword, path rules), Kubernetes Secrets, and changes under a far
// reaching rule's window are scanned whole: owned is then one span
// covering f.
func (d *Detector) DetectChanged(f *Fragment, base []byte, changed []Span, copies []Copy, prior Memo) ([]Finding, []Span, Memo, error) {
	content := f.Content
	// A change every few bytes (a delta against a distant version) is
	// cheaper to scan whole than line by line.
	if d.scansWhole(f, prior) || len(changed)*wholeEvery > len(content) {
		return d.detectWhole(f)
	}
	// Most changes are a line or two: their spans and points stay on the
	// stack, in buffers the size the compiler would give them there.
	var lineBuf [2]span
	var pointBuf [4]int
	lines, points := changedLines(lineBuf[:0], pointBuf[:0], content, changed)
	if len(lines) == 0 {
		// As before these buffers: with only seams changed, run is given
		// nil ranges, which it reads as all of f.
		lines = nil
	}
	if len(lines) == 0 && len(points) == 0 {
		if len(prior.Anchors) == 0 {
			return nil, nil, Memo{}, nil
		}
		return nil, nil, Memo{Anchors: d.moveAnchors(nil, content, prior.Anchors, newCopyIndex(copies), nil)}, nil
	}
	// The changed lines are scanned first; that finds the anchors in
	// them, and whether the content became a Kubernetes Secret.
	var fresh Memo
	found, err := d.run(f, lines, &fresh)
	if fresh.Secret {
		return d.detectWhole(f)
	}
	core, anchors := d.changedCore(content, base, copies, lines, prior.Anchors, fresh.Anchors)
	owned, far := ownedSpans(content, core, points, anchors)
	if far {
		return d.detectWhole(f)
	}
	if extra := subtract(scanRanges(content, owned, anchors), lines); len(extra) > 0 {
		// Scanned again as one, so that windows merge as in a whole
		// scan: a regex run over two merged windows may match
		// differently than over each.
		found, err = d.run(f, union(lines, extra), nil)
	}
	return startingIn(found, owned), exported(owned), Memo{Anchors: anchors}, err
}

// scansWhole reports whether f cannot be scanned in parts: rule sets
// with composite rules, rules with no keyword or path rules, Kubernetes
// Secrets, and fragments that own only part of their content.
func (d *Detector) scansWhole(f *Fragment, prior Memo) bool {
	return d.composite || len(d.unkeyed) > 0 || len(d.pathOnly) > 0 || prior.Secret || f.OwnedStart != 0 || f.OwnedEnd != 0
}

// detectWhole is DetectChanged's answer when f is scanned whole: it owns
// all of f.
func (d *Detector) detectWhole(f *Fragment) ([]Finding, []Span, Memo, error) {
	out, memo, err := d.DetectMemo(f)
	return out, []Span{{0, len(f.Content)}}, memo, err
}

// changedLines appends to lines the whole lines of content that changed
// says are new, sorted and disjoint, and to points the points where two
// copied stretches meet at a line start: those change no line, only
// which lines neighbour each other, which matters to a multi-line window
// over them.
func changedLines(lines []span, points []int, content []byte, changed []Span) ([]span, []int) {
	for _, c := range changed {
		lo, hi := min(max(c.Lo, 0), len(content)), min(max(c.Hi, c.Lo), len(content))
		if lo == hi {
			if lo == 0 || lo == len(content) {
				continue
			}
			if content[lo-1] == '\n' {
				points = append(points, lo)
				continue
			}
			hi = lo + 1
		}
		if n := len(lines); n > 0 && hi <= lines[n-1].hi {
			continue // on a line already in
		}
		lines = addSpan(lines, span{lineStart(content, lo), lineEndAt(content, hi)})
	}
	return lines, points
}

// changedCore returns the core of a change, the lines whose candidates
// must be found again, and the anchors of the new version content. The
// anchors are the old ones (prior, in base) that were copied, outside the
// changed lines, and those found in them (fresh). The core is the changed
// lines and, for each old anchor whose window was not copied whole with
// its keyword, the lines its text went to: what the old version found
// there may be gone.
func (d *Detector) changedCore(content, base []byte, copies []Copy, lines []span, prior, fresh []Anchor) ([]span, []Anchor) {
	core := slices.Clone(lines)
	if len(prior) == 0 {
		return core, fresh
	}
	idx := newCopyIndex(copies)
	anchors := mergeAnchors(d.moveAnchors(nil, content, prior, idx, lines), fresh)
	for _, a := range prior {
		wl := lineStart(base, min(a.At, len(base)))
		if idx.holds(wl, a.End) {
			continue
		}
		idx.each(wl, a.End, func(c Copy) {
			lo, hi := max(wl, c.From), min(a.End, c.From+c.Len)
			to := c.To + lo - c.From
			core = addSpanSorted(core, span{lineStart(content, to), lineEndAt(content, c.To+hi-c.From)})
		})
	}
	return core, anchors
}

// ownedSpans returns the spans a partial scan owns: the core, and the
// windows of the anchors that reach into it or over a point where copies
// meet, in whole lines. far is set when one of those windows is a far
// reaching rule's: the content is then scanned whole.
func ownedSpans(content []byte, core []span, points []int, anchors []Anchor) (owned []span, far bool) {
	owned = slices.Clone(core)
	for _, a := range anchors {
		// A window starts at most maxLineReach before its keyword.
		if !overlaps(core, span{a.At - maxLineReach, a.End}) && !crosses(points, span{a.At - maxLineReach, a.End}) {
			continue
		}
		w := span{lineStart(content, a.At), a.End}
		if !overlaps(core, w) && !crosses(points, w) {
			continue
		}
		if a.Window > farWindow {
			return nil, true
		}
		owned = addSpanSorted(owned, span{w.lo, lineEndAt(content, w.hi)})
	}
	return owned, false
}

// scanRanges returns what is scanned to find every match starting in
// the owned lines: those lines, and the lines of every keyword whose
// window reaches into them.
func scanRanges(content []byte, owned []span, anchors []Anchor) []span {
	ranges := slices.Clone(owned)
	for _, a := range anchors {
		if overlaps(owned, span{a.At - maxLineReach, a.End}) && overlaps(owned, span{lineStart(content, a.At), a.End}) {
			ranges = addSpanSorted(ranges, span{lineStart(content, a.At), lineEndAt(content, a.At+1)})
		}
	}
	return ranges
}

// startingIn keeps, in place, the candidates that start in one of the
// sorted, disjoint owned spans.
func startingIn(found []Finding, owned []span) []Finding {
	out := found[:0]
	for _, g := range found {
		if i := firstEndingAfter(owned, g.Start); i < len(owned) && owned[i].lo <= g.Start {
			out = append(out, g)
		}
	}
	return out
}

// exported returns spans as Spans.
func exported(spans []span) []Span {
	out := make([]Span, len(spans))
	for i, o := range spans {
		out[i] = Span{o.lo, o.hi}
	}
	return out
}

// wholeEvery: a content with a change for every wholeEvery bytes is
// scanned whole (see DetectChanged). Measured 2026-12-03 (seconds, etcd /
// symfony): 64: 3.2-3.5 / 10.1; 192: 3.1 / 9.4; 512: 3.0 / 9.1; 1024:
// 3.2 / 9.8; 4096: 3.5 / 10.6.
var wholeEvery = 512

// union returns the sorted, disjoint spans covering a and b.
func union(a, b []span) []span {
	out := slices.Clone(a)
	for _, s := range b {
		out = addSpanSorted(out, s)
	}
	return out
}

// subtract returns the parts of the sorted, disjoint spans a that lie
// outside every span of b (sorted, disjoint).
func subtract(a, b []span) []span {
	var out []span
	j := 0
	for _, s := range a {
		lo := s.lo
		for j < len(b) && b[j].hi <= lo {
			j++
		}
		for k := j; k < len(b) && b[k].lo < s.hi; k++ {
			if b[k].lo > lo {
				out = append(out, span{lo, b[k].lo})
			}
			lo = max(lo, b[k].hi)
		}
		if lo < s.hi {
			out = append(out, span{lo, s.hi})
		}
	}
	return out
}

// copyIndex finds copies by their offset in the old version.
type copyIndex struct {
	c      []Copy // sorted by From
	maxEnd []int  // maxEnd[i] is the largest From+Len of c[:i+1]
}

func newCopyIndex(copies []Copy) copyIndex {
	c := slices.Clone(copies)
	slices.SortFunc(c, func(a, b Copy) int { return a.From - b.From })
	x := copyIndex{c: c, maxEnd: make([]int, len(c))}
	m := 0
	for i, cp := range c {
		m = max(m, cp.From+cp.Len)
		x.maxEnd[i] = m
	}
	return x
}

// each calls fn with every copy that takes some of the old bytes [lo, hi).
func (x copyIndex) each(lo, hi int, fn func(Copy)) {
	k := sort.Search(len(x.c), func(i int) bool { return x.c[i].From >= hi }) - 1
	for i := k; i >= 0 && x.maxEnd[i] > lo; i-- {
		if x.c[i].From+x.c[i].Len > lo {
			fn(x.c[i])
		}
	}
}

// holds reports whether one copy takes all of the old bytes [lo, hi).
func (x copyIndex) holds(lo, hi int) bool {
	k := sort.Search(len(x.c), func(i int) bool { return x.c[i].From > lo }) - 1
	for i := k; i >= 0 && x.maxEnd[i] >= hi; i-- {
		if x.c[i].From+x.c[i].Len >= hi {
			return true
		}
	}
	return false
}

// anchor describes keyword kw's hit at content[lo:hi].
func (d *Detector) anchor(content []byte, lo, hi int, kw int32) Anchor {
	end := min(hi+maxLineReach, len(content))
	if i := bytes.IndexByte(content[hi:end], '\n'); i >= 0 {
		end = hi + i
	}
	return Anchor{At: lo, End: reachPast(content, end, d.kwWindow[kw]), Window: d.kwWindow[kw]}
}

// moveAnchors appends to dst the old anchors that copies carried into
// content, at their new offsets and with their windows measured there,
// leaving out those in skip's lines (scanned again), sorted.
func (d *Detector) moveAnchors(dst []Anchor, content []byte, old []Anchor, idx copyIndex, skip []span) []Anchor {
	for _, a := range old {
		idx.each(a.At, a.At+1, func(c Copy) {
			at := c.To + a.At - c.From
			if i := firstEndingAfter(skip, at); i < len(skip) && skip[i].lo <= at {
				return
			}
			end := min(at+maxLineReach, len(content))
			if i := bytes.IndexByte(content[at:end], '\n'); i >= 0 {
				end = at + i
			}
			dst = append(dst, Anchor{At: at, End: reachPast(content, end, a.Window), Window: a.Window})
		})
	}
	slices.SortFunc(dst, func(a, b Anchor) int { return a.At - b.At })
	return dst
}

func mergeAnchors(a, b []Anchor) []Anchor {
	out := append(a, b...)
	slices.SortFunc(out, func(a, b Anchor) int { return a.At - b.At })
	return out
}

// addSpan appends s to ss, sorted by lo with s.lo at or after the last
// one's, merging when they touch.
func addSpan(ss []span, s span) []span {
	if n := len(ss); n > 0 && s.lo <= ss[n-1].hi {
		ss[n-1].hi = max(ss[n-1].hi, s.hi)
		return ss
	}
	return append(ss, s)
}

// addSpanSorted inserts s into the sorted, disjoint ss, merging.
func addSpanSorted(ss []span, s span) []span {
	i := sort.Search(len(ss), func(i int) bool { return ss[i].hi >= s.lo })
	j := i
	for j < len(ss) && ss[j].lo <= s.hi {
		s.lo, s.hi = min(s.lo, ss[j].lo), max(s.hi, ss[j].hi)
		j++
	}
	return slices.Replace(ss, i, j, s)
}

// overlaps reports whether s meets one of the sorted, disjoint ss.
func overlaps(ss []span, s span) bool {
	i := firstEndingAfter(ss, s.lo)
	return i < len(ss) && ss[i].lo < max(s.hi, s.lo+1)
}

// crosses reports whether one of the sorted points lies inside s, past
// its start.
func crosses(points []int, s span) bool {
	i := sort.SearchInts(points, s.lo+1)
	return i < len(points) && points[i] < s.hi
}

// firstEndingAfter returns the index of the first span of ss (sorted,
// disjoint) that ends after at, or len(ss).
func firstEndingAfter(ss []span, at int) int {
	return sort.Search(len(ss), func(i int) bool { return ss[i].hi > at })
}

// lineEndAt returns the offset just past the '\n' ending the line that
// holds b[at-1] (at itself when at is a line start or the end).
func lineEndAt(b []byte, at int) int {
	if at <= 0 || at >= len(b) || b[at-1] == '\n' {
		return min(max(at, 0), len(b))
	}
	if i := bytes.IndexByte(b[at:], '\n'); i >= 0 {
		return at + i + 1
	}
	return len(b)
}

// run is Detect over ranges of f (nil: all of it), recording a memo.
func (d *Detector) run(f *Fragment, ranges []span, memo *Memo) ([]Finding, error) {
	var lines *lineSpans
	if d.decodeDepth > 0 {
		lines = getLineSpans()
		defer lineSpanPool.Put(lines)
	}
	out, err := d.detectIn(f, lines, ranges, memo)
	if lines != nil && len(lines.s) > 0 {
		var derr error
		out, derr = d.decodePass(out, f, lines, d.decodeDepth, span{0, len(f.Content)})
		if err == nil {
			err = derr
		}
	}
	locate(out, f)
	if d.composite {
		out = d.compose(out)
	}
	return out, err
}

// Carry returns the old version's findings that a DetectChanged of the new
// version leaves to its caller: those whose lines lie wholly in one copied
// stretch of base and starting, at their new offset, outside every owned span. Offsets and
// line numbers are those of content, the new version, whose first line is
// line 1; columns and line text are unchanged, since such a finding's lines
// were copied whole. owned is sorted; old is not modified.
func Carry(old []Finding, base []byte, copies []Copy, owned []Span, content []byte) []Finding {
	var out []Finding
	for _, g := range old {
		// The finding's whole lines must have been copied: a match may
		// begin before its secret.
		lo := lineStart(base, min(g.Start, len(base)))
		hi := lineEndAt(base, min(max(g.End, g.Start+1), len(base)))
		// Several copies may take the same old bytes; each is a finding.
		for _, c := range copies {
			if lo < c.From || hi > c.From+c.Len {
				continue
			}
			at := c.To + g.Start - c.From
			if k := sort.Search(len(owned), func(k int) bool { return owned[k].Hi > at }); k < len(owned) && owned[k].Lo <= at {
				continue
			}
			h := g
			h.Start, h.End = at, c.To+g.End-c.From
			out = append(out, h)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	line, pos := 1, 0
	for i := range out {
		h := &out[i]
		n := h.EndLine - h.StartLine
		line += bytes.Count(content[pos:h.Start], []byte{'\n'})
		pos = h.Start
		h.StartLine, h.EndLine = line, line+n
	}
	return out
}
