// Package filter decides which candidate findings are leaks. It is an
// ordered chain of small named stages (inline allow comments, rule
// allowlists, global allowlists, ignore file, then de-duplication); each
// drop is counted under its stage's name and can be explained. Filters
// never change a finding, and never log a secret.
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
	stages  []Stage
	counts  []atomic.Int64
	dedup   atomic.Int64
	explain func(Drop) // nil: do not explain
}

// NewChain builds a chain of stages, run in the given order. explain, if
// not nil, is called (possibly concurrently) for every dropped candidate.
func NewChain(explain func(Drop), stages ...Stage) *Chain {
	return &Chain{stages: stages, counts: make([]atomic.Int64, len(stages)), explain: explain}
}

// Apply filters the candidates of one fragment, in place, and returns
// the survivors.
func (c *Chain) Apply(fs []detect.Finding) []detect.Finding {
	kept := fs[:0]
next:
	for i := range fs {
		f := &fs[i]
		for s, st := range c.stages {
			if drop, why := st.Drop(f); drop {
				c.counts[s].Add(1)
				if c.explain != nil {
					c.explain(Drop{Stage: st.Name(), Reason: why, RuleID: f.RuleID, Path: f.Path, Line: f.StartLine})
				}
				continue next
			}
		}
		kept = append(kept, *f)
	}
	return c.dedupe(kept)
}

// Counts returns how many candidates each stage dropped, in chain order,
// with "dedup" last.
func (c *Chain) Counts() []Count {
	out := make([]Count, 0, len(c.stages)+1)
	for i, st := range c.stages {
		out = append(out, Count{Stage: st.Name(), Dropped: c.counts[i].Load()})
	}
	return append(out, Count{Stage: "dedup", Dropped: c.dedup.Load()})
}

// Count is a stage's number of drops.
type Count struct {
	Stage   string
	Dropped int64
}

// dedupe removes repeated findings of one fragment: the same rule at the
// same place, and a generic rule's finding where a specific rule found a
// secret overlapping it (the specific rule says more about what to rotate).
// Input is ordered by position, as the detector returns it.
func (c *Chain) dedupe(fs []detect.Finding) []detect.Finding {
	if len(fs) < 2 {
		return fs
	}
	const (
		repeated = "repeats a finding of the same rule at the same place"
		overlaps = "overlaps a more specific finding"
	)
	drop := make([]string, len(fs)) // why each is dropped; "" keeps it
	for i := range fs {
		// Same start also catches findings without a secret (Start == End).
		for j := i + 1; j < len(fs) && (fs[j].Start < fs[i].End || fs[j].Start == fs[i].Start); j++ {
			a, b := &fs[i], &fs[j]
			switch {
			case a.RuleID == b.RuleID && a.Start == b.Start:
				drop[j] = repeated
			case isGeneric(a) && !isGeneric(b):
				drop[i] = overlaps
			case isGeneric(b) && !isGeneric(a):
				drop[j] = overlaps
			case isGeneric(a) && isGeneric(b) && a.Start == b.Start && a.End == b.End:
				drop[j] = repeated
			}
		}
	}
	kept := fs[:0]
	for i := range fs {
		if drop[i] != "" {
			c.dedup.Add(1)
			if c.explain != nil {
				c.explain(Drop{Stage: "dedup", Reason: drop[i], RuleID: fs[i].RuleID, Path: fs[i].Path, Line: fs[i].StartLine})
			}
			continue
		}
		kept = append(kept, fs[i])
	}
	return kept
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
			return true, describe("global allowlist", a)
		}
	}
	return false, ""
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
