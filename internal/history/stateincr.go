package history

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/attrib"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
)

// incremental attributes the commits that are not in Prior, then replays
// every reachable commit's candidates. It returns an error wrapping
// errFullScan, having emitted nothing, when a full scan must answer
// instead.
func (s *StateScan) incremental(ctx context.Context, v repoView, detectFn source.DetectFunc, emit func([]detect.Finding) error, log *slog.Logger) error {
	start := time.Now()
	index := s.Prior.index()
	fresh, parents, err := s.newCommits(ctx, v.tips, index)
	if err != nil {
		return err
	}
	maxNew := s.MaxNew
	if maxNew == 0 {
		maxNew = DefaultMaxNewCommits
	}
	if len(fresh) > maxNew {
		return fullScan("%d new commits, more than %d: reading every object is cheaper", len(fresh), maxNew)
	}
	g, err := newGraph(s.Prior, index, fresh, parents)
	if err != nil {
		return err
	}
	order, ok := walkOrder(v.tips, index, g.parents, len(g.ids))
	if !ok {
		return fullScan("a ref points to something other than a commit")
	}
	found, skips, err := s.attributeNew(ctx, v, fresh, detectFn)
	if err != nil {
		return err
	}
	next := &ScanState{Key: s.Key, HashLen: v.hashLen, Tips: v.tips, Shallow: v.shallow}
	next.Commits = g.commits(order, found)
	if err := s.prepareAudit(ctx, v, next, detectFn, false); err != nil {
		return err
	}
	log.Debug("state: attributed the new commits", "new", len(fresh), "reachable", len(order),
		"dropped", len(g.ids)-len(order), "elapsed", time.Since(start))
	s.Mode, s.Result, s.Changed, s.NewCommits = "incremental", next, true, len(fresh)
	s.report(skips)
	return s.replay(ctx, next, emit)
}

// report passes on the events of the commits attributed: the skipped
// items, and the blobs read, counted now rather than as read so that a
// run that fell back to a full scan does not count them twice.
func (s *StateScan) report(skips []attrib.Recorded) {
	ev := s.Scan.Events
	if ev == nil {
		return
	}
	for _, sk := range skips {
		ev.Skipped(sk.Path, sk.Skipped)
	}
	n := s.scanned[1] // all the bytes on the first
	for range s.scanned[0] {
		ev.Scanned("", n)
		n = 0
	}
}

// graph is the history now: Prior's commits, then the new ones.
type graph struct {
	prior      *ScanState
	ids        []string
	newParents [][]int32
}

// newGraph adds the new commits fresh, with their parents, to index.
func newGraph(prior *ScanState, index map[string]int32, fresh []string, parents [][]string) (*graph, error) {
	n := len(prior.Commits)
	g := &graph{prior: prior, ids: make([]string, 0, n+len(fresh)), newParents: make([][]int32, len(fresh))}
	for i := range prior.Commits {
		g.ids = append(g.ids, prior.Commits[i].ID)
	}
	for i, id := range fresh {
		index[id] = int32(n + i)
		g.ids = append(g.ids, id)
	}
	for i, ps := range parents {
		for _, p := range ps {
			j, ok := index[p]
			if !ok {
				return nil, fullScan("parent %s of new commit %s is in neither the state nor the new commits", p, fresh[i])
			}
			g.newParents[i] = append(g.newParents[i], j)
		}
	}
	return g, nil
}

func (g *graph) parents(c int32) []int32 {
	if n := len(g.prior.Commits); int(c) >= n {
		return g.newParents[int(c)-n]
	}
	return g.prior.Commits[c].Parents
}

// commits returns the commits of order, their parents renumbered, with
// what attribution emitted for each (Prior's, or found for new ones).
func (g *graph) commits(order []int32, found map[string][][]detect.Finding) []StateCommit {
	out := make([]StateCommit, len(order))
	pos := make([]int32, len(g.ids))
	for i, c := range order {
		pos[c] = int32(i)
	}
	for i, c := range order {
		sc := &out[i]
		sc.ID = g.ids[c]
		if n := len(g.prior.Commits); int(c) < n {
			sc.Found = g.prior.Commits[c].Found
		} else {
			sc.Found = found[sc.ID]
		}
		for _, p := range g.parents(c) {
			sc.Parents = append(sc.Parents, pos[p])
		}
	}
	return out
}

// newCommits lists the commits reachable from tips and not from Prior's
// tips (nor in Prior: a tip of Prior that is gone, gc'd, lists its
// history again), with their parents.
func (s *StateScan) newCommits(ctx context.Context, tips []string, index map[string]int32) ([]string, [][]string, error) {
	var in strings.Builder
	for _, t := range tips {
		in.WriteString(t + "\n")
	}
	for _, t := range s.Prior.Tips {
		in.WriteString("^" + t + "\n")
	}
	cmd := s.Scan.Git.Command(ctx, "rev-list", "--parents", "--ignore-missing", "--stdin")
	cmd.Stdin = strings.NewReader(in.String())
	var stderr gitplumb.Stderr
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("git rev-list: %w", err)
	}
	var fresh []string
	var parents [][]string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !gitplumb.IsID(f[0]) {
			continue
		}
		if _, ok := index[f[0]]; ok {
			continue
		}
		fresh = append(fresh, f[0])
		parents = append(parents, f[1:])
	}
	if err := cmd.Wait(); err != nil {
		// Objects the state names that are gone make rev-list fail.
		return nil, nil, fullScan("git rev-list of the new commits: %v", stderr.Wrap(err))
	}
	return fresh, parents, nil
}
