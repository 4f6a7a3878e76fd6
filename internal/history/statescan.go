package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitobj"
	"github.com/leakhound/leakhound/internal/source"
)

// DefaultMaxNewCommits is how many new commits StateScan attributes one
// by one before it prefers a full scan, which reads every object in pack
// order: cheaper once a large part of the history is new.
const DefaultMaxNewCommits = 2000

// StateScan is PackScan made incremental by a ScanState (--state): with
// no usable prior state it runs Scan and records what it attributed;
// with one, it reads only the commits that are not in it and replays the
// recorded candidates of every commit still reachable, in the order a
// full scan would emit them now (see ScanState for why that is the same
// answer). Commits no ref reaches any more drop out, with their findings.
type StateScan struct {
	// Scan is the full scan, configured as it would be without a state.
	Scan *PackScan
	// Prior is the state a previous run saved; nil when there is none.
	Prior *ScanState
	// Key is this run's ScanState key: a Prior with another is not used.
	Key [32]byte
	// MaxNew is DefaultMaxNewCommits when 0.
	MaxNew int
	// FilterKey is the key of the filter chain this run's candidates go
	// through (pipeline.Scanner.FilterKey); nil when it has none.
	FilterKey *[32]byte
	// After Find: Result is the state to save (nil after an incomplete
	// scan, whose state would hide what it missed), Changed whether it
	// differs from Prior, Mode what Find did ("full", "incremental",
	// "unchanged"), Reason why a full scan ran, NewCommits how many
	// commits were attributed this run.
	Result     *ScanState
	Changed    bool
	Mode       string
	Reason     string
	NewCommits int
	// Answer, after Find, is Prior's filtered result when the refs have
	// not moved and Prior recorded it under FilterKey: Find then emitted
	// nothing, and Answer is the scan's result.
	Answer *KeptResult
	// scanned counts the blobs an incremental run read, and their bytes.
	scanned [2]int64
}

var _ source.Finder = (*StateScan)(nil)

// errFullScan is wrapped by the reasons an incremental scan gives up for
// a full one.
var errFullScan = errors.New("full scan needed")

// Find scans as StateScan says.
func (s *StateScan) Find(ctx context.Context, detectFn source.DetectFunc, emit func([]detect.Finding) error) error {
	log := s.Scan.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	view, err := s.look(ctx)
	if err != nil {
		return err
	}
	if s.Reason = s.unusable(view); s.Reason == "" {
		unchanged := s.Prior.sameAs(view.tips, view.shallow)
		if k := s.Prior.Kept; unchanged && k != nil && s.FilterKey != nil && k.Key == *s.FilterKey {
			// The same candidates through the same filters: the
			// recorded result is the answer, and the commits need not
			// even be read.
			err := s.prepareAudit(ctx, view, s.Prior, detectFn, true)
			if err == nil {
				s.Mode, s.Result, s.Answer = "unchanged", s.Prior, k
				log.Debug("state: refs and filters unchanged, nothing to scan or filter", "commits", s.Prior.NumCommits())
				return nil
			}
			if !errors.Is(err, errFullScan) {
				return err
			}
		}
		err := s.Prior.LoadCommits()
		switch {
		case err != nil:
			err = fullScan("%v", err)
		case unchanged:
			if err = s.prepareAudit(ctx, view, s.Prior, detectFn, false); err == nil {
				s.Mode, s.Result = "unchanged", s.Prior
				if k := s.Prior.Kept; k != nil && s.FilterKey != nil && k.Key == *s.FilterKey {
					s.Answer = k
					return nil
				}
				log.Debug("state: refs unchanged, nothing to scan", "commits", len(s.Prior.Commits))
				return s.replay(ctx, s.Prior, emit)
			}
		default:
			err = s.incremental(ctx, view, detectFn, emit, log)
		}
		if !errors.Is(err, errFullScan) {
			return err
		}
		s.Reason = strings.TrimPrefix(err.Error(), errFullScan.Error()+": ")
	}
	log.Debug("state: full scan", "reason", s.Reason)
	return s.full(ctx, view, detectFn, emit)
}

// repoView is what Find asks git before deciding how to scan.
type repoView struct {
	hashLen       int
	tips, shallow []string
}

func (s *StateScan) look(ctx context.Context) (repoView, error) {
	var v repoView
	var err error
	if v.hashLen, _, err = s.Scan.Git.ObjectStore(ctx); err != nil {
		return v, err
	}
	if v.tips, err = s.Scan.Git.Tips(ctx); err != nil {
		return v, err
	}
	if v.shallow, err = s.Scan.Git.ShallowCommits(ctx); err != nil {
		return v, err
	}
	slices.Sort(v.shallow)
	return v, nil
}

// unusable says why Prior cannot be built on, or "".
func (s *StateScan) unusable(v repoView) string {
	p := s.Prior
	switch {
	case p == nil:
		return "no state yet"
	case p.Key != s.Key:
		return "the state was made by another leakhound version or command, or with other rules or detection flags"
	case p.HashLen != v.hashLen:
		return "the state is of a repository with another object format"
	case s.Scan.WantFacts != (p.Audit != nil):
		return "the state was made by another command (git or audit)"
	case !slices.Equal(p.Shallow, v.shallow):
		return "the shallow clone's boundary moved"
	}
	return ""
}

// full runs the full scan, recording what it attributes to which commit.
func (s *StateScan) full(ctx context.Context, v repoView, detectFn source.DetectFunc, emit func([]detect.Finding) error) error {
	s.Mode, s.Changed = "full", true
	p := *s.Scan
	ev := &failCount{Events: p.Events}
	if ev.Events == nil {
		ev.Events = source.NopEvents{}
	}
	p.Events = ev
	found := map[string][][]detect.Finding{}
	var next *ScanState
	p.attributed = func(st *gitobj.Store, order []uint32, tips []string) error {
		next = stateFromStore(st, order, tips, found)
		return nil
	}
	err := p.Find(ctx, detectFn, func(fs []detect.Finding) error {
		if len(fs) > 0 {
			found[fs[0].Commit] = append(found[fs[0].Commit], slices.Clone(fs))
		}
		return emit(fs)
	})
	s.Scan.Facts = p.Facts
	if err != nil || next == nil || ev.failed.Load() > 0 {
		s.Reason += "; it is incomplete: no state is saved"
		return err
	}
	next.Key, next.HashLen, next.Shallow = s.Key, v.hashLen, v.shallow
	if p.WantFacts {
		next.Audit = auditFromFacts(p.Facts)
	}
	s.NewCommits = len(next.Commits)
	s.Result = next
	return nil
}

// stateFromStore records the commits of order, with their parents and
// what attribution emitted for each (found, by commit id).
func stateFromStore(st *gitobj.Store, order []uint32, tips []string, found map[string][][]detect.Finding) *ScanState {
	pos := make(map[uint32]int32, len(order))
	for i, c := range order {
		pos[c] = int32(i)
	}
	next := &ScanState{Tips: tips, Commits: make([]StateCommit, len(order))}
	for i, c := range order {
		sc := &next.Commits[i]
		sc.ID = st.Hex(c)
		sc.Found = found[sc.ID]
		if st.Shallow(c) {
			continue
		}
		for _, p := range st.Commit(c).Parents {
			if j, ok := pos[p]; ok {
				sc.Parents = append(sc.Parents, j)
			}
		}
	}
	return next
}

// replay emits the recorded candidates of st's commits, in order: each a
// copy, as the filter chain works in place.
func (s *StateScan) replay(ctx context.Context, st *ScanState, emit func([]detect.Finding) error) error {
	for i := range st.Commits {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for _, batch := range st.Commits[i].Found {
			if err := emit(slices.Clone(batch)); err != nil {
				return err
			}
		}
	}
	return nil
}

// failCount passes events on and counts failures.
type failCount struct {
	source.Events
	failed atomic.Int64
}

func (f *failCount) Failed(path string, err error) {
	f.failed.Add(1)
	f.Events.Failed(path, err)
}

// fullScan returns an error that makes Find fall back to a full scan.
func fullScan(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errFullScan}, args...)...)
}
