// Package gitrename pairs deleted paths with added ones as renames exactly as
// `git diff-index --cached -M` does in git 2.39.5 (diffcore-rename.c,
// diffcore-delta.c): same pairs, same scores, same order. It is a port of
// rename detection only: no copies (-C), no breaks (-B), no
// --find-copies-harder, no --follow.
//
// gitrename starts no process and performs no I/O: blob contents come from
// the caller's Options.Load, and everything git would read from its
// configuration or attributes comes in through Options.
//
// # What git does, step by step
//
// The candidates are the deleted paths (sources) and the added paths
// (destinations) of the diff queue, each list in path order (strcmp; the
// queue is sorted by diffcore_fix_diff_index before diffcore_std runs).
// Modified, type-changed and unmerged paths are never candidates without -C.
// Empty blobs are candidates (diff.c sets rename_empty by default), and so
// are symbolic links and gitlinks (submodules).
//
//  1. Exact renames (find_exact_renames). For each destination in order,
//     the sources with the same object id are visited in source order; a
//     source already used, or whose mode differs when either side is not a
//     regular file, is skipped. The first visited source with the same
//     basename wins; failing that, the first visited one. Only 100 eligible
//     sources are visited per destination. Score: MaxScore.
//  2. If the minimum score is MaxScore (-M100%), that is all.
//  3. Basename matches (find_basename_matches). Among the sources and the
//     destinations left, a basename that occurs exactly once on each side
//     pairs those two files if their similarity reaches
//     MinScore + (int)(0.5 * (MaxScore - MinScore)): 45000 (75%) by default.
//     Sources are visited in order.
//  4. If (destinations left) * (sources left) exceeds RenameLimit², git
//     stops here (it warns "exhaustive rename detection was skipped" on
//     stderr): Result.NeededLimit says so.
//  5. The matrix (diffcore_rename_extended). For each destination left, in
//     order, every source left is scored; the best NUM_CANDIDATE_PER_DST (4)
//     are kept in four slots (a new candidate replaces the worst slot only if
//     it is strictly better). All slots are stably sorted by score, then by
//     whether the basenames are equal, both descending, and assigned
//     greedily: a pair is taken if its score reaches MinScore and neither
//     side is taken yet.
//
// Similarity (estimate_similarity) is 0 unless both sides are regular files.
// Pairs whose sizes differ too much are rejected from their sizes alone
// (Options.Size saves loading them). Otherwise each blob is cut into chunks
// ending at a newline or at 64 bytes, and the score is
// (int)(bytes of dst's chunks also in src * MaxScore / the larger size):
// see Similarity.
//
// Git prints a rename's score as R followed by Percent(score), truncated
// to an integer (similarity_index), so R099 can hide any score from 59400
// to 59999.
//
// # What this port does not see
//
//   - GIT_BASENAME_FACTOR, a test knob of git's that changes the 50% in
//     step 3, is not honoured; leave it unset where git runs.
//   - Git reads a destination from the work tree instead of the object
//     store when the index entry is stat-clean and no conversion applies
//     (reuse_worktree_file); the bytes are the blob's unless the file was
//     rewritten without changing its stat data. Load must return the
//     blob itself, without replace refs (core.useReplaceRefs=false).
//   - Which changes exist at all is the caller's: submodules hidden by
//     submodule.<name>.ignore=all, intent-to-add entries and pathspecs
//     decide what diff-index queues before rename detection. A type change
//     (file to symlink) is one change, not a deletion and an addition.
//   - A Load error is returned; git would die instead.
//
// # Where renames appear in the output
//
// diff-index sorts its queue by path before rename detection, and rename
// detection leaves a rename at the place of its destination and drops the
// deleted source (diffcore_rename_extended's write-back). No later step
// reorders (diff-index reads no diff.orderFile). So the raw output is every
// change sorted by path, where a rename's path is its destination path and
// a deletion used as a source is gone: see Order.
package gitrename

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxScore is git's MAX_SCORE: a similarity of 100%.
const MaxScore = 60000

// DefaultMinScore is git's DEFAULT_RENAME_SCORE (50%), used for -M without
// a value.
const DefaultMinScore = 30000

// DefaultRenameLimit is the rename limit of diff-index when neither
// diff.renameLimit nor -l is given (diff_rename_limit_default in diff.c).
// Merges and `git status` use other defaults; diff-index does not.
const DefaultRenameLimit = 1000

// denseRowMin is the number of sources from which the matrix spreads each
// destination's chunks in an array (see denseRow): below it, allocating
// the array costs more than it saves.
const denseRowMin = 32

// candidatesPerDst is NUM_CANDIDATE_PER_DST.
const candidatesPerDst = 4

// Mode bits as git stores them (S_IFMT and its values).
const (
	modeTypeMask = 0o170000
	modeRegular  = 0o100000
)

// File is a deleted path (a rename source) or an added path (a rename
// destination) with the mode and object id of that side.
type File struct {
	Path string // slash-separated, as in the index
	Mode uint32 // 0o100644, 0o100755, 0o120000 (symlink) or 0o160000 (gitlink)
	ID   string // object id in lower-case hex, as git prints it
}

func (f File) regular() bool { return f.Mode&modeTypeMask == modeRegular }

// BinaryMode is what a path's "diff" attribute says about its content,
// which decides whether carriage returns before line feeds count.
type BinaryMode int8

const (
	// ByContent is the default: git calls a blob binary if it has a NUL
	// in its first 8000 bytes (buffer_is_binary).
	ByContent BinaryMode = iota
	// Binary is "-diff" (also through the "binary" macro), or a diff
	// driver with diff.<driver>.binary set to true.
	Binary
	// Text is a diff driver with diff.<driver>.binary set to false.
	Text
)

// Options holds what git takes from its command line, configuration and
// attributes, and how to read blobs.
type Options struct {
	// MinScore is the minimum similarity of an inexact rename, 0 to
	// MaxScore; 0 means DefaultMinScore, as in git. ParseScore turns the
	// value of -M into it. MaxScore means exact renames only.
	MinScore int
	// RenameLimit caps (destinations left) * (sources left) at its square
	// before the matrix step. 0 means DefaultRenameLimit; a negative value
	// means no limit. Git's value is -l if given and not negative (-l0 is
	// no limit; a negative -l is ignored), else diff.renameLimit, which
	// diff-index reads from the repository's configuration (0 or less is
	// no limit), else 1000.
	RenameLimit int
	// Load returns a blob's content. It is called only for regular files
	// that reach a similarity estimate, at most once per object id and
	// binary mode. Its errors are returned by Detect.
	Load func(id string) ([]byte, error)
	// Size, if set, returns a blob's size, so that pairs whose sizes alone
	// rule them out are never loaded. Nil means Load is used.
	Size func(id string) (int64, error)
	// Binary, if set, returns the "diff" attribute's verdict for a path
	// (a source's old path or a destination's new path), as git looks it
	// up for diff-index --cached: "-diff" is Binary; "diff=<driver>" is
	// Binary or Text when diff.<driver>.binary is true or false; anything
	// else, including "diff" and a driver without that setting, is
	// ByContent. Nil means ByContent for every path.
	Binary func(path string) BinaryMode
}

// Pair is a rename: deleted[Src] became added[Dst].
type Pair struct {
	Src, Dst int
	Score    int // 0 to MaxScore; MaxScore for exact renames
}

// Percent is the similarity git prints after R (R%03d), computed as
// similarity_index in diff.c does: truncated, not rounded.
func (p Pair) Percent() int { return Percent(p.Score) }

// Percent converts a score to the percentage git prints.
func Percent(score int) int { return int(float64(score) * 100 / MaxScore) }

// Result is the outcome of Detect.
type Result struct {
	// Pairs are the renames, in git's output order: by destination path.
	Pairs []Pair
	// NeededLimit is non-zero when git would skip the matrix step because
	// of the rename limit (exact and basename renames are still found): it
	// is the limit git's warning asks for, max(sources, destinations) left.
	NeededLimit int
}

// Detect pairs deleted paths with added ones as git diff-index -M does. The
// order of deleted and added does not matter; Pair indices refer to them.
func Detect(deleted, added []File, opt Options) (Result, error) {
	minScore := opt.MinScore
	if minScore < 0 || minScore > MaxScore {
		return Result{}, fmt.Errorf("gitrename: minimum score %d outside 0..%d", minScore, MaxScore)
	}
	if minScore == 0 {
		minScore = DefaultMinScore
	}
	if opt.Load == nil {
		return Result{}, errors.New("gitrename: Options.Load is nil")
	}
	d := newDetector(deleted, added, opt)
	if len(d.src) == 0 || len(d.dst) == 0 {
		return Result{}, nil
	}
	d.exact()
	var res Result
	if minScore < MaxScore {
		var err error
		res.NeededLimit, err = d.inexact(minScore)
		if err != nil {
			return Result{}, err
		}
	}
	for i, s := range d.dstSrc {
		if s >= 0 {
			res.Pairs = append(res.Pairs, Pair{Src: d.src[s].index, Dst: d.dst[i].index, Score: d.dstScore[i]})
		}
	}
	return res, nil
}

// side is a source or destination in git's order, with what git caches on
// its diff_filespec.
type side struct {
	File
	index  int        // in the caller's slice
	sized  bool       // size is known
	size   int64      // blob size
	counts chunkTable // cnt_data, valid once hashed
	hashed bool
}

// detector holds the state diffcore_rename_extended keeps in rename_src and
// rename_dst.
type detector struct {
	opt      Options
	src, dst []*side
	srcUsed  []bool // rename_used
	dstSrc   []int  // source of a renamed destination, or -1
	dstScore []int
	sim      *similarity
}

func newDetector(deleted, added []File, opt Options) *detector {
	d := &detector{opt: opt, src: sides(deleted), dst: sides(added), sim: newSimilarity(opt)}
	d.srcUsed = make([]bool, len(d.src))
	d.dstSrc = make([]int, len(d.dst))
	for i := range d.dstSrc {
		d.dstSrc[i] = -1
	}
	d.dstScore = make([]int, len(d.dst))
	return d
}

// sides orders files as git's queue does (strcmp of the path; the caller's
// order breaks ties between duplicate paths, which diff-index never has).
func sides(files []File) []*side {
	s := make([]*side, len(files))
	for i, f := range files {
		s[i] = &side{File: f, index: i}
	}
	slices.SortStableFunc(s, func(a, b *side) int { return strings.Compare(a.Path, b.Path) })
	return s
}

func (d *detector) record(dst, src, score int) {
	d.srcUsed[src] = true
	d.dstSrc[dst] = src
	d.dstScore[dst] = score
}

// exact is find_exact_renames and find_identical_files.
func (d *detector) exact() {
	byID := map[string][]int{}
	for i, s := range d.src {
		byID[s.ID] = append(byID[s.ID], i)
	}
	for di, t := range d.dst {
		best, bestScore, left := -1, -1, 100
		for _, si := range byID[t.ID] {
			s := d.src[si]
			if (!s.regular() || !t.regular()) && s.Mode != t.Mode {
				continue
			}
			if d.srcUsed[si] {
				continue
			}
			score := 1
			if basenameSame(s.Path, t.Path) {
				score++
			}
			if score > bestScore {
				best, bestScore = si, score
				if score == 2 {
					break
				}
			}
			if left--; left == 0 {
				break
			}
		}
		if best >= 0 {
			d.record(di, best, MaxScore)
		}
	}
}

// inexact runs the basename step and the matrix; it returns the needed
// rename limit when the limit stopped it.
func (d *detector) inexact(minScore int) (int, error) {
	srcLeft := d.sourcesLeft()
	basenameMin := minScore + int(0.5*(float64(MaxScore)-float64(minScore)))
	if err := d.basenames(srcLeft, basenameMin); err != nil {
		return 0, err
	}
	srcLeft = d.sourcesLeft()
	var dstLeft []int
	for i, s := range d.dstSrc {
		if s < 0 {
			dstLeft = append(dstLeft, i)
		}
	}
	if len(dstLeft) == 0 || len(srcLeft) == 0 {
		return 0, nil
	}
	limit := d.opt.RenameLimit
	if limit == 0 {
		limit = DefaultRenameLimit
	}
	if limit > 0 && uint64(len(dstLeft))*uint64(len(srcLeft)) > uint64(limit)*uint64(limit) {
		return max(len(srcLeft), len(dstLeft)), nil
	}
	return 0, d.matrix(srcLeft, dstLeft, minScore)
}

// sourcesLeft is remove_unneeded_paths_from_src without copies: the
// sources not used yet, in order.
func (d *detector) sourcesLeft() []int {
	var left []int
	for i, used := range d.srcUsed {
		if !used {
			left = append(left, i)
		}
	}
	return left
}

// basenames is find_basename_matches without directory-rename hints (plain
// diffcore_rename passes none, so only unique basenames pair).
func (d *detector) basenames(srcLeft []int, minScore int) error {
	srcBase := map[string]int{}
	for _, i := range srcLeft {
		unique(srcBase, basename(d.src[i].Path), i)
	}
	dstBase := map[string]int{}
	for i, s := range d.dstSrc {
		if s < 0 {
			unique(dstBase, basename(d.dst[i].Path), i)
		}
	}
	for _, si := range srcLeft {
		base := basename(d.src[si].Path)
		di, ok := dstBase[base]
		if !ok || di < 0 || srcBase[base] < 0 || d.dstSrc[di] >= 0 {
			continue
		}
		score, err := d.sim.estimate(d.src[si], d.dst[di], minScore)
		if err != nil {
			return err
		}
		if score >= minScore {
			d.record(di, si, score)
		}
	}
	return nil
}

// unique records i under key, or -1 once key is seen twice.
func unique(m map[string]int, key string, i int) {
	if _, seen := m[key]; seen {
		m[key] = -1
	} else {
		m[key] = i
	}
}

// candidate is struct diff_score.
type candidate struct {
	src, dst  int // dst < 0: empty slot
	score     int
	nameScore int
}

// compareCandidates is score_compare: negative when a sorts first.
func compareCandidates(a, b *candidate) int {
	if a.dst < 0 {
		if b.dst >= 0 {
			return 1
		}
		return 0
	}
	if b.dst < 0 {
		return -1
	}
	if a.score == b.score {
		return b.nameScore - a.nameScore
	}
	return b.score - a.score
}

// recordIfBetter is record_if_better: o replaces the worst slot of m if it
// is strictly better.
func recordIfBetter(m []candidate, o candidate) {
	worst := 0
	for i := 1; i < candidatesPerDst; i++ {
		if compareCandidates(&m[i], &m[worst]) > 0 {
			worst = i
		}
	}
	if compareCandidates(&m[worst], &o) > 0 {
		m[worst] = o
	}
}

// matrix scores every pair left, keeps the best candidatesPerDst per
// destination, and assigns greedily (find_renames without copies).
func (d *detector) matrix(srcLeft, dstLeft []int, minScore int) error {
	mx := make([]candidate, len(dstLeft)*candidatesPerDst)
	for k, di := range dstLeft {
		m := mx[k*candidatesPerDst : (k+1)*candidatesPerDst]
		for j := range m {
			m[j].dst = -1
		}
		t := d.dst[di]
		if len(srcLeft) >= denseRowMin {
			d.sim.startRow(t)
		}
		for _, si := range srcLeft {
			s := d.src[si]
			score, err := d.sim.estimate(s, t, minScore)
			if err != nil {
				return err
			}
			c := candidate{src: si, dst: di, score: score}
			if basenameSame(s.Path, t.Path) {
				c.nameScore = 1
			}
			recordIfBetter(m, c)
		}
	}
	d.sim.startRow(nil)
	slices.SortStableFunc(mx, func(a, b candidate) int { return compareCandidates(&a, &b) })
	for _, c := range mx {
		if c.dst < 0 || c.score < minScore {
			break
		}
		if d.dstSrc[c.dst] >= 0 || d.srcUsed[c.src] {
			continue
		}
		d.record(c.dst, c.src, c.score)
	}
	return nil
}

// basename is get_basename: the path after its last slash.
func basename(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// basenameSame is basename_same: whether both paths end in the same name.
func basenameSame(a, b string) bool { return basename(a) == basename(b) }
