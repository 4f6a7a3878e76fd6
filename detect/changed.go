package detect

import (
	"bytes"
	"sort"
)

// Span is a byte range [Lo, Hi) of a fragment's content.
type Span struct{ Lo, Hi int }

// Memo is what scanning one version of a content leaves behind for
// scanning a later version built from it (DetectChanged).
type Memo struct {
	// Anchors are the offsets, sorted, of keyword hits of far-reaching
	// rules: those whose window reaches more than farWindow bytes past
	// their keyword's line (private key blocks, docker configs). A change
	// within such a window is scanned with the whole content.
	Anchors []int
	// Secret is set when the content holds a Kubernetes Secret marker,
	// which makes every line of it decodable: such content is always
	// scanned whole.
	Secret bool
}

// farWindow splits rules into near ones, whose matches lie within a few
// lines of their keyword, and far ones (see Memo.Anchors).
const farWindow = 256

// DetectMemo is Detect that also returns the memo DetectChanged needs to
// scan a later version from this one.
func (d *Detector) DetectMemo(f *Fragment) ([]Finding, Memo, error) {
	var memo Memo
	out, err := d.run(f, nil, &memo)
	return out, memo, err
}

// DetectChanged scans content that differs from a version already scanned
// only in the byte ranges changed (sorted; an empty range marks where two
// copied stretches meet). prior is that version's memo, its anchors moved
// to this content's offsets and those inside changed ranges dropped.
//
// It returns the candidates that start in the owned spans: the lines of
// the changes and the lines before them whose keyword windows reach into
// a change. The caller keeps the earlier version's candidates that start
// outside every owned span and lie wholly in one copied stretch, at their
// new offsets: together, the candidates a full Detect would return. The
// owned spans are whole lines, sorted and disjoint; the memo is this
// content's.
//
// Rule sets that cannot be scanned in parts (composite rules, rules with
// no keyword, path rules), Kubernetes Secrets, and changes within a
// far-reaching rule's window are scanned whole: owned is then one span
// covering the content.
func (d *Detector) DetectChanged(f *Fragment, changed []Span, prior Memo) ([]Finding, []Span, Memo, error) {
	content := f.Content
	whole := func() ([]Finding, []Span, Memo, error) {
		out, memo, err := d.DetectMemo(f)
		return out, []Span{{0, len(content)}}, memo, err
	}
	if d.composite || len(d.unkeyed) > 0 || len(d.pathOnly) > 0 || prior.Secret || f.OwnedStart != 0 || f.OwnedEnd != 0 {
		return whole()
	}
	if len(changed) == 0 {
		return nil, nil, prior, nil
	}
	// Owned: each change's lines, back to the first line whose keyword
	// window could reach them (a window ends nearReach bytes past its
	// keyword's line, then at a line end), and forward as far as a
	// window opened on them reaches.
	var owned []span
	for _, c := range changed {
		lo := lineStart(content, min(c.Lo, len(content)))
		lo = lineStart(content, max(0, lo-d.nearReach-1))
		hi := lineEndAt(content, c.Hi)
		hi = lineEndAt(content, min(len(content), hi+d.nearReach+1))
		if n := len(owned); n > 0 && lo <= owned[n-1].hi {
			owned[n-1].hi = max(owned[n-1].hi, hi)
			continue
		}
		owned = append(owned, span{lo, hi})
	}
	// A far-reaching window over a change: scan it all.
	reach := d.farReach()
	for _, a := range prior.Anchors {
		if i := firstEndingAfter(owned, a); i < len(owned) && owned[i].lo <= a+reach {
			return whole()
		}
	}
	// The keyword pass covers the owned lines and, before them, the
	// lines whose windows merge with theirs.
	// After them, the lines whose windows a window of theirs would merge
	// with (mergeGap), so a regex runs over the same text as in a full
	// scan.
	ranges := make([]span, 0, len(owned))
	for _, o := range owned {
		lo := lineStart(content, max(0, o.lo-d.nearReach-1))
		hi := o.hi
		if n := len(ranges); n > 0 && lo <= ranges[n-1].hi {
			ranges[n-1].hi = hi
			continue
		}
		ranges = append(ranges, span{lo, hi})
	}
	var memo Memo
	found, err := d.run(f, ranges, &memo)
	if memo.Secret || len(memo.Anchors) > 0 {
		return whole()
	}
	out := found[:0]
	for _, g := range found {
		if i := firstEndingAfter(owned, g.Start); i < len(owned) && owned[i].lo <= g.Start {
			out = append(out, g)
		}
	}
	spans := make([]Span, len(owned))
	for i, o := range owned {
		spans[i] = Span{o.lo, o.hi}
	}
	// No far-reaching keyword in the scanned ranges: the prior anchors,
	// all outside them, are this content's.
	return out, spans, prior, err
}

// farReach is how far past its keyword a far-reaching rule's window can
// end: its window, plus the keyword's line on either side.
func (d *Detector) farReach() int {
	w := 0
	for _, c := range d.rules {
		w = max(w, c.Window)
	}
	return w + 2*maxLineReach
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

// Copy is a stretch of a new version copied from an old one: Len bytes
// at To in the new version came from From in the old.
type Copy struct{ To, From, Len int }

// Carry returns the old version's findings that a DetectChanged of the new
// version leaves to its caller: those lying wholly in one copied stretch
// and starting, at their new offset, outside every owned span. Offsets and
// line numbers are those of content, the new version, whose first line is
// line 1; columns and line text are unchanged, since such a finding's lines
// were copied whole. owned is sorted; old is not modified.
func Carry(old []Finding, copies []Copy, owned []Span, content []byte) []Finding {
	var out []Finding
	for _, g := range old {
		// Several copies may take the same old bytes; each is a finding.
		for _, c := range copies {
			if g.Start < c.From || g.End > c.From+c.Len {
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
		span := h.EndLine - h.StartLine
		line += bytes.Count(content[pos:h.Start], []byte{'\n'})
		pos = h.Start
		h.StartLine, h.EndLine = line, line+span
	}
	return out
}
