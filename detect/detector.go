package detect

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/leakhound/leakhound/entropy"
	"github.com/leakhound/leakhound/internal/regex"
	"github.com/leakhound/leakhound/rules"
)

// maxLineReach bounds how far from a keyword hit a window extends within
// one line, so a minified file with megabyte lines still costs a bounded
// regex run per hit.
const maxLineReach = 2048

// Windows of one rule closer than mergeGap bytes are merged, up to
// maxMerged bytes, so a log where every line says "token" costs one regex
// call per few kilobytes instead of one per line: go-re2's per-call cost
// (about a microsecond) dwarfs its per-byte cost. Patterns are compiled in
// multi-line mode, so ^ and $ still match at every line boundary inside a
// merged window, as they do at a single-line window's edges.
const (
	mergeGap  = 512
	maxMerged = 16 << 10
)

// Detector runs a rule set over fragments. Build it with New; it is then
// immutable and safe for concurrent use. Detection patterns are compiled
// lazily, the first time one of a rule's keywords occurs, because compiling
// every rule up front would cost a pre-commit hook most of its budget.
type Detector struct {
	rules []*compiled
	// wholeEvery: DetectChanged scans a content with a change for
	// every wholeEvery bytes whole (defaultWholeEvery; tests lower it).
	wholeEvery int
	keywords   *keywordIndex
	kwRules    [][]int32 // keyword index → rules it gates
	unkeyed    []int32   // rules without keywords: run on every fragment
	pathOnly   []int32   // rules with a path and no regex
	engine     regex.Engine
	scratches  sync.Pool
	hitBufs    sync.Pool // *hitBuf, for DetectChanged
	// decodeDepth is how many layers of encoding are undone to look for
	// secrets inside encoded text; 0 turns decoding off.
	decodeDepth int
	// secretKw is the index of the first Kubernetes Secret marker among
	// the keywords; every later keyword is one too.
	secretKw int32
	// composite is set when a rule has Required entries or SkipReport;
	// byID then holds those rules.
	composite bool
	byID      map[string]*rules.Rule
	// kwWindow is, by keyword, the largest window of the rules it gates:
	// how far past its line a match may reach (see DetectChanged).
	kwWindow []int
}

type compiled struct {
	*rules.Rule
	once sync.Once
	re   regex.Regexp
	err  error
	// needs are literals every match contains: a window without one of
	// them cannot match, and is not handed to the regex engine.
	needs [][]byte
}

func (c *compiled) regexp(e regex.Engine) (regex.Regexp, error) {
	c.once.Do(func() {
		c.re, c.err = e.Compile("(?m)" + c.Regex)
		if c.err != nil {
			c.err = fmt.Errorf("rule %q: regex does not compile: %w", c.ID, c.err)
			return
		}
		if tree, err := syntax.Parse(c.Regex, syntax.Perl); err == nil {
			c.needs = required(tree, nil)
		}
	})
	return c.re, c.err
}

// required appends the literals every match of re must contain: those of
// its top-level sequence, looking through groups and mandatory repeats.
// Case-folded literals with letters are left out (a window is searched
// byte for byte).
func required(re *syntax.Regexp, out [][]byte) [][]byte {
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0], out)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0], out)
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			out = required(sub, out)
		}
	case syntax.OpLiteral:
		lit := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 && strings.ToLower(lit) != strings.ToUpper(lit) {
			return out
		}
		out = append(out, []byte(lit))
	}
	return out
}

// New builds a detector for set. A nil engine means regex.Adaptive: the
// standard library for a pattern's first bytes, RE2 after.
func New(set *rules.Set, engine regex.Engine) *Detector {
	if engine == nil {
		engine = regex.Adaptive{}
	}
	d := &Detector{engine: engine, decodeDepth: DefaultDecodeDepth, wholeEvery: defaultWholeEvery}
	kwIndex := map[string]int32{}
	kws := d.addRules(set, kwIndex)
	d.indexKeywords(kws, kwIndex)
	d.scratches.New = func() any { return &scratch{windows: make([][]window, len(d.rules))} }
	d.hitBufs.New = func() any { return new(hitBuf) }
	return d
}

// addRules adds the rules of set to d, sorted by what selects them (a
// keyword, no keyword, a path alone), and returns their keywords, each
// once, indexed in kwIndex.
func (d *Detector) addRules(set *rules.Set, kwIndex map[string]int32) (kws []string) {
	for i, r := range set.Rules {
		if len(r.Required) > 0 || r.SkipReport {
			if d.byID == nil {
				d.byID = map[string]*rules.Rule{}
			}
			d.byID[r.ID] = r
			d.composite = true
		}
		d.rules = append(d.rules, &compiled{Rule: r})
		switch {
		case r.Regex == "":
			d.pathOnly = append(d.pathOnly, int32(i))
		case len(r.Keywords) == 0:
			d.unkeyed = append(d.unkeyed, int32(i))
		}
		if r.Regex == "" {
			continue
		}
		for _, kw := range r.Keywords {
			k, ok := kwIndex[kw]
			if !ok {
				k = int32(len(kws))
				kwIndex[kw] = k
				kws = append(kws, kw)
				d.kwRules = append(d.kwRules, nil)
			}
			if n := len(d.kwRules[k]); n == 0 || d.kwRules[k][n-1] != int32(i) {
				d.kwRules[k] = append(d.kwRules[k], int32(i))
			}
		}
	}
	return kws
}

// indexKeywords builds d's keyword index over the rules' keywords kws,
// the decoders' triggers and the Kubernetes Secret markers, and each
// keyword's window: the widest of its rules'.
func (d *Detector) indexKeywords(kws []string, kwIndex map[string]int32) {
	for _, kw := range decodeTriggers {
		if _, ok := kwIndex[kw]; !ok {
			kwIndex[kw] = int32(len(kws))
			kws = append(kws, kw)
			d.kwRules = append(d.kwRules, nil)
		}
	}
	// The Kubernetes Secret markers come last, so one comparison tells them.
	d.secretKw = int32(len(kws))
	for _, kw := range secretMarkers {
		kws = append(kws, kw)
		d.kwRules = append(d.kwRules, nil)
	}
	d.keywords = newKeywordIndex(kws)
	d.kwWindow = make([]int, len(kws))
	for k, rs := range d.kwRules {
		for _, ri := range rs {
			d.kwWindow[k] = max(d.kwWindow[k], d.rules[ri].Window)
		}
	}
}

// Compile compiles now the detection patterns of the rules that want
// reports true (all rules if want is nil) and returns every failure, for
// configurations that have not been checked before.
func (d *Detector) Compile(want func(*rules.Rule) bool) error {
	var errs []error
	for _, c := range d.rules {
		if c.Regex == "" || (want != nil && !want(c.Rule)) {
			continue
		}
		if _, err := c.regexp(d.engine); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type span struct{ lo, hi int }

// window is a rule's regex window; kwEnd is the end of the last line a
// keyword hit built it from (before the rule's multi-line reach).
type window struct {
	span
	kwEnd int
}

// scratch is per-call working memory, pooled to keep Detect allocation-free
// on fragments without hits.
type scratch struct {
	windows [][]window // rule → windows to run its regex on
	active  []int32    // rules with at least one window, in first-hit order
}

// Detect returns the candidate findings in f, ordered by position then rule.
// The error is non-nil only when a rule's pattern cannot be compiled; the
// findings of the other rules are still returned. Secrets found inside
// encoded text (base64, hex, percent-encoding, escaped strings) are
// included, pointing at the encoded bytes (see decode.go).
func (d *Detector) Detect(f *Fragment) ([]Finding, error) {
	return d.run(f, nil, nil)
}

// compose applies gitleaks-style composite rules to a fragment's located
// findings: a finding of a rule with Required entries stays only when each
// required rule has a finding near it (within the entry's lines and
// columns, where set), and findings of SkipReport rules, the components,
// are dropped.
func (d *Detector) compose(fs []Finding) []Finding {
	out := fs[:0]
	for i := range fs {
		r := d.byID[fs[i].RuleID]
		if r == nil {
			out = append(out, fs[i])
			continue
		}
		if r.SkipReport {
			continue
		}
		ok := true
		for _, req := range r.Required {
			ok = ok && slices.ContainsFunc(fs, func(g Finding) bool {
				return g.RuleID == req.ID && within(g.StartLine-fs[i].StartLine, req.WithinLines) &&
					within(g.StartColumn-fs[i].StartColumn, req.WithinColumns)
			})
		}
		if ok {
			out = append(out, fs[i])
		}
	}
	return out
}

func within(d, bound int) bool {
	return bound < 0 || (d >= -bound && d <= bound)
}

// detect runs the keyword pass and the rules it selects over f, without
// decoding and without locating the findings. When lines is not nil, the
// lines (bounded as by lineBounds) holding a keyword hit, rule keyword or
// decode trigger, are appended to it in order, for the decoders.
func (d *Detector) detect(f *Fragment, lines *lineSpans) ([]Finding, error) {
	return d.detectIn(f, lines, nil, nil)
}

// detectIn is detect with the keyword pass limited to ranges (line
// aligned, sorted; nil means all of f), windows still reaching into the
// rest of f. When memo is not nil, far-reaching rules' keyword hits and
// Kubernetes Secret markers are recorded in it.
func (d *Detector) detectIn(f *Fragment, lines *lineSpans, ranges []span, memo *Memo) ([]Finding, error) {
	return d.detectFed(f, lines, memo, feed{ranges: ranges})
}

// feed says where detectFed takes its keyword hits from: hits when
// given, else a scan of ranges (line aligned, sorted; nil means all of
// the content).
type feed struct {
	ranges []span
	hits   []kwHit
	given  bool
}

// detectFed is detectIn with the keyword hits given by src: the hits
// give each rule its windows, then the rules run over them.
func (d *Detector) detectFed(f *Fragment, lines *lineSpans, memo *Memo, src feed) ([]Finding, error) {
	sc := d.scratches.Get().(*scratch)
	defer d.release(sc)
	d.feedKeywords(sc, f.Content, lines, memo, src)
	for _, ri := range d.unkeyed {
		sc.active = append(sc.active, ri)
		sc.windows[ri] = append(sc.windows[ri], window{span{0, len(f.Content)}, len(f.Content)})
	}
	return d.runWindows(sc, f)
}

// feedKeywords takes the keyword hits in content from src and adds, for
// each, its rules' windows to sc, its line to lines and its anchor (a
// far-reaching rule's keyword, a Kubernetes Secret marker) to memo, each
// when not nil.
func (d *Detector) feedKeywords(sc *scratch, content []byte, lines *lineSpans, memo *Memo, src feed) {
	hit := func(end int, kw int32) bool {
		if kw >= d.secretKw {
			// "kind: Secret": every line of a Kubernetes Secret may hold
			// base64 under any name.
			if lines != nil {
				lines.all = true
			}
			if memo != nil {
				memo.secret = true
			}
		}
		if memo != nil && d.kwWindow[kw] > 0 {
			memo.anchors = append(memo.anchors, d.anchor(content, end-d.keywords.lens[kw], end, kw))
		}
		if lines != nil && (len(lines.s) == 0 || end > lines.s[len(lines.s)-1].hi) {
			// Overlapping lines (hits on one long line) merge, so no
			// encoded run is seen twice or cut in two.
			lo, hi := lineBounds(content, end-1, end)
			if n := len(lines.s); n > 0 && lo <= lines.s[n-1].hi {
				lines.s[n-1].hi = hi
			} else {
				lines.s = append(lines.s, span{lo, hi})
			}
		}
		for _, ri := range d.kwRules[kw] {
			d.addWindow(sc, ri, content, end-d.keywords.lens[kw], end)
		}
		return true
	}
	switch {
	case src.given:
		for _, h := range src.hits {
			hit(h.end, h.kw)
		}
	case src.ranges == nil:
		d.keywords.scan(content, hit)
	default:
		for _, r := range src.ranges {
			d.keywords.scan(content[r.lo:r.hi], func(end int, kw int32) bool { return hit(r.lo+end, kw) })
		}
	}
}

// runWindows runs each rule with windows in sc over them, and each
// path-only rule over f's path.
func (d *Detector) runWindows(sc *scratch, f *Fragment) ([]Finding, error) {
	var out []Finding
	var errs []error
	for _, ri := range sc.active {
		c := d.rules[ri]
		if c.Path != nil && !c.Path.MatchString(f.Path) {
			continue
		}
		re, err := c.regexp(d.engine)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, w := range sc.windows[ri] {
			out = d.match(out, c, re, f, w.span)
		}
	}
	for _, ri := range d.pathOnly {
		if c := d.rules[ri]; c.Path.MatchString(f.Path) && f.StartLine <= 1 && f.StartColumn == 0 {
			out = append(out, d.pathFinding(c, f))
		}
	}
	return out, errors.Join(errs...)
}

func (d *Detector) release(sc *scratch) {
	for _, ri := range sc.active {
		sc.windows[ri] = sc.windows[ri][:0]
	}
	sc.active = sc.active[:0]
	d.scratches.Put(sc)
}

// addWindow records the window around a keyword hit at content[lo:hi] for
// rule ri: the hit's line, bounded to maxLineReach either side, plus the
// rule's multi-line reach. Windows that overlap the previous one merge, and
// so do near ones (see mergeGap), so a line or a run of lines with many hits
// costs one regex run.
func (d *Detector) addWindow(sc *scratch, ri int32, content []byte, lo, hi int) {
	ws := sc.windows[ri]
	if n := len(ws); n > 0 && lo >= ws[n-1].lo && hi <= ws[n-1].kwEnd {
		// Already covered: the common case for repeated keywords. Only
		// a hit on a line an earlier hit's window was built from is
		// covered; one merely inside the window may reach further.
		return
	}
	start := lo - maxLineReach
	if start < 0 {
		start = 0
	}
	if i := bytes.LastIndexByte(content[start:lo], '\n'); i >= 0 {
		start += i + 1
	}
	end := hi + maxLineReach
	if end > len(content) {
		end = len(content)
	}
	if i := bytes.IndexByte(content[hi:end], '\n'); i >= 0 {
		end = hi + i
	}
	kwEnd := end
	end = reachPast(content, end, d.rules[ri].Window)
	if n := len(ws); n > 0 && (start <= ws[n-1].hi || (start <= ws[n-1].hi+mergeGap && end-ws[n-1].lo <= maxMerged)) {
		ws[n-1].hi = max(ws[n-1].hi, end)
		ws[n-1].kwEnd = max(ws[n-1].kwEnd, kwEnd)
		return
	}
	if len(ws) == 0 {
		sc.active = append(sc.active, ri)
	}
	sc.windows[ri] = append(ws, window{span{start, end}, kwEnd})
}

// reachPast extends a window ending at end (a keyword's line end) by a
// rule's multi-line reach of extra bytes, to the end of the line reached,
// not inside it, or $ and terminators would match at the cut.
func reachPast(content []byte, end, extra int) int {
	if extra <= 0 {
		return end
	}
	end = min(end+extra, len(content))
	limit := min(end+maxLineReach, len(content))
	if i := bytes.IndexByte(content[end:limit], '\n'); i >= 0 {
		return end + i
	}
	return limit
}

// match runs one rule's regex on one window and appends what passes the
// rule's own entropy gates.
func (d *Detector) match(out []Finding, c *compiled, re regex.Regexp, f *Fragment, w span) []Finding {
	win := f.Content[w.lo:w.hi]
	for _, lit := range c.needs {
		if !bytes.Contains(win, lit) {
			return out
		}
	}
	for _, m := range re.FindAllSubmatchIndex(win, -1) {
		g := secretGroup(m, c.SecretGroup)
		if g < 0 {
			continue
		}
		start, end := w.lo+m[g], w.lo+m[g+1]
		if at := w.lo + m[0]; at < f.OwnedStart || (f.OwnedEnd > 0 && at >= f.OwnedEnd) {
			continue
		}
		secret := f.Content[start:end]
		if inPrior(f.Prior, secret) {
			continue
		}
		h := entropy.Shannon(secret)
		if !entropyOK(c.Rule, secret, h) || (c.Validate != "" && !valid(c.Validate, secret)) {
			continue
		}
		x := Finding{
			RuleID:      c.ID,
			Description: c.Description,
			Secret:      string(secret),
			Match:       string(f.Content[w.lo+m[0] : w.lo+m[1]]),
			Key:         keyOf(f.Content[lineStart(f.Content, w.lo+m[0]):start]),
			Start:       start,
			End:         end,
			Entropy:     h,
			Tags:        c.Tags,
			Severity:    c.Severity,
			Provenance:  f.Provenance,
		}
		x.Confidence = adjust(c.Rule, &x, f.Content, confidence(c.Rule, secret))
		out = append(out, x)
	}
	return out
}

// shortSecret is the length under which a secret's entropy floor scales
// with its length.
const shortSecret = 20

// Hex values carry at most 4 bits per character, and a random 32-digit hex
// key often measures only 3.5 to 3.8 (a short sample of 16 symbols), so a
// per-character floor set for mixed-case tokens rejects real hex keys by
// construction. A hex value of hexMinLen digits or more is judged instead
// by a per-character floor of at most hexFloor plus its total bits.
const (
	hexMinLen  = 20
	hexFloor   = 3.0
	hexMinBits = 64
)

// entropyOK applies a rule's entropy gates to a secret whose Shannon
// entropy is h.
func entropyOK(r *rules.Rule, secret []byte, h float64) bool {
	floor, minBits := r.Entropy, r.MinBits
	if r.LowEntropy != "" {
		// Exempt by design: judged by total bits alone (minBits > 0 is
		// enforced when the rule is loaded), and still not patterned.
		return entropy.Bits(secret) >= minBits && !patterned(secret)
	}
	if n := len(secret); n < shortSecret && n > 1 {
		// Shannon entropy measured on a short sample falls short of the
		// alphabet's (at most log2 of the length, and a random 16-character
		// token typically measures under 4 bits), so a short secret is held
		// to the floor scaled by log2(n)/log2(shortSecret).
		floor *= math.Log2(float64(n)) / math.Log2(shortSecret)
	}
	if floor > hexFloor && len(secret) >= hexMinLen && isHex(secret) {
		floor = hexFloor
		if minBits < hexMinBits {
			minBits = hexMinBits
		}
	}
	if h < floor || (minBits > 0 && entropy.Bits(secret) < minBits) {
		return false
	}
	return floor <= 0 || !patterned(secret)
}

// patterned reports whether a secret's random-looking part (what follows a
// short vendor prefix such as "sk_test_") is made up rather than random:
// a repeated unit ("1234567890abcdef" twice) or a run of ten consecutive
// characters ("0123456789", "abcdefghij"). Shannon entropy cannot tell:
// "0123456789abcdef" repeated scores the maximum for hex.
func patterned(secret []byte) bool {
	body := secret
	if i := bytes.LastIndexAny(secret[:min(len(secret), 13)], "_-"); i >= 0 {
		body = secret[i+1:]
	}
	if len(body) >= 16 && periodic(body) {
		return true
	}
	run := 1
	for i := 1; i < len(body); i++ {
		if d := int(body[i]) - int(body[i-1]); d == 1 || d == -1 {
			run++
			if run >= 10 {
				return true
			}
		} else {
			run = 1
		}
	}
	return false
}

// periodic reports whether b is a repetition of a unit of at most half
// its length (the last repetition may be cut short).
func periodic(b []byte) bool {
	// Knuth-Morris-Pratt failure function: the longest proper border.
	fail := make([]int, len(b))
	for i, k := 1, 0; i < len(b); i++ {
		for k > 0 && b[i] != b[k] {
			k = fail[k-1]
		}
		if b[i] == b[k] {
			k++
		}
		fail[i] = k
	}
	return len(b)-fail[len(b)-1] <= len(b)/2
}

// isHex reports whether b is hex digits with at least one letter: a run of
// decimal digits is a number (an id, a phone or account number) and keeps
// the rule's own floor.
func isHex(b []byte) bool {
	letter := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			letter = true
		default:
			return false
		}
	}
	return letter
}

// secretGroup returns the index in m of the start of the group holding the
// secret: group n, or, when a pattern's alternatives capture the secret in
// different groups (a password in double, single or back quotes) and group
// n took no part in the match, the first later group that did. It returns
// -1 when no such group captured anything.
func secretGroup(m []int, n int) int {
	for g := 2 * n; g+1 < len(m); g += 2 {
		if m[g] >= 0 && m[g] < m[g+1] {
			return g
		}
		if m[g] >= 0 || n == 0 {
			return -1
		}
	}
	return -1
}

func (d *Detector) pathFinding(c *compiled, f *Fragment) Finding {
	return Finding{
		RuleID: c.ID, Description: c.Description,
		Tags: c.Tags, Severity: c.Severity, Confidence: c.DefaultConfidence(),
		Provenance: f.Provenance,
	}
}

// locate fills line, column, surrounding line text and, for a placed
// fragment (see Fragment.Placed), fingerprint for each finding, and sorts
// them. Positions are computed only here, for the few candidates, never
// for the whole fragment.
func locate(fs []Finding, f *Fragment) {
	placed := f.Placed()
	SortFindings(fs)
	line, pos := f.StartLine, 0
	if line < 1 {
		line = 1
	}
	for i := range fs {
		x := &fs[i]
		line += bytes.Count(f.Content[pos:x.Start], []byte{'\n'})
		pos = x.Start
		x.StartLine = line
		x.EndLine = line + bytes.Count(f.Content[x.Start:x.End], []byte{'\n'})
		ls := lineStart(f.Content, x.Start)
		x.StartColumn = chars(f.Content[ls:x.Start]) + 1
		if ls == 0 {
			x.StartColumn += f.StartColumn
		}
		if x.End > x.Start {
			le := lineStart(f.Content, x.End-1)
			x.EndColumn = chars(f.Content[le:x.End])
			if le == 0 {
				x.EndColumn += f.StartColumn
			}
		} else {
			x.EndColumn = x.StartColumn
		}
		x.Line = string(lineText(f.Content, x.Start, x.End))
		if placed {
			x.Fingerprint = Fingerprint(x)
		}
	}
}

// SortFindings orders one fragment's findings as Detect returns them: by
// offset, then rule.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Start != fs[j].Start {
			return fs[i].Start < fs[j].Start
		}
		return fs[i].RuleID < fs[j].RuleID
	})
}

func lineStart(b []byte, at int) int {
	return bytes.LastIndexByte(b[:at], '\n') + 1
}

// lineText returns the full lines holding b[start:end], bounded so that a
// huge single-line file does not copy megabytes per finding.
func lineText(b []byte, start, end int) []byte {
	lo, hi := lineBounds(b, start, end)
	return bytes.TrimSuffix(b[lo:hi], []byte{'\r'})
}

// lineBounds returns the line(s) holding content[lo:hi], bounded to
// maxLineReach either side: on a huge minified line neither the search
// nor what is done with the result grows with the line.
func lineBounds(content []byte, lo, hi int) (int, int) {
	return lineWithin(content, lo, hi, maxLineReach)
}

// lineWithin is lineBounds with a reach of its own.
func lineWithin(content []byte, lo, hi, reach int) (int, int) {
	floor := max(lo-reach, 0)
	ls := floor + bytes.LastIndexByte(content[floor:lo], '\n') + 1
	le := min(hi+reach, len(content))
	if i := bytes.IndexByte(content[hi:le], '\n'); i >= 0 {
		le = hi + i
	}
	return ls, le
}

func chars(b []byte) int {
	return utf8.RuneCount(b)
}

// PathDependent reports whether any rule looks at the path (a path
// condition, or a rule that is only a path): such a rule set gives
// different findings for the same content at different paths, so a
// source cannot scan content once for every path it appears at.
func (d *Detector) PathDependent() bool {
	if len(d.pathOnly) > 0 {
		return true
	}
	for _, c := range d.rules {
		if c.Path != nil {
			return true
		}
	}
	return false
}

// inPrior reports whether secret occurs in any earlier version.
func inPrior(prior [][]byte, secret []byte) bool {
	for _, p := range prior {
		if bytes.Contains(p, secret) {
			return true
		}
	}
	return false
}
