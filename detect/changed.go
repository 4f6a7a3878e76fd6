package detect

import (
	"bytes"
	"slices"
	"sort"

	"github.com/leakhound/leakhound/internal/delta"
)

// kwAnchor is a keyword hit of a rule whose matches may reach past the
// keyword's line (a multi-line rule: key names on the line before their
// value, private key blocks): At is where the keyword starts, End where
// its window ends, Window the rule's reach past the keyword's line.
type kwAnchor struct{ At, End, Window int }

// Memo is what scanning one version of a content leaves behind for
// scanning a later version built from it (DetectChanged). It is opaque
// outside this package: a caller keeps it with the version it was
// returned for and hands it back, and the zero Memo is a content with
// no candidates and no multi-line rule's keyword in it. It holds the
// candidates returned with it, which the caller must not modify.
type Memo struct {
	// found is the version's candidates, those a later version carries
	// where it copied their lines.
	found []Finding
	// scanned is how many bytes of the version the scan found candidates
	// in afresh (see Scanned).
	scanned int
	// anchors, sorted by At, are every multi-line rule's keyword hits:
	// the only places where a match can start on a line other than the
	// one its keyword is on.
	anchors []kwAnchor
	// secret is set when the content holds a Kubernetes Secret marker,
	// which makes every line of it decodable: such content is always
	// scanned whole.
	secret bool
}

// farWindow splits multi-line rules into near ones, whose matches end a
// few lines past their keyword, and far ones (private key blocks, docker
// configs): a change under a far one's window rescans the whole content,
// which is rare and simpler than tracking kilobytes of window.
const farWindow = 256

// Scanned is how many bytes of its version the scan that returned m
// found candidates in afresh, rather than carrying them from the old
// version: all of them for DetectMemo's memo.
func (m Memo) Scanned() int { return m.scanned }

// DetectMemo is Detect that also returns the memo DetectChanged needs to
// scan a later version from this one.
func (d *Detector) DetectMemo(f *Fragment) ([]Finding, Memo, error) {
	var memo Memo
	out, err := d.run(f, nil, &memo)
	memo.found, memo.scanned = out, len(f.Content)
	return out, memo, err
}

// DetectChanged scans f, a new version of base, a content already
// scanned, built from it as changed and copies say: changed holds the
// ranges of f that are new (sorted; an empty range marks where two
// stretches copied from different places meet), copies where the rest
// came from. prior is the memo base's scan returned, in base's offsets.
// It returns the candidates Detect would return for f, sorted as
// SortFindings sorts, and f's memo.
//
// f's candidates are found afresh only in the spans it owns: the lines
// of the changes, and the windows of multi-line rules' keywords that
// reach them or whose keyword the change removed. base's candidates
// outside them are still right, and are carried over to f's offsets.
// Rule sets that cannot be scanned in parts (composite rules, rules with
// no keyword, path rules), Kubernetes Secrets, and changes under a far
// reaching rule's window own all of f: it is scanned whole.
func (d *Detector) DetectChanged(f *Fragment, base []byte, changed []delta.Span, copies []delta.Copy, prior Memo) ([]Finding, Memo, error) {
	fresh, owned, memo, err := d.detectOwned(f, base, changed, copies, prior)
	found := carry(prior.found, base, copies, owned, f.Content)
	if len(fresh) > 0 {
		found = append(found, fresh...)
		SortFindings(found)
	}
	memo.found = found
	for _, o := range owned {
		memo.scanned += o.hi - o.lo
	}
	return found, memo, err
}

// detectOwned is DetectChanged's scan: it returns the candidates of f
// that start in the spans f owns, and those spans, whole lines, sorted
// and disjoint, and f's memo without its candidates.
func (d *Detector) detectOwned(f *Fragment, base []byte, changed []delta.Span, copies []delta.Copy, prior Memo) ([]Finding, []span, Memo, error) {
	content := f.Content
	// A change every few bytes (a delta against a distant version) is
	// cheaper to scan whole than line by line.
	if d.scansWhole(f, prior) || len(changed)*d.wholeEvery > len(content) {
		return d.detectWhole(f)
	}
	// Most changes are a line or two: their spans and points stay on the
	// stack, in buffers the size the compiler would give them there.
	var lineBuf [2]span
	var pointBuf [4]int
	lines, points := changedLines(lineBuf[:0], pointBuf[:0], content, changed)
	if len(lines) == 0 && len(points) == 0 {
		if len(prior.anchors) == 0 {
			return nil, nil, Memo{}, nil
		}
		return nil, nil, Memo{anchors: d.moveAnchors(nil, content, prior.anchors, newCopyIndex(copies), nil)}, nil
	}
	if len(lines) == 0 {
		return d.detectSeams(f, base, copies, points, prior)
	}
	// The changed lines' keywords are found first; that finds the
	// anchors in them, and whether the content became a Kubernetes
	// Secret. Their hits are kept: the rules run once, when the
	// ranges to scan are known.
	hb := d.hitBufs.Get().(*hitBuf)
	defer d.hitBufs.Put(hb)
	hb.lines = d.hitsIn(hb.lines[:0], content, lines)
	fresh := d.memoOf(content, hb.lines)
	if fresh.secret {
		return d.detectWhole(f)
	}
	core, anchors := d.changedCore(content, base, copies, lines, prior.anchors, fresh.anchors)
	owned, far := ownedSpans(content, core, points, anchors)
	if far {
		return d.detectWhole(f)
	}
	hits := hb.lines
	if extra := subtract(scanRanges(content, owned, anchors), lines); len(extra) > 0 {
		// The rules run over both as over one range, so that windows
		// merge as in a whole scan: a regex run over two merged windows
		// may match differently than over each. The ranges are whole
		// lines, so the hits in both are the hits in one, unless a
		// keyword holds a line end.
		if d.keywords.class['\n'] != 0 {
			hb.all = d.hitsIn(hb.all[:0], content, union(lines, extra))
		} else {
			hb.extra = d.hitsIn(hb.extra[:0], content, extra)
			hb.all = d.mergeHits(hb.all[:0], hb.lines, hb.extra)
		}
		hits = hb.all
	}
	found, err := d.runFed(f, nil, feed{hits: hits, given: true})
	return startingIn(found, owned), owned, Memo{anchors: anchors}, err
}

// detectSeams is detectOwned when no line changed, only where copied
// stretches meet (points): the content is scanned whole for its anchors,
// and its candidates are those in the windows over the points.
func (d *Detector) detectSeams(f *Fragment, base []byte, copies []delta.Copy, points []int, prior Memo) ([]Finding, []span, Memo, error) {
	content := f.Content
	var fresh Memo
	found, err := d.run(f, nil, &fresh)
	if fresh.secret {
		return d.detectWhole(f)
	}
	core, anchors := d.changedCore(content, base, copies, nil, prior.anchors, fresh.anchors)
	owned, far := ownedSpans(content, core, points, anchors)
	if far {
		return d.detectWhole(f)
	}
	if extra := scanRanges(content, owned, anchors); len(extra) > 0 {
		found, err = d.run(f, union(nil, extra), nil)
	}
	return startingIn(found, owned), owned, Memo{anchors: anchors}, err
}

// kwHit is a keyword hit: keyword kw ends just before end.
type kwHit struct {
	end int
	kw  int32
}

// hitBuf is DetectChanged's reusable memory for keyword hits.
type hitBuf struct{ lines, extra, all []kwHit }

// hitsIn appends to dst the keyword hits in ranges of content (sorted,
// disjoint), in order of start position.
func (d *Detector) hitsIn(dst []kwHit, content []byte, ranges []span) []kwHit {
	for _, r := range ranges {
		d.keywords.scan(content[r.lo:r.hi], func(end int, kw int32) bool {
			dst = append(dst, kwHit{r.lo + end, kw})
			return true
		})
	}
	return dst
}

// mergeHits appends to dst the hits of a and b, each in order of start
// position, in that order.
func (d *Detector) mergeHits(dst, a, b []kwHit) []kwHit {
	lens := d.keywords.lens
	for len(a) > 0 && len(b) > 0 {
		if b[0].end-lens[b[0].kw] < a[0].end-lens[a[0].kw] {
			dst, b = append(dst, b[0]), b[1:]
		} else {
			dst, a = append(dst, a[0]), a[1:]
		}
	}
	return append(append(dst, a...), b...)
}

// memoOf returns the memo a scan with these hits records (see detectIn).
func (d *Detector) memoOf(content []byte, hits []kwHit) Memo {
	var m Memo
	for _, h := range hits {
		if h.kw >= d.secretKw {
			m.secret = true
		}
		if d.kwWindow[h.kw] > 0 {
			m.anchors = append(m.anchors, d.anchor(content, h.end-d.keywords.lens[h.kw], h.end, h.kw))
		}
	}
	return m
}

// scansWhole reports whether f cannot be scanned in parts: rule sets
// with composite rules, rules with no keyword or path rules, Kubernetes
// Secrets, and fragments that own only part of their content.
func (d *Detector) scansWhole(f *Fragment, prior Memo) bool {
	return d.composite || len(d.unkeyed) > 0 || len(d.pathOnly) > 0 || prior.secret || f.OwnedStart != 0 || f.OwnedEnd != 0
}

// detectWhole is detectOwned's answer when f is scanned whole: it owns
// all of f.
func (d *Detector) detectWhole(f *Fragment) ([]Finding, []span, Memo, error) {
	var memo Memo
	out, err := d.run(f, nil, &memo)
	return out, []span{{0, len(f.Content)}}, memo, err
}

// changedLines appends to lines the whole lines of content that changed
// says are new, sorted and disjoint, and to points the points where two
// copied stretches meet at a line start: those change no line, only
// which lines neighbour each other, which matters to a multi-line window
// over them.
func changedLines(lines []span, points []int, content []byte, changed []delta.Span) ([]span, []int) {
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
func (d *Detector) changedCore(content, base []byte, copies []delta.Copy, lines []span, prior, fresh []kwAnchor) ([]span, []kwAnchor) {
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
		idx.each(wl, a.End, func(c delta.Copy) {
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
func ownedSpans(content []byte, core []span, points []int, anchors []kwAnchor) (owned []span, far bool) {
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
func scanRanges(content []byte, owned []span, anchors []kwAnchor) []span {
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

// defaultWholeEvery: a content with a change for every that many bytes is
// scanned whole (see DetectChanged). Measured 2026-12-03 (seconds, etcd /
// symfony): 64: 3.2-3.5 / 10.1; 192: 3.1 / 9.4; 512: 3.0 / 9.1; 1024:
// 3.2 / 9.8; 4096: 3.5 / 10.6. Since the rules run once per partial scan
// (2026-12-06, BenchmarkScanBlobDelta on symfony, CPU ms, best of 3):
// 512: 334; 256: 302; 128: 277; 64: 303; every change scanned by its
// lines: 323 (the rules running twice: 369).
const defaultWholeEvery = 128

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
	c      []delta.Copy // sorted by From
	maxEnd []int        // maxEnd[i] is the largest From+Len of c[:i+1]
}

func newCopyIndex(copies []delta.Copy) copyIndex {
	c := slices.Clone(copies)
	slices.SortFunc(c, func(a, b delta.Copy) int { return a.From - b.From })
	x := copyIndex{c: c, maxEnd: make([]int, len(c))}
	m := 0
	for i, cp := range c {
		m = max(m, cp.From+cp.Len)
		x.maxEnd[i] = m
	}
	return x
}

// each calls fn with every copy that takes some of the old bytes [lo, hi).
func (x copyIndex) each(lo, hi int, fn func(delta.Copy)) {
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
func (d *Detector) anchor(content []byte, lo, hi int, kw int32) kwAnchor {
	end := min(hi+maxLineReach, len(content))
	if i := bytes.IndexByte(content[hi:end], '\n'); i >= 0 {
		end = hi + i
	}
	return kwAnchor{At: lo, End: reachPast(content, end, d.kwWindow[kw]), Window: d.kwWindow[kw]}
}

// moveAnchors appends to dst the old anchors that copies carried into
// content, at their new offsets and with their windows measured there,
// leaving out those in skip's lines (scanned again), sorted.
func (d *Detector) moveAnchors(dst []kwAnchor, content []byte, old []kwAnchor, idx copyIndex, skip []span) []kwAnchor {
	for _, a := range old {
		idx.each(a.At, a.At+1, func(c delta.Copy) {
			at := c.To + a.At - c.From
			if i := firstEndingAfter(skip, at); i < len(skip) && skip[i].lo <= at {
				return
			}
			end := min(at+maxLineReach, len(content))
			if i := bytes.IndexByte(content[at:end], '\n'); i >= 0 {
				end = at + i
			}
			dst = append(dst, kwAnchor{At: at, End: reachPast(content, end, a.Window), Window: a.Window})
		})
	}
	slices.SortFunc(dst, func(a, b kwAnchor) int { return a.At - b.At })
	return dst
}

func mergeAnchors(a, b []kwAnchor) []kwAnchor {
	out := append(a, b...)
	slices.SortFunc(out, func(a, b kwAnchor) int { return a.At - b.At })
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
	return d.runFed(f, memo, feed{ranges: ranges})
}

// runFed is run with the keyword hits given by feed (see detectFed).
func (d *Detector) runFed(f *Fragment, memo *Memo, src feed) ([]Finding, error) {
	var lines *lineSpans
	if d.decodeDepth > 0 {
		lines = getLineSpans()
		defer lineSpanPool.Put(lines)
	}
	out, err := d.detectFed(f, lines, memo, src)
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

// carry returns the old version's findings that detectOwned leaves to
// DetectChanged: those whose lines lie wholly in one copied stretch of
// base and starting, at their new offset, outside every owned span.
// Offsets and line numbers are those of content, the new version, whose
// first line is line 1; columns and line text are unchanged, since such a
// finding's lines were copied whole. owned is sorted; old is not modified.
func carry(old []Finding, base []byte, copies []delta.Copy, owned []span, content []byte) []Finding {
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
			if k := firstEndingAfter(owned, at); k < len(owned) && owned[k].lo <= at {
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
