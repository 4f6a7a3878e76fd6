package gitrename

import (
	"fmt"
	"slices"
	"strings"
)

// Kind says what a line of diff-index's raw output reports.
type Kind uint8

const (
	// Other is any change that is not a candidate: modified,
	// type-changed, unmerged.
	Other Kind = iota
	// Deleted is a deletion that no rename took as its source.
	Deleted
	// Added is an addition that no rename took as its destination.
	Added
	// Renamed is a rename ("R" and its score).
	Renamed
)

// Entry is one line of `git diff-index --cached -M --raw` output.
type Entry struct {
	Kind  Kind
	Index int // into others (Other), deleted (Deleted), added (Added, Renamed)
	Src   int // Renamed: index into deleted
	Score int // Renamed: the pair's score
}

// Order returns the lines git prints, in git's order, given the changes
// diff-index finds without -M (deleted and added paths, and the paths of
// the other changes) and the renames Detect found among them.
//
// diff-index sorts the changes by path (diffcore_fix_diff_index: strcmp,
// that is byte order), then rename detection replaces each renamed
// destination by its rename, in place, and drops the deletions used as
// sources. So the output is sorted by path, a rename sorting by its
// destination path.
func Order(deleted, added []File, others []string, pairs []Pair) []Entry {
	type keyed struct {
		path string
		Entry
	}
	renamed := make(map[int]Pair, len(pairs))
	used := make(map[int]bool, len(pairs))
	for _, p := range pairs {
		renamed[p.Dst] = p
		used[p.Src] = true
	}
	all := make([]keyed, 0, len(deleted)+len(added)+len(others)-len(pairs))
	for i, p := range others {
		all = append(all, keyed{p, Entry{Kind: Other, Index: i}})
	}
	for i, f := range deleted {
		if !used[i] {
			all = append(all, keyed{f.Path, Entry{Kind: Deleted, Index: i}})
		}
	}
	for i, f := range added {
		if p, ok := renamed[i]; ok {
			all = append(all, keyed{f.Path, Entry{Kind: Renamed, Index: i, Src: p.Src, Score: p.Score}})
		} else {
			all = append(all, keyed{f.Path, Entry{Kind: Added, Index: i}})
		}
	}
	slices.SortStableFunc(all, func(a, b keyed) int { return strings.Compare(a.path, b.path) })
	out := make([]Entry, len(all))
	for i, k := range all {
		out[i] = k.Entry
	}
	return out
}

// ParseScore turns the value of -M (as in -M, -M60%, -M6, -M.6, -M0.55)
// into a minimum score, as parse_rename_score in diff.c does: digits
// without a % are a decimal fraction, so -M6 and -M60 both mean 60%.
func ParseScore(s string) (int, error) {
	var num, scale uint64 = 0, 1
	dot := false
	i := 0
loop:
	for ; i < len(s); i++ {
		switch ch := s[i]; {
		case !dot && ch == '.':
			scale, dot = 1, true
		case ch == '%':
			if dot {
				scale *= 100
			} else {
				scale = 100
			}
			i++
			break loop
		case ch >= '0' && ch <= '9':
			if scale < 100000 {
				scale *= 10
				num = num*10 + uint64(ch-'0')
			}
		default:
			break loop
		}
	}
	if i != len(s) {
		return 0, fmt.Errorf("gitrename: invalid rename score %q", s)
	}
	if num >= scale {
		return MaxScore, nil
	}
	return int(MaxScore * float64(num) / float64(scale)), nil
}
