// Package pipeline wires a scan together: a source's fragments go through
// the detector and the filter chain, and the surviving findings are
// collected and sorted into a Result. It owns concurrency and bookkeeping
// (what was scanned, skipped, or could not be read), not I/O or output.
package pipeline

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/filter"
	"github.com/leakhound/leakhound/internal/source"
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
	Log    *slog.Logger // nil: silent
	// Found counts the findings kept so far; a progress display may read
	// it while Run runs.
	Found atomic.Int64
}

// Run scans src and returns the result. It never returns partial findings
// silently: Result.Err or Result.Failures say what is missing.
func (s *Scanner) Run(ctx context.Context, src func(source.Events) source.Source) *Result {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ev := &events{log: log, skipped: map[source.SkipReason]int{}}
	var (
		mu         sync.Mutex
		findings   []detect.Finding
		candidates atomic.Int64
		ruleErrs   sync.Once
		ruleErr    error
	)
	emit := func(f *detect.Fragment) error {
		cands, err := s.Detector.Detect(f)
		if err != nil {
			ruleErrs.Do(func() { ruleErr = err })
		}
		if len(cands) == 0 {
			return nil
		}
		candidates.Add(int64(len(cands)))
		kept := s.Chain.Apply(cands)
		if len(kept) == 0 {
			return nil
		}
		s.Found.Add(int64(len(kept)))
		mu.Lock()
		findings = append(findings, kept...)
		mu.Unlock()
		return nil
	}
	err := src(ev).Scan(ctx, emit)
	if err == nil {
		err = ruleErr
	}
	sortFindings(findings)
	res := &Result{
		Findings: findings,
		Stats:    Stats{Items: ev.items.Load(), Bytes: ev.bytes.Load(), Candidates: candidates.Load()},
		Skipped:  ev.skipped,
		Failures: ev.sortedFailures(),
		Filtered: s.Chain.Counts(),
		Err:      err,
	}
	return res
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

func (e *events) Failed(path string, err error) {
	e.mu.Lock()
	e.failures = append(e.failures, Failure{Path: path, Err: err.Error()})
	e.mu.Unlock()
	e.log.Warn("could not read", "path", path, "error", err.Error())
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
