package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"

	"github.com/leakhound/leakhound/internal/filter"
	"github.com/leakhound/leakhound/internal/history"
	"github.com/leakhound/leakhound/internal/pipeline"

	"github.com/leakhound/leakhound/rules"
)

// stateKey is what, besides the history, decides the candidates a state
// records (docs/incremental.md): a state made with another key is not
// used. In it: leakhound's version (a release may detect differently),
// the command (an audit's state holds more), every rule as loaded and
// narrowed by --enable-rule (regexes, keywords, entropy, rule allowlists
// and adjustments: printed whole, patterns as their expressions),
// --max-decode-depth and --max-target-megabytes. Not in it, because they
// are applied again to the recorded candidates on every run: the global
// allowlists, [[confidence]] caps, --min-confidence, the ignore files,
// --baseline-path, gitleaks:allow handling, and everything about output.
func stateKey(kind string, set *rules.Set, f scanFlags) [32]byte {
	parts := []string{"leakhound state key 1", toolVersion(), kind,
		strconv.Itoa(f.decodeMax), strconv.Itoa(f.maxMB), strconv.Itoa(len(set.Rules))}
	for _, r := range set.Rules {
		parts = append(parts, rules.Describe(*r))
	}
	return history.StateKey(parts...)
}

// loadState reads the state file at path. A file that does not exist
// yet is no state (the first run). One that is not a state this version
// reads (another format, truncated, damaged: a broken CI cache) is
// warned about and ignored: the scan then reads everything, and the file
// is written anew. A file that cannot be read at all is an error, as it
// could not be written either.
func loadState(path string, log *slog.Logger) (*history.ScanState, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		log.Debug("state: no state file yet", "path", path)
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("state file: %w", err)
	}
	s, err := history.DecodeState(data)
	if err != nil {
		log.Warn("state file is not usable; scanning the whole history and writing it anew", "path", path, "error", err.Error())
		return nil, nil
	}
	return s, nil
}

// saveState writes s to path whole or not at all (a temporary file
// renamed over it), readable by its owner only: it holds secrets.
func saveState(path string, s *history.ScanState) error {
	data, err := history.EncodeState(s)
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	if err := writeReport(path, nil, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// stateNote says, for the summary, what the state made the scan do.
func stateNote(s *history.StateScan) string {
	switch s.Mode {
	case "unchanged":
		if s.Answer != nil {
			return fmt.Sprintf("state: the refs and the filters have not changed: %d commit(s) and what the filters kept answered from the state, nothing scanned", s.Result.NumCommits())
		}
		return fmt.Sprintf("state: the refs have not moved: %d commit(s) answered from the state, nothing scanned", s.Result.NumCommits())
	case "incremental":
		return fmt.Sprintf("state: %d new commit(s) scanned, %d answered from the state", s.NewCommits, len(s.Result.Commits)-s.NewCommits)
	}
	return "state: whole history scanned (" + s.Reason + ")"
}

// checkState checks, from the flags alone, that --state names a file
// and goes with a scan of every ref.
func (g *gitFlags) checkState() error {
	switch {
	case g.state == "":
		return nil
	case g.state == "-":
		return errors.New("--state needs a file name")
	case len(g.revs) == 0 && (g.rng != "" || g.branch != "" || g.since != "" || g.until != "" || g.staged):
		return errors.New("--state records a scan of every ref: it cannot be combined with --range, --branch, --since, --until or --staged")
	}
	return nil
}

// openState checks that the scan, whose flags checkState passed, is one
// of every ref (everyRef), and reads the state file at path, for a
// StateScan whose Scan is still to be set.
func openState(everyRef bool, path, kind string, set *rules.Set, sc *pipeline.Scanner, f scanFlags, log *slog.Logger) (*history.StateScan, error) {
	if !everyRef {
		return nil, errors.New("--state cannot be used with rules that depend on the path (they need the per-commit history scan)")
	}
	prior, err := loadState(path, log)
	if err != nil {
		return nil, err
	}
	ss := &history.StateScan{Prior: prior, Key: stateKey(kind, set, f)}
	if key, ok := sc.FilterKey(); ok {
		ss.FilterKey = &key
	}
	return ss, nil
}

// keptResult brings the scan's result and the state's record of it
// together. When Find answered from the state (refs unchanged, the same
// filters), the record is the result. Otherwise the result is recorded
// in the state to save, under the filter chain's key, so that the next
// unchanged run need not run the chain again; a new record makes the
// state worth saving even when the refs have not moved.
func keptResult(s *history.StateScan, res *pipeline.Result) {
	if k := s.Answer; k != nil {
		res.Findings = k.Findings
		res.Stats.Candidates = k.Candidates
		res.Filtered = make([]filter.Count, len(k.Dropped))
		for i, c := range k.Dropped {
			res.Filtered[i] = filter.Count{Stage: c.Stage, Dropped: c.Dropped}
		}
		return
	}
	if s.Result == nil || s.FilterKey == nil || res.Incomplete() {
		return
	}
	k := &history.KeptResult{Key: *s.FilterKey, Candidates: res.Stats.Candidates, Findings: res.Findings,
		Dropped: make([]history.StageCount, len(res.Filtered))}
	for i, c := range res.Filtered {
		k.Dropped[i] = history.StageCount{Stage: c.Stage, Dropped: c.Dropped}
	}
	if old := s.Result.Kept; old == nil || old.Key != k.Key {
		s.Changed = true
	}
	s.Result.Kept = k
}

// closeState writes the scan's new state, unless nothing changed or the
// scan was stopped or incomplete (a state must never hide what a scan
// missed: the next run then scans everything again).
func closeState(path string, s *history.StateScan, res *pipeline.Result) error {
	if f := s.Scan.Facts; f != nil && s.Result != nil && s.Result.Audit != nil && f.Reached != nil {
		if old := s.Result.Audit.Reach; old == nil || old.Key != f.Reached.Key {
			s.Changed = true
		}
		s.Result.Audit.Reach = f.Reached
	}
	if s.Result == nil || !s.Changed || res.Incomplete() {
		return nil
	}
	return saveState(path, s.Result)
}
