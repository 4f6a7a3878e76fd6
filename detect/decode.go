package detect

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"sync"
	"unicode/utf8"
)

// DefaultDecodeDepth is how many layers of encoding Detect undoes by
// default: enough for a Kubernetes `.dockerconfigjson` (base64 JSON whose
// "auth" is base64 again) with one to spare.
const DefaultDecodeDepth = 3

// viewReach is how much of a segment's line either side goes into the
// decoded view that is scanned again: room for a secret's name, operator
// and quotes, not the ±maxLineReach a keyword window gets, so that a huge
// line packed with encoded runs costs a bounded rescan per run.
const viewReach = 256

// minEncoded is the shortest base64 or hex run worth decoding: 16
// characters are 12 (base64) or 8 (hex) bytes, the shortest secret a rule
// reports.
const minEncoded = 16

// SetDecodeDepth sets how many layers of encoding Detect undoes; 0 turns
// decoding off. Call it before the detector is first used.
func (d *Detector) SetDecodeDepth(n int) {
	if n < 0 {
		n = 0
	}
	d.decodeDepth = n
}

type encoding uint8

const (
	encBase64 encoding = iota
	encHex
	encPercent
	encEscaped
)

var encodingNames = [...]string{"base64", "hex", "percent", "escaped"}

// DecodedTag is the tag a finding made inside encoded text carries, e.g.
// "decoded:base64". Its Start and End then cover the encoded bytes, and its
// Secret is the decoded secret, which does not occur verbatim in the input.
const DecodedTag = "decoded:"

// segment is a run of encoded text: content[lo:hi].
type segment struct {
	lo, hi int
	kind   encoding
}

// decodePass looks for secrets inside encoded text in f: each base64, hex
// or percent-encoded run that decodes to printable text, and each line with
// escaped quotes (JSON strings, notebooks), is replaced by its decoded form
// within its line, and that line is scanned again, decoding further up to
// depth layers. A finding inside the decoded text is reported at the
// encoded bytes, unless the same rule already found the same secret there.
//
// Decoding is cheap where it finds nothing: the run finder is one table
// lookup per byte, most runs fail the printable check on their first
// bytes, and a decoded line is scanned only when the keyword pass selects
// a rule in it.
//
// Only segments overlapping within are decoded: a nested pass looks inside
// the text it just decoded, not again at the encoded neighbours its view
// also shows, which would multiply the work by their number at every
// layer.
func (d *Detector) decodePass(out []Finding, f *Fragment, lines *lineSpans, depth int, within span) ([]Finding, error) {
	var errs []error
	for _, seg := range encodedSegments(f.Content, lines) {
		if seg.lo < f.OwnedStart || (f.OwnedEnd > 0 && seg.lo >= f.OwnedEnd) || seg.hi <= within.lo || seg.lo >= within.hi {
			continue
		}
		v, ok := decodeView(f.Content, seg)
		if !ok {
			continue
		}
		var found []Finding
		found, errs = d.detectView(f, &v, depth, errs)
		out = v.place(out, found, f)
	}
	return out, errors.Join(errs...)
}

// encodedSegments returns the encoded runs in the lines a keyword pass
// collected, or in all of content when it holds a Kubernetes Secret,
// whose data values are base64 under any name.
func encodedSegments(content []byte, lines *lineSpans) []segment {
	if lines.all {
		return appendSegments(nil, content, 0)
	}
	var segs []segment
	for _, l := range lines.s {
		segs = appendSegments(segs, content[l.lo:l.hi], l.lo)
	}
	return segs
}

// decodedView is an encoded segment decoded within its line: the view
// holds the line's text before the segment, the decoded bytes at
// [lo, hi), and the text after.
type decodedView struct {
	seg  segment // the encoded bytes; for an escaped string, its whole line
	ls   int     // the content offset view starts at
	view []byte
	// pos maps a decoded index to the original one, for escaped strings
	// only.
	pos    []int
	lo, hi int
}

// decodeView decodes seg in content; ok is false when it does not decode
// to printable text.
func decodeView(content []byte, seg segment) (v decodedView, ok bool) {
	ls, le := lineWithin(content, seg.lo, seg.hi, viewReach)
	var dec []byte
	var pos []int
	switch seg.kind {
	case encEscaped:
		// One segment per line: the whole line, as a keyword window
		// sees it, is unescaped.
		ls, le = lineBounds(content, seg.lo, seg.hi)
		seg.lo, seg.hi = ls, le
		dec, pos = unescape(content[ls:le])
	default:
		dec = decodeSegment(seg.kind, content[seg.lo:seg.hi])
	}
	if dec == nil {
		return decodedView{}, false
	}
	view := make([]byte, 0, (seg.lo-ls)+len(dec)+(le-seg.hi))
	view = append(view, content[ls:seg.lo]...)
	view = append(view, dec...)
	view = append(view, content[seg.hi:le]...)
	return decodedView{seg: seg, ls: ls, view: view, pos: pos, lo: seg.lo - ls, hi: seg.lo - ls + len(dec)}, true
}

// detectView scans v's view as a fragment of f's, decoding further while
// depth allows, and returns what it found, in the view's offsets, with
// rule errors added to errs.
func (d *Detector) detectView(f *Fragment, v *decodedView, depth int, errs []error) ([]Finding, []error) {
	sub := &Fragment{Content: v.view, Prior: f.Prior, Provenance: f.Provenance}
	subLines := getLineSpans()
	found, err := d.detect(sub, subLines)
	if err != nil {
		errs = append(errs, err)
	}
	if depth > 1 && len(subLines.s) > 0 {
		found, err = d.decodePass(found, sub, subLines, depth-1, span{v.lo, v.hi})
		if err != nil {
			errs = append(errs, err)
		}
	}
	lineSpanPool.Put(subLines)
	return found, errs
}

// place appends to out the findings of found inside v's decoded bytes,
// moved to the encoded bytes of f that hold them and tagged with the
// encoding, unless a version in f.Prior holds those bytes already or the
// same rule found the same secret there.
func (v *decodedView) place(out, found []Finding, f *Fragment) []Finding {
	seg := v.seg
	for _, g := range found {
		if g.End <= v.lo || g.Start >= v.hi {
			continue
		}
		if seg.kind == encEscaped {
			g.Start, g.End = v.ls+v.pos[g.Start-v.lo], v.ls+v.pos[g.End-v.lo]
			if g.End < g.Start {
				g.End = g.Start
			}
		} else {
			if inPrior(f.Prior, f.Content[seg.lo:seg.hi]) {
				continue
			}
			g.Start, g.End = seg.lo, seg.hi
		}
		if seenAt(out, &g) {
			continue
		}
		if !hasDecodedTag(g.Tags) {
			g.Tags = append(append(make([]string, 0, len(g.Tags)+1), g.Tags...), DecodedTag+encodingNames[seg.kind])
		}
		out = append(out, g)
	}
	return out
}

func hasDecodedTag(tags []string) bool {
	for _, t := range tags {
		if len(t) > len(DecodedTag) && t[:len(DecodedTag)] == DecodedTag {
			return true
		}
	}
	return false
}

// seenAt reports whether out already holds g's rule and secret at
// overlapping bytes: an escaped line's plain findings found again, or one
// encoded run reached through two lines.
func seenAt(out []Finding, g *Finding) bool {
	for i := range out {
		if out[i].RuleID == g.RuleID && out[i].Secret == g.Secret && out[i].Start < max(g.End, g.Start+1) && g.Start < max(out[i].End, out[i].Start+1) {
			return true
		}
	}
	return false
}

// Byte classes for the run finder.
const (
	clB64Std = 1 << iota // A-Z a-z 0-9 + /
	clB64URL             // A-Z a-z 0-9 - _
	clHex                // 0-9 a-f A-F
)

var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnum := b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
		if alnum || b == '+' || b == '/' {
			t[c] |= clB64Std
		}
		if alnum || b == '-' || b == '_' {
			t[c] |= clB64URL
		}
		if b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' {
			t[c] |= clHex
		}
	}
	return t
}()

// decodeTriggers are keywords that select no rule but make the decoders
// look at their line: names that usually hold an encoded credential
// (Kubernetes Secret data keys such as STRIPE_KEY, "auth" fields, Basic
// headers). Decoding looks only at lines with a keyword hit: a decoded
// secret with no name near it and no vendor prefix is not reportable, and
// scanning every line of every file for encoded runs would cost as much as
// the keyword pass itself.
var decodeTriggers = []string{"key", "auth", "basic", "base64", "b64", "encoded", "dockerconfig", "data:"}

// lineSpans collects the lines with keyword hits during a keyword pass;
// pooled, as most fragments have some.
type lineSpans struct {
	s   []span
	all bool // a Kubernetes Secret: decode every line
}

// secretMarkers say a fragment is a Kubernetes Secret (keywords match
// ignoring ASCII case).
var secretMarkers = []string{"kind: secret", `"kind": "secret"`, `"kind":"secret"`}

var lineSpanPool = sync.Pool{New: func() any { return new(lineSpans) }}

func getLineSpans() *lineSpans {
	l := lineSpanPool.Get().(*lineSpans)
	l.s, l.all = l.s[:0], false
	return l
}

// appendSegments appends the encoded runs in content, offset by base, in
// order: base64 and hex runs of at least minEncoded characters,
// percent-encoded words, and one segment per line holding an escaped
// quote.
//
// Runs are found by skipping: when the byte minEncoded-1 past the last run
// cannot be part of a run, no run of minEncoded bytes can start before it,
// so most of a text is never looked at.
func appendSegments(segs []segment, content []byte, base int) []segment {
	first := len(segs)
	n := len(content)
	done := 0 // content[:done] has been examined
	for i := minEncoded - 1; i < n; {
		if !inRun[content[i]] {
			i += minEncoded
			continue
		}
		s := i
		for s > done && inRun[content[s-1]] {
			s--
		}
		e := i + 1
		for e < n && inRun[content[e]] {
			e++
		}
		if e-s >= minEncoded {
			segs = appendRuns(segs, content, s, e)
		}
		done = e
		i = e + minEncoded
	}
	segs = appendPercent(segs, content)
	segs = appendEscaped(segs, content)
	for k := first; k < len(segs); k++ {
		segs[k].lo += base
		segs[k].hi += base
	}
	return segs
}

// inRun marks the bytes of either base64 alphabet.
var inRun = func() (t [256]bool) {
	for c := range t {
		t[c] = class[c]&(clB64Std|clB64URL) != 0
	}
	return t
}()

// appendRuns splits content[s:e], a run of base64 characters of either
// alphabet, into runs of one alphabet (standard or URL-safe) and adds
// those long enough, with their '=' padding, as base64 or hex segments.
func appendRuns(segs []segment, content []byte, s, e int) []segment {
	start, all := s, class[content[s]]
	flush := func(end int) {
		if end-start < minEncoded {
			return
		}
		hi := end
		for hi < len(content) && hi-end < 2 && content[hi] == '=' {
			hi++
		}
		kind := encBase64
		if all&clHex != 0 && (end-start)%2 == 0 {
			kind = encHex
		}
		segs = append(segs, segment{start, hi, kind})
	}
	for i := s + 1; i < e; i++ {
		c := class[content[i]]
		if all&c&(clB64Std|clB64URL) == 0 {
			flush(i)
			start, all = i, c
			continue
		}
		all &= c
	}
	flush(e)
	return segs
}

// appendPercent adds each word (a run without spaces or quotes) that holds
// a %XX escape.
func appendPercent(segs []segment, content []byte) []segment {
	last := -1
	for i := 0; ; {
		j := bytes.IndexByte(content[i:], '%')
		if j < 0 {
			return segs
		}
		i += j
		if i+2 < len(content) && class[content[i+1]]&clHex != 0 && class[content[i+2]]&clHex != 0 && i >= last {
			lo, hi := i, i+3
			for lo > 0 && !wordEnd(content[lo-1]) {
				lo--
			}
			for hi < len(content) && !wordEnd(content[hi]) {
				hi++
			}
			segs = append(segs, segment{lo, hi, encPercent})
			last = hi
			i = hi
			continue
		}
		i++
	}
}

func wordEnd(c byte) bool {
	return c <= ' ' || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>'
}

// appendEscaped adds one segment per line holding \" or \'.
func appendEscaped(segs []segment, content []byte) []segment {
	next := 0
	for i := 0; ; {
		j := bytes.IndexByte(content[i:], '\\')
		if j < 0 {
			return segs
		}
		i += j
		if i+1 < len(content) && (content[i+1] == '"' || content[i+1] == '\'') && i >= next {
			segs = append(segs, segment{i, i + 2, encEscaped})
			next = len(content)
			if k := bytes.IndexByte(content[i:], '\n'); k >= 0 {
				next = i + k
			}
		}
		i++
	}
}

// decodeSegment decodes a base64, hex or percent-encoded run and returns
// the text, or nil when it is not printable text (most runs: hashes,
// images, identifiers) or decodes to nothing new.
func decodeSegment(kind encoding, s []byte) []byte {
	switch kind {
	case encHex:
		// A hex run that decodes to text is rare; check the first bytes
		// before decoding the rest.
		var head [4]byte
		if n, err := hex.Decode(head[:], s[:8]); err != nil || !printable(head[:n]) {
			return nil
		}
		out := make([]byte, len(s)/2)
		if _, err := hex.Decode(out, s); err != nil || !printable(out) {
			return nil
		}
		return out
	case encPercent:
		out := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && i+2 < len(s) && class[s[i+1]]&clHex != 0 && class[s[i+2]]&clHex != 0 {
				out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
				i += 2
				continue
			}
			out = append(out, s[i])
		}
		if !printable(out) {
			return nil
		}
		return out
	}
	s = bytes.TrimRight(s, "=")
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	enc := base64.RawStdEncoding
	if bytes.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	var head [3]byte
	if _, err := enc.Decode(head[:], s[:4]); err != nil || !printable(head[:]) {
		return nil
	}
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	if err != nil || !printable(out[:n]) {
		return nil
	}
	return out[:n]
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// printable reports whether b is text: valid UTF-8 without control
// characters other than tab, newline and carriage return. A truncated
// multi-byte character at the end (a prefix check) still counts.
func printable(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < ' ' && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return !utf8.FullRune(b[i:]) && len(b)-i < utf8.UTFMax
		}
		i += n
	}
	return true
}

// unescape undoes backslash escapes in a line of a JSON or source string
// (\" \' \\ \/ \n \r \t and \uXXXX for ASCII) and returns the text with,
// for each of its bytes and one past the end, the offset in line it came
// from.
func unescape(line []byte) ([]byte, []int) {
	out := make([]byte, 0, len(line))
	pos := make([]int, 0, len(line)+1)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) {
			r, n := line[i+1], 2
			switch r {
			case '"', '\'', '\\', '/':
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			case 'u':
				if i+6 <= len(line) {
					var v [2]byte
					if _, err := hex.Decode(v[:], line[i+2:i+6]); err == nil && v[0] == 0 && v[1] >= ' ' && v[1] < utf8.RuneSelf {
						r, n = v[1], 6
						break
					}
				}
				r, n = c, 1
			default:
				r, n = c, 1
			}
			out = append(out, r)
			pos = append(pos, i)
			i += n - 1
			continue
		}
		out = append(out, c)
		pos = append(pos, i)
	}
	pos = append(pos, len(line))
	return out, pos
}
