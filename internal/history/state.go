package history

import (
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/attrib"
	"github.com/leakhound/leakhound/internal/gitplumb"
)

// ScanState is what a scan of every ref records so that a later scan of
// the same repository reads only the commits that are new (--state), and
// still reports exactly what a full scan would (docs/incremental.md).
//
// Why that holds: PackScan reports, for each commit reachable from the
// refs, in a fixed order (a depth-first walk from the tips), the
// candidates attribution finds for that commit; and what attribution
// finds for a commit depends only on the commit, its parents' trees and
// the candidates in the blobs of those trees. Commits are named by their
// content, so given the same rules (Key) a commit's candidates never
// change: they are recorded once per commit, before the filter chain, and
// a later scan replays them for the commits still reachable, in the order
// a full scan would walk them now, after attributing the new commits. The
// filter chain (allowlists, ignore file, baseline, confidence) runs again
// on every replay, so changing it needs no rescan.
//
// A state holds the candidates' secrets and the lines around them: it is
// as sensitive as an unredacted report.
type ScanState struct {
	// Key identifies what, besides the history, decides the candidates
	// (leakhound's version, the rules, the flags that change detection);
	// a state whose key differs is not used.
	Key [32]byte
	// HashLen is the length of the repository's object ids in bytes.
	HashLen int
	// Tips are the commits every ref pointed to, in git's order; Shallow
	// a shallow clone's boundary commits, sorted.
	Tips, Shallow []string
	// Commits are every commit reachable from Tips, in the order the
	// full scan attributed them.
	Commits []StateCommit
	// Audit holds what an audit needs beyond the findings; nil in a
	// state of leakhound git.
	Audit *AuditState
	// Kept is the filtered result of the scan that wrote the state, for
	// the filter chain it ran; nil when none was recorded.
	Kept *KeptResult
	// lazy, in a state DecodeState returns, holds Commits still encoded,
	// until LoadCommits.
	lazy *lazyCommits
}

// KeptResult is what the filter chain (with the confidence caps) made
// of every candidate a ScanState records: the findings that survived,
// sorted as a report lists them, how many candidates there were and how
// many each stage dropped. Its Key is a digest of everything the chain's
// verdicts depend on (pipeline.Scanner.FilterKey); while the refs have
// not moved and a run's chain has the same key, the candidates and the
// chain are the same, so this is the answer again and the chain need not
// run: that is most of what an unchanged re-run would cost.
type KeptResult struct {
	Key        [32]byte
	Candidates int64
	Dropped    []StageCount
	Findings   []detect.Finding
}

// StageCount is how many candidates one filter stage dropped.
type StageCount struct {
	Stage   string
	Dropped int64
}

// StateCommit is one commit of a ScanState.
type StateCommit struct {
	ID string
	// Parents index ScanState.Commits; a shallow boundary commit has none.
	Parents []int32
	// Found is what attribution emitted for the commit, batch by batch,
	// before any filter: the filter chain sees the same batches again.
	Found [][]detect.Finding
}

// AuditState is what a rotation audit's facts need that only the
// default branch's history can say: for its head commit, where that
// commit's tree holds each secret and which commit of its first-parent
// line removed each secret last. Both depend on that commit alone (and
// the rules), so they are kept per head commit and recomputed when it
// moves; refs and what they reach are asked again on every run.
type AuditState struct {
	Head    string
	InHead  map[string][]Location
	Removed map[string]*gitplumb.Commit
	// Reach is the answer Facts.RefsReaching gave the audit that wrote
	// the state; nil when none.
	Reach *ReachRecord
	// Paths is, for the head commit's tree, every file that holds a
	// candidate and its candidates (rule, secret, line), in tree order:
	// the start from which the next head's facts are computed.
	Paths []PathSecrets
}

// PathSecrets is a file of the head commit's tree and its candidates.
type PathSecrets struct {
	Path    string
	Blob    string
	Secrets []LineSecret
}

// LineSecret is one candidate of a file: its rule, secret and line.
type LineSecret struct {
	Rule, Secret string
	Line         int
}

// index maps the state's commit ids to their positions.
func (s *ScanState) index() map[string]int32 {
	m := make(map[string]int32, len(s.Commits))
	for i := range s.Commits {
		m[s.Commits[i].ID] = int32(i)
	}
	return m
}

// sameAs reports whether a run that lists tips and shallow sees the
// history s recorded, so that s's findings are the answer as they are.
func (s *ScanState) sameAs(tips, shallow []string) bool {
	return slices.Equal(s.Tips, tips) && slices.Equal(s.Shallow, shallow)
}

// StateKey hashes parts (each length-prefixed, so that no two lists of
// parts hash alike) into a ScanState key.
func StateKey(parts ...string) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// walkOrder returns the commits reachable from tips in the order
// attributor.run walks them (attrib.DepthFirst). parents lists a commit's
// parents (none for a shallow boundary). It returns false if a tip is not
// a commit it knows.
func walkOrder(tips []string, index map[string]int32, parents func(int32) []int32, n int) ([]int32, bool) {
	var stack []int32
	for _, t := range tips {
		i, ok := index[t]
		if !ok {
			return nil, false
		}
		stack = append(stack, i)
	}
	return attrib.DepthFirst(stack, n, parents), true
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
