// Package pipeline wires a scan together: a source's fragments go through
// the detector and the filter chain, and the surviving findings are
// collected and sorted into a Result. It owns concurrency and bookkeeping
// (what was scanned, skipped, or could not be read), not I/O or output.
// It reaches the detector through an interface of its own (Detector), so
// a test can wrap or swap that stage, and it decides, for every scan
// path, what a rule whose pattern does not compile does to a scan.
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
	"github.com/leakhound/leakhound/internal/delta"
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

// Detector is the stage that finds candidates in a fragment: the seam the
// pipeline depends on, so that a test can wrap or swap it. *detect.Detector
// is the real one. A non-nil error names rules whose patterns do not
// compile; the other rules' candidates are returned with it.
type Detector interface {
	Detect(*detect.Fragment) ([]detect.Finding, error)
}

// Incremental is a Detector that can also scan a new version of a content
// by what changed since a version it scanned (*detect.Detector is one;
// see detect.DetectChanged). A history source that reads objects as
// deltas (gitplumb.PackScan) asks for it through RunIncremental.
type Incremental interface {
	Detector
	DetectMemo(*detect.Fragment) ([]detect.Finding, detect.Memo, error)
	DetectChanged(*detect.Fragment, []byte, []delta.Span, []delta.Copy, detect.Memo) ([]detect.Finding, detect.Memo, error)
}

// Scanner runs sources through a detector and a filter chain.
type Scanner struct {
	Detector Detector
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
	return s.RunIncremental(ctx, func(ev source.Events, _ Incremental) source.Finder { return src(ev) })
}

// RunIncremental is RunFinder for a source that may also scan a new
// version of a content by its changes: src is handed the run's
// Incremental too, nil when the Scanner's Detector is not one. Whichever
// way a fragment is scanned, a rule whose pattern does not compile is
// handled as Run handles it (see run.detect).
func (s *Scanner) RunIncremental(ctx context.Context, src func(source.Events, Incremental) source.Finder) *Result {
	r := s.newRun()
	var inc Incremental
	if d, ok := s.Detector.(Incremental); ok {
		inc = incremental{d, r}
	}
	err := src(r.ev, inc).Find(ctx, r.detect, func(cands []detect.Finding) error {
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

// detect runs the detector on f, under the one policy for a rule whose
// pattern does not compile, whatever the scan path: the first such error
// is remembered as the scan's (Result.Err), the source is not told, and
// the other rules' candidates still go through the filter chain, so the
// report holds what the working rules found.
func (r *run) detect(f *detect.Fragment) ([]detect.Finding, error) {
	cands, err := r.s.Detector.Detect(f)
	r.ruleError(err)
	return cands, nil
}

func (r *run) ruleError(err error) {
	if err != nil {
		r.ruleErrs.Do(func() { r.ruleErr = err })
	}
}

// incremental is a run's Incremental: the detector's, with run.detect's
// policy for patterns that do not compile.
type incremental struct {
	d Incremental
	r *run
}

func (x incremental) Detect(f *detect.Fragment) ([]detect.Finding, error) { return x.r.detect(f) }

func (x incremental) DetectMemo(f *detect.Fragment) ([]detect.Finding, detect.Memo, error) {
	cands, memo, err := x.d.DetectMemo(f)
	x.r.ruleError(err)
	return cands, memo, nil
}

func (x incremental) DetectChanged(f *detect.Fragment, base []byte, changed []delta.Span, copies []delta.Copy, prior detect.Memo) ([]detect.Finding, detect.Memo, error) {
	cands, memo, err := x.d.DetectChanged(f, base, changed, copies, prior)
	x.r.ruleError(err)
	return cands, memo, nil
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
