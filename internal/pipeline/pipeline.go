// Package pipeline wires a scan together: a source's fragments go through
// the detector and the filter chain, and the surviving findings are
// collected and sorted into a Result. It owns concurrency and bookkeeping
// (what was scanned, skipped, or could not be read), not I/O or output.
package pipeline

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/filter"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/rules"
)

// Result is everything a scan produced.
type Result struct {
	Findings []detect.Finding
	Stats    Stats
	// Failures lists items that could not be read (path and problem,
	// never content), sorted by path. Non-empty means the scan is
	// incomplete.
	Failures []Failure
	// Skipped counts deliberately skipped items by reason.
	Skipped map[source.SkipReason]int
	// Filtered counts candidates dropped per filter stage.
	Filtered []filter.Count
	// Err is a fatal error that ended the scan early.
	Err error
}

// Stats are the scan's volumes.
type Stats struct {
	Items      int64
	Bytes      int64
	Candidates int64
}

// Failure is one item that could not be read.
type Failure struct {
	Path string
	Err  string
}

// Incomplete reports whether part of the target could not be scanned.
func (r *Result) Incomplete() bool { return len(r.Failures) > 0 || r.Err != nil }

// Scanner runs sources through a detector and a filter chain.
type Scanner struct {
	Detector *detect.Detector
	Chain    *filter.Chain
	// Global is the global allowlist, which sources ask before reading a
	// path (SkipsPath) so allowlisted files are never read at all.
	Global *filter.Global
	// Caps lower the confidence of candidates at some paths (the rule
	// set's [[confidence]] entries) before the filter chain sees them.
	Caps []rules.Cap
	Log  *slog.Logger // nil: silent
	// Found counts the findings kept so far; a progress display may read
	// it while Run runs.
	Found atomic.Int64
}

// Run scans src and returns the result. It never returns partial findings
// silently: Result.Err or Result.Failures say what is missing.
func (s *Scanner) Run(ctx context.Context, src func(source.Events) source.Source) *Result {
	r := s.newRun()
	err := src(r.ev).Scan(ctx, func(f *detect.Fragment) error {
		cands, err := r.detect(f)
		r.keep(cands)
		return err
	})
	return r.result(err)
}

// RunFinder is Run for a source that runs detection itself.
func (s *Scanner) RunFinder(ctx context.Context, src func(source.Events) source.Finder) *Result {
	r := s.newRun()
	err := src(r.ev).Find(ctx, r.detect, func(cands []detect.Finding) error {
		r.keep(cands)
		return nil
	})
	return r.result(err)
}

// run is one scan's shared state.
type run struct {
	s          *Scanner
	ev         *events
	mu         sync.Mutex
	findings   []detect.Finding
	candidates atomic.Int64
	ruleErrs   sync.Once
	ruleErr    error
}

func (s *Scanner) newRun() *run {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &run{s: s, ev: &events{log: log, skipped: map[source.SkipReason]int{}}}
}

// detect runs the detector on f. A rule that cannot compile is remembered
// (the scan's error) and the other rules' candidates are still returned.
func (r *run) detect(f *detect.Fragment) ([]detect.Finding, error) {
	cands, err := r.s.Detector.Detect(f)
	if err != nil {
		r.ruleErrs.Do(func() { r.ruleErr = err })
	}
	return cands, nil
}

// keep runs candidates through the filter chain and keeps the survivors.
func (r *run) keep(cands []detect.Finding) {
	if len(cands) == 0 {
		return
	}
	r.candidates.Add(int64(len(cands)))
	capConfidence(r.s.Caps, cands)
	kept := r.s.Chain.Apply(cands)
	if len(kept) == 0 {
		return
	}
	r.s.Found.Add(int64(len(kept)))
	r.mu.Lock()
	r.findings = append(r.findings, kept...)
	r.mu.Unlock()
}

// capConfidence lowers the confidence of candidates at capped paths: the
// path is known only here, after detection, so the detector itself stays
// independent of where content was found.
func capConfidence(caps []rules.Cap, cands []detect.Finding) {
	for i := range caps {
		c := &caps[i]
		// A batch is one file's candidates as a rule: its path patterns
		// are asked once per path, not once per candidate.
		var path string
		var known, covered bool
		for j := range cands {
			f := &cands[j]
			if f.Confidence <= c.AtMost || !c.Targets(f.RuleID) {
				continue
			}
			if !known || f.Path != path {
				path, known, covered = f.Path, true, c.Covers(f.Path)
			}
			if covered {
				f.Confidence = c.AtMost
			}
		}
	}
}

func (r *run) result(err error) *Result {
	if err == nil {
		err = r.ruleErr
	}
	sortFindings(r.findings)
	return &Result{
		Findings: r.findings,
		Stats:    Stats{Items: r.ev.items.Load(), Bytes: r.ev.bytes.Load(), Candidates: r.candidates.Load()},
		Skipped:  r.ev.skipped,
		Failures: r.ev.sortedFailures(),
		Filtered: r.s.Chain.Counts(),
		Err:      err,
	}
}

// sortFindings orders findings for deterministic output: by path, then
// commit, position and rule.
func sortFindings(fs []detect.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		switch {
		case a.Path != b.Path:
			return a.Path < b.Path
		case a.Commit != b.Commit:
			return a.Commit < b.Commit
		case a.StartLine != b.StartLine:
			return a.StartLine < b.StartLine
		case a.StartColumn != b.StartColumn:
			return a.StartColumn < b.StartColumn
		case a.RuleID != b.RuleID:
			return a.RuleID < b.RuleID
		default:
			return a.Secret < b.Secret
		}
	})
}

// events implements source.Events: counts, debug logging, failures.
type events struct {
	log      *slog.Logger
	items    atomic.Int64
	bytes    atomic.Int64
	mu       sync.Mutex
	skipped  map[source.SkipReason]int
	failures []Failure
}

func (e *events) Skipped(path string, reason source.SkipReason) {
	e.mu.Lock()
	e.skipped[reason]++
	e.mu.Unlock()
	e.log.Debug("skipped", "path", path, "reason", string(reason))
}

// maxFailureWarnings is how many unreadable items are logged as warnings;
// the rest go to the debug log and the summary's count, so a partial clone
// with thousands of absent blobs does not bury the report.
const maxFailureWarnings = 20

func (e *events) Failed(path string, err error) {
	e.mu.Lock()
	e.failures = append(e.failures, Failure{Path: path, Err: err.Error()})
	n := len(e.failures)
	e.mu.Unlock()
	switch {
	case n <= maxFailureWarnings:
		e.log.Warn("could not read", "path", path, "error", err.Error())
	case n == maxFailureWarnings+1:
		e.log.Warn("more items could not be read; the summary counts them and --log-level debug lists each")
		fallthrough
	default:
		e.log.Debug("could not read", "path", path, "error", err.Error())
	}
}

func (e *events) Scanned(path string, n int64) {
	e.items.Add(1)
	e.bytes.Add(n)
}

func (e *events) sortedFailures() []Failure {
	e.mu.Lock()
	defer e.mu.Unlock()
	sort.Slice(e.failures, func(i, j int) bool { return e.failures[i].Path < e.failures[j].Path })
	return e.failures
}

// FilterKey returns a digest of everything that decides which of a
// scan's candidates survive, and how they are counted: the confidence
// caps and the filter chain (see filter.Chain.Key). A scan's Findings,
// Candidates and Filtered recorded under one key are what running the
// same candidates through a scanner with that key gives again. ok is
// false when the chain cannot say (a stage without a description, or
// drops explained one by one at debug level).
func (s *Scanner) FilterKey() (key [32]byte, ok bool) {
	chain, ok := s.Chain.Key()
	if !ok {
		return key, false
	}
	h := sha256.New()
	h.Write(chain[:])
	io.WriteString(h, rules.Describe(s.Caps))
	h.Sum(key[:0])
	return key, true
}
