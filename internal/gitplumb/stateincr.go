package gitplumb

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/source"
)

// incremental attributes the commits that are not in Prior, then replays
// every reachable commit's candidates. It returns an error wrapping
// errFullScan, having emitted nothing, when a full scan must answer
// instead.
func (s *StateScan) incremental(ctx context.Context, v repoView, detectFn source.DetectFunc, emit func([]detect.Finding) error, log *slog.Logger) error {
	start := time.Now()
	prior := s.Prior
	index := prior.index()
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
	// The graph now: Prior's commits, then the new ones.
	n := len(prior.Commits)
	for i, id := range fresh {
		index[id] = int32(n + i)
	}
	newParents := make([][]int32, len(fresh))
	for i, ps := range parents {
		for _, p := range ps {
			j, ok := index[p]
			if !ok {
				return fullScan("parent %s of new commit %s is in neither the state nor the new commits", p, fresh[i])
			}
			newParents[i] = append(newParents[i], j)
		}
	}
	parentsOf := func(c int32) []int32 {
		if int(c) < n {
			return prior.Commits[c].Parents
		}
		return newParents[int(c)-n]
	}
	order, ok := walkOrder(v.tips, index, parentsOf, n+len(fresh))
	if !ok {
		return fullScan("a ref points to something other than a commit")
	}
	found, skips, err := s.attributeNew(ctx, v, fresh, detectFn)
	if err != nil {
		return err
	}
	next := &ScanState{Key: s.Key, HashLen: v.hashLen, Tips: v.tips, Shallow: v.shallow, Commits: make([]StateCommit, len(order))}
	pos := make([]int32, n+len(fresh))
	for i, c := range order {
		pos[c] = int32(i)
	}
	for i, c := range order {
		sc := &next.Commits[i]
		if int(c) < n {
			sc.ID, sc.Found = prior.Commits[c].ID, prior.Commits[c].Found
		} else {
			sc.ID = fresh[int(c)-n]
			sc.Found = found[sc.ID]
		}
		for _, p := range parentsOf(c) {
			sc.Parents = append(sc.Parents, pos[p])
		}
	}
	if err := s.prepareAudit(ctx, v, next, detectFn); err != nil {
		return err
	}
	log.Debug("state: attributed the new commits", "new", len(fresh), "reachable", len(order),
		"dropped", n+len(fresh)-len(order), "elapsed", time.Since(start))
	s.Mode, s.Result, s.Changed, s.NewCommits = "incremental", next, true, len(fresh)
	if ev := s.Scan.Events; ev != nil {
		for _, sk := range skips {
			ev.Skipped(sk.path, sk.skipped)
		}
		// Counted now, not as read: a run that fell back to a full scan
		// must not count them twice.
		n := s.scanned[1] // all the bytes on the first
		for range s.scanned[0] {
			ev.Scanned("", n)
			n = 0
		}
	}
	return s.replay(ctx, next, emit)
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
	var stderr tail
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
		if len(f) == 0 || !validID(f[0]) {
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
		return nil, nil, fullScan("git rev-list of the new commits: %v", stderr.wrap(err))
	}
	return fresh, parents, nil
}
