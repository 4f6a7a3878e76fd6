// Package filter decides which candidate findings are leaks. It is an
// ordered chain of small named stages (DESIGN §5): overlap resolution
// first ("dedup": where rules match the same bytes, one finding stands for
// them all), then inline allow comments, rule allowlists, global
// allowlists, confidence, ignore file, baseline. Each drop is counted
// under its stage's name and can be explained. Filters never change a
// finding, and never log a secret.
//
// A suppression names a secret, not a rule's finding of it: an ignored
// fingerprint, a baseline entry or an allow comment holds for the secret
// whichever rule would report it (DESIGN §5). Stages that say so
// (SecretWide) are asked about every finding the survivor of an overlap
// stands for, and what they drop takes every other finding overlapping it
// along.
package filter

import (
	"slices"
	"strings"
	"sync/atomic"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/regex"
	"github.com/leakhound/leakhound/rules"
)

// Stage is one named test in the chain.
type Stage interface {
	// Name identifies the stage in counts and explanations.
	Name() string
	// Drop reports whether f is not a leak, and why (without the secret).
	Drop(f *detect.Finding) (bool, string)
}

// SecretWide is a Stage whose drops (some or all) suppress a secret rather
// than judge one rule's match: the ignore file, the baseline, allow
// comments, and the global allowlists a user wrote. A fingerprint or a
// baseline entry names the rule that reported the secret when it was
// written; another rule (a generic one, a newer specific one) may report
// the same bytes today, and the suppression must still hold.
type SecretWide interface {
	Stage
	// DropWide is Drop, and also says whether the drop holds for the
	// secret whichever rule reports it. The chain asks it about the
	// findings a survivor of overlap resolution stands for, and a wide
	// drop takes the findings overlapping it along.
	DropWide(f *detect.Finding) (drop bool, why string, wide bool)
}

// Drop records one dropped candidate, for --explain.
type Drop struct {
	Stage  string
	Reason string
	RuleID string
	Path   string
	Line   int
}

// Chain runs stages in order. It is safe for concurrent use.
type Chain struct {
	overlaps Overlaps // always first
	stages   []Stage
	wide     []SecretWide // wide[i]: stages[i] if it is SecretWide, else nil
	// counts are the drops of overlaps (counts[0]) and of each of
	// stages (counts[i+1]).
	counts  []atomic.Int64
	explain func(Drop) // nil: do not explain
}

// NewChain builds a chain: overlap resolution, then stages in the given
// order. explain, if not nil, is called (possibly concurrently) for every
// dropped candidate.
func NewChain(explain func(Drop), stages ...Stage) *Chain {
	c := &Chain{stages: stages, wide: make([]SecretWide, len(stages)), counts: make([]atomic.Int64, 1+len(stages)), explain: explain}
	for i, st := range stages {
		c.wide[i], _ = st.(SecretWide)
	}
	return c
}

// Overlaps is the chain's first stage, overlap resolution: it judges a
// fragment's candidates together, not one at a time, so it is not a
// Stage, and every chain has it. Repeats (a rule's finding at the same
// place twice) and a generic rule's finding where a specific rule found a
// secret overlapping it are absorbed by the finding that stands for them
// (Chain.resolve), and the suppressions asked later hold for them too.
// Generic rules that read exactly the same bytes are told apart only after
// the other stages, each judged by its own allowlists: one report of the
// survivors is enough (Chain.compact). Both kinds of drop are its.
//
// It has nothing to describe: its verdicts depend on the candidates
// alone, so it leaves the chain's Key as it is.
type Overlaps struct{}

// Name returns "dedup".
func (Overlaps) Name() string { return "dedup" }

const (
	whyRepeated = "repeats a finding of the same rule at the same place"
	whyOverlaps = "overlaps a more specific finding"
)

// group is a finding that survived overlap resolution and the candidates
// it stands for.
type group struct {
	lead    int   // index of the survivor
	members []int // indexes of the candidates it absorbed
	dropped bool
	by      int  // the stage that dropped it
	held    bool // dropped as a secret: findings overlapping it go too
}

// Apply filters the candidates of one fragment (ordered by position, as
// the detector returns them), reusing fs, and returns the survivors in
// the same order.
func (c *Chain) Apply(fs []detect.Finding) []detect.Finding {
	switch len(fs) {
	case 0:
		return fs
	case 1:
		// Nothing to resolve or to spread to: the common case, without
		// the bookkeeping.
		for s, st := range c.stages {
			if drop, why := st.Drop(&fs[0]); drop {
				c.drop(s, why, &fs[0])
				return fs[:0]
			}
		}
		return fs
	}
	groups := c.resolve(fs)
	held, judged := c.judge(fs, groups)
	if !held && !judged {
		return c.compact(fs, groups)
	}
	reach := reaches(fs, groups)
	if judged {
		c.holdJudged(fs, groups, reach)
	}
	c.spreadHeld(fs, groups, reach)
	return c.compact(fs, groups)
}

// judge runs the stages on each group, in order, up to the first that
// drops it. held says some drop holds for a secret (whichever rule
// reports it), judged that some is a rule's own judgement.
func (c *Chain) judge(fs []detect.Finding, groups []group) (held, judged bool) {
	for gi := range groups {
		g := &groups[gi]
		for s := range c.stages {
			drop, why, wide := c.ask(s, fs, g)
			if !drop {
				continue
			}
			g.dropped, g.by, g.held = true, s, wide
			c.drop(s, why, &fs[g.lead])
			held = held || wide
			judged = judged || !wide
			break
		}
	}
	return held, judged
}

// holdJudged asks the later stages about groups a rule's own judgement
// (its allowlists, a built-in allowlist naming it, the confidence
// threshold) dropped before a suppression was asked about them, where
// they overlap a group still kept: if a suppression names one, it holds
// for the findings overlapping it all the same.
func (c *Chain) holdJudged(fs []detect.Finding, groups []group, reach []int) {
	for gi := range groups {
		g := &groups[gi]
		if !g.dropped || g.held || !overlapsKept(fs, groups, reach, gi) {
			continue
		}
		for s := g.by; s < len(c.stages); s++ {
			if drop, _, wide := c.ask(s, fs, g); drop && wide {
				g.by, g.held = s, true
				break
			}
		}
	}
}

// spreadHeld drops, with each group dropped as a secret, the groups
// overlapping it. An allowlist judges a value: a finding overlapping it
// with another value read from other bytes (a longer match) is judged on
// its own. A fingerprint, a baseline entry or an allow comment names the
// place.
func (c *Chain) spreadHeld(fs []detect.Finding, groups []group, reach []int) {
	for hi := range groups {
		h := &groups[hi]
		if !h.held {
			continue
		}
		_, byValue := c.stages[h.by].(*Global)
		eachOverlap(fs, groups, reach, hi, func(g *group) {
			if !g.dropped && (!byValue || sameValue(&fs[g.lead], &fs[h.lead])) {
				g.dropped, g.by = true, h.by
				c.drop(h.by, "the same secret as a finding "+c.stages[h.by].Name()+" suppressed, under another rule", &fs[g.lead])
			}
		})
	}
}

// compact keeps the survivors in fs, in place (a group's lead is never
// before the slot it moves to). Generic rules that read the same bytes
// are told apart only now: each judged by its own allowlists, one report
// of the survivors is enough.
func (c *Chain) compact(fs []detect.Finding, groups []group) []detect.Finding {
	kept := fs[:0]
	for _, g := range groups {
		if g.dropped {
			continue
		}
		f := &fs[g.lead]
		if isGeneric(f) && sameGenericSpan(kept, f) {
			c.absorbed(whyRepeated, f)
			continue
		}
		kept = append(kept, *f)
	}
	return kept
}

// ask runs stage s on a group: on its lead, then, for a secret-wide
// stage, on every finding the lead stands for. wide says the drop holds
// for the secret, whichever rule reports it.
func (c *Chain) ask(s int, fs []detect.Finding, g *group) (drop bool, why string, wide bool) {
	w := c.wide[s]
	if w == nil {
		drop, why = c.stages[s].Drop(&fs[g.lead])
		return drop, why, false
	}
	if drop, why, wide = w.DropWide(&fs[g.lead]); drop {
		return drop, why, wide
	}
	for _, m := range g.members {
		if drop, why, wide := w.DropWide(&fs[m]); drop && wide {
			return true, why + " (as " + fs[m].RuleID + ")", true
		}
	}
	return false, "", false
}

// reaches returns, for each group, the furthest end of the groups up to
// it: a group before i can overlap a span starting at x only while that
// reach is not before x. Groups are ordered by where they start.
func reaches(fs []detect.Finding, groups []group) []int {
	reach := make([]int, len(groups))
	far := 0
	for i := range groups {
		far = max(far, fs[groups[i].lead].End)
		reach[i] = far
	}
	return reach
}

// eachOverlap calls fn with every other group whose lead overlaps group
// gi's lead.
func eachOverlap(fs []detect.Finding, groups []group, reach []int, gi int, fn func(*group)) {
	x := &fs[groups[gi].lead]
	for j := gi + 1; j < len(groups) && (fs[groups[j].lead].Start < x.End || fs[groups[j].lead].Start == x.Start); j++ {
		if overlap(&fs[groups[j].lead], x) {
			fn(&groups[j])
		}
	}
	for j := gi - 1; j >= 0 && reach[j] >= x.Start; j-- {
		if overlap(&fs[groups[j].lead], x) {
			fn(&groups[j])
		}
	}
}

// overlapsKept reports whether a group not dropped overlaps group gi.
func overlapsKept(fs []detect.Finding, groups []group, reach []int, gi int) bool {
	found := false
	eachOverlap(fs, groups, reach, gi, func(g *group) { found = found || !g.dropped })
	return found
}

// sameValue reports whether a and b report one value: the same secret, or
// the same bytes read two ways (encoded and decoded).
func sameValue(a, b *detect.Finding) bool {
	return a.Secret == b.Secret || (a.Start == b.Start && a.End == b.End)
}

// drop counts f as dropped by stages[s], and explains why.
func (c *Chain) drop(s int, why string, f *detect.Finding) {
	c.count(1+s, c.stages[s].Name(), why, f)
}

// absorbed counts f as dropped by overlap resolution, and explains why.
func (c *Chain) absorbed(why string, f *detect.Finding) {
	c.count(0, c.overlaps.Name(), why, f)
}

func (c *Chain) count(i int, stage, why string, f *detect.Finding) {
	c.counts[i].Add(1)
	if c.explain != nil {
		c.explain(Drop{Stage: stage, Reason: why, RuleID: f.RuleID, Path: f.Path, Line: f.StartLine})
	}
}

// Counts returns how many candidates each stage dropped, in chain order:
// overlap resolution ("dedup") first.
func (c *Chain) Counts() []Count {
	out := make([]Count, 0, len(c.counts))
	out = append(out, Count{Stage: c.overlaps.Name(), Dropped: c.counts[0].Load()})
	for i, st := range c.stages {
		out = append(out, Count{Stage: st.Name(), Dropped: c.counts[1+i].Load()})
	}
	return out
}

// Count is a stage's number of drops.
type Count struct {
	Stage   string
	Dropped int64
}

// overlap reports whether two findings' secrets share a byte, or start at
// the same place (findings without a secret are empty spans).
func overlap(a, b *detect.Finding) bool {
	return a.Start == b.Start || (a.Start < b.End && b.Start < a.End)
}

// resolve groups the candidates of one fragment: repeated findings (the
// same rule at the same place), and a generic rule's finding where a
// specific rule found a secret overlapping it (the specific rule says
// more about what to rotate), are absorbed by the finding that stands for
// them. Input is ordered by position.
func (c *Chain) resolve(fs []detect.Finding) []group {
	drop := make([]string, len(fs)) // why each is absorbed; "" keeps it
	by := make([]int, len(fs))      // the candidate that absorbed it
	absorb := func(x, into int, why string) {
		if drop[x] == "" {
			drop[x], by[x] = why, into
		}
	}
	for i := range fs {
		// Same start also catches findings without a secret (Start == End).
		for j := i + 1; j < len(fs) && (fs[j].Start < fs[i].End || fs[j].Start == fs[i].Start); j++ {
			a, b := &fs[i], &fs[j]
			// The first finding to absorb another stands for it.
			switch {
			case a.RuleID == b.RuleID && a.Start == b.Start:
				absorb(j, i, whyRepeated)
			case isGeneric(a) && !isGeneric(b):
				absorb(i, j, whyOverlaps)
			case isGeneric(b) && !isGeneric(a):
				absorb(j, i, whyOverlaps)
			}
		}
	}
	groups := make([]group, 0, len(fs))
	at := make([]int, len(fs)) // group of each survivor
	for i := range fs {
		if drop[i] == "" {
			at[i] = len(groups)
			groups = append(groups, group{lead: i})
		}
	}
	for i := range fs {
		if drop[i] == "" {
			continue
		}
		c.absorbed(drop[i], &fs[i])
		// Follow who absorbed whom to a survivor: a specific finding is
		// absorbed only by an earlier one of its rule, a generic one by a
		// specific one or an earlier generic one, so the walk ends.
		r := by[i]
		for drop[r] != "" {
			r = by[r]
		}
		g := &groups[at[r]]
		g.members = append(g.members, i)
	}
	return groups
}

// sameGenericSpan reports whether a generic finding in kept (ordered by
// start) reads exactly f's bytes.
func sameGenericSpan(kept []detect.Finding, f *detect.Finding) bool {
	for k := len(kept) - 1; k >= 0 && kept[k].Start == f.Start; k-- {
		if kept[k].End == f.End && isGeneric(&kept[k]) {
			return true
		}
	}
	return false
}

func isGeneric(f *detect.Finding) bool {
	for _, t := range f.Tags {
		if t == "generic" {
			return true
		}
	}
	return false
}

// Inline drops findings whose line carries an allow comment:
// "leakhound:allow", or "gitleaks:allow" for teams migrating from gitleaks.
type Inline struct {
	// NoGitleaks ignores gitleaks:allow (gitleaks' --ignore-gitleaks-allow);
	// leakhound:allow still counts.
	NoGitleaks bool
}

// Name returns "inline-allow".
func (Inline) Name() string { return "inline-allow" }

// DropWide is Drop: an allow comment holds for the secret on its line,
// whichever rule reports it.
func (in Inline) DropWide(f *detect.Finding) (bool, string, bool) {
	drop, why := in.Drop(f)
	return drop, why, drop
}

// Drop reports whether the finding's line holds an allow marker.
func (in Inline) Drop(f *detect.Finding) (bool, string) {
	for _, m := range [...]string{"leakhound:allow", "gitleaks:allow"} {
		if in.NoGitleaks && m == "gitleaks:allow" {
			continue
		}
		if strings.Contains(f.Line, m) {
			return true, "line carries " + m
		}
	}
	return false, ""
}

// RuleAllowlists applies each rule's own allowlists to its findings.
type RuleAllowlists struct{ byID map[string][]rules.Allowlist }

// NewRuleAllowlists indexes the allowlists of set's rules.
func NewRuleAllowlists(set *rules.Set) *RuleAllowlists {
	m := map[string][]rules.Allowlist{}
	for _, r := range set.Rules {
		if len(r.Allowlists) > 0 {
			m[r.ID] = r.Allowlists
		}
	}
	return &RuleAllowlists{byID: m}
}

// Name returns "rule-allowlist".
func (*RuleAllowlists) Name() string { return "rule-allowlist" }

// Drop reports whether one of the finding's rule allowlists matches it.
func (r *RuleAllowlists) Drop(f *detect.Finding) (bool, string) {
	for i := range r.byID[f.RuleID] {
		a := &r.byID[f.RuleID][i]
		if Allowed(a, f) {
			return true, describe("rule allowlist", a)
		}
	}
	return false, ""
}

// Global applies the configuration's global allowlists to every finding.
type Global struct {
	// Builtin is the file name of the built-in configuration, whose
	// allowlists that name rules are rule judgements, not suppressions.
	Builtin string

	lists []rules.Allowlist
	// skip is every path pattern that alone drops a file, joined into one
	// RE2 expression: asked once per file of a walk, it must be cheap, and
	// the standard library backtracks from every offset of the path for
	// suffix patterns like `\.(?:png|jpe?g|...)$` (that cost 350 ms on a
	// 13k-file tree). Nil when there are none or they do not compile
	// together, in which case each pattern is tried in turn.
	skip regex.Regexp
}

// NewGlobal wraps set's global allowlists.
func NewGlobal(set *rules.Set) *Global {
	g := &Global{lists: set.Allowlists}
	var alts []string
	for i := range g.lists {
		if a := &g.lists[i]; skipsOnPath(a) {
			for _, p := range a.Paths {
				alts = append(alts, "(?:"+p.String()+")")
			}
		}
	}
	if len(alts) > 0 {
		if re, err := (regex.Adaptive{}).Compile(strings.Join(alts, "|")); err == nil {
			g.skip = re
		}
	}
	return g
}

// pathOnly reports whether a asks nothing but the path.
func pathOnly(a *rules.Allowlist) bool {
	return skipsOnPath(a) && len(a.Regexes) == 0 && len(a.Stopwords) == 0 && len(a.Commits) == 0 && len(a.Shapes) == 0
}

// skipsOnPath reports whether a path match alone satisfies a.
func skipsOnPath(a *rules.Allowlist) bool {
	return len(a.Paths) > 0 && len(a.TargetRules) == 0 &&
		!(a.And && (len(a.Regexes) > 0 || len(a.Stopwords) > 0 || len(a.Commits) > 0))
}

// Name returns "global-allowlist".
func (*Global) Name() string { return "global-allowlist" }

// Drop reports whether a global allowlist matches the finding.
func (g *Global) Drop(f *detect.Finding) (bool, string) {
	drop, why, _ := g.DropWide(f)
	return drop, why
}

// DropWide reports whether a global allowlist matches the finding, and
// whether the match holds for the secret under every rule: a list that
// names no rules says the value is not a leak, and so does one a user
// wrote for the rule a report named. A built-in list that names rules
// (Builtin) judges only their findings: the names generic rules read
// values from, where another generic rule may judge better.
func (g *Global) DropWide(f *detect.Finding) (bool, string, bool) {
	// Allowlists that name only paths are asked once, together, through
	// skip: a history scan keeps every candidate of a blob, thousands in a
	// large generated file, and each path pattern asked for each of them
	// cost seconds.
	onlyPaths := g.skip != nil && !g.skip.Match([]byte(f.Path))
	for i := range g.lists {
		a := &g.lists[i]
		if len(a.TargetRules) > 0 && !slices.Contains(a.TargetRules, f.RuleID) {
			continue
		}
		if onlyPaths && pathOnly(a) {
			continue // skip says no path pattern matches
		}
		if Allowed(a, f) {
			return true, describe("global allowlist", a), len(a.TargetRules) == 0 || a.File != g.Builtin
		}
	}
	return false, "", false
}

// SkipsPath reports whether a global allowlist drops every finding at
// path, so a source need not read the file at all.
func (g *Global) SkipsPath(path string) bool {
	if g.skip != nil {
		return g.skip.Match([]byte(path))
	}
	for i := range g.lists {
		a := &g.lists[i]
		if !skipsOnPath(a) {
			continue
		}
		for _, p := range a.Paths {
			if p.MatchString(path) {
				return true
			}
		}
	}
	return false
}

func describe(kind string, a *rules.Allowlist) string {
	if a.Description != "" {
		return kind + ": " + a.Description
	}
	return kind
}

// Allowed reports whether allowlist a matches finding f (see
// rules.Allowlist.Matches).
func Allowed(a *rules.Allowlist, f *detect.Finding) bool {
	return a.Matches(rules.Candidate{Secret: f.Secret, Match: f.Match, Line: f.Line, Key: f.Key, Path: f.Path, Commit: f.Commit})
}

// MinConfidence drops candidates less sure than its level
// (--min-confidence): a user who wants only checksum-valid vendor tokens
// and other high-confidence findings sets it to high.
type MinConfidence rules.Confidence

// Name implements Stage.
func (MinConfidence) Name() string { return "confidence" }

// Drop implements Stage.
func (m MinConfidence) Drop(f *detect.Finding) (bool, string) {
	if f.Confidence < rules.Confidence(m) {
		return true, "confidence " + f.Confidence.String() + " is below --min-confidence " + rules.Confidence(m).String()
	}
	return false, ""
}
