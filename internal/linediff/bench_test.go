package linediff

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// goLike returns a file of n lines that look like Go source, and a copy
// with changed lines edited, as a commit would leave them.
func goLike(n, changed int) (older, newer []byte) {
	r := rand.New(rand.NewPCG(1, 2))
	forms := []string{
		"\tif err := load%d(ctx, %q); err != nil {", "\t\treturn fmt.Errorf(\"step %d: %%w\", err)", "\t}",
		"", "func handle%d(w http.ResponseWriter, r *http.Request) {", "}", "\tx%d := compute(a, %q)",
		"\t// comment number %d explains %q", "\tdefer cleanup%d()", "\treturn nil",
	}
	ls := make([]string, n)
	for i := range ls {
		f := forms[r.IntN(len(forms))]
		switch strings.Count(f, "%") - 2*strings.Count(f, "%%") {
		case 0:
			ls[i] = f
		case 1:
			ls[i] = fmt.Sprintf(f, i)
		default:
			ls[i] = fmt.Sprintf(f, i, fmt.Sprint(r.Uint64()))
		}
	}
	older = []byte(strings.Join(ls, "\n") + "\n")
	for range changed {
		i := r.IntN(n)
		ls[i] = fmt.Sprintf("\tchanged%d := %q", i, fmt.Sprint(r.Uint64()))
	}
	return older, []byte(strings.Join(ls, "\n") + "\n")
}

// BenchmarkAdded reports MB/s of input read: the new version plus its
// parent, both of which are hashed.
func BenchmarkAdded(b *testing.B) {
	for _, bc := range []struct {
		name           string
		lines, changed int
	}{
		{"go2000_10changed", 2000, 10},
		{"lines100k_10changed", 100_000, 10},
		{"lines100k_1000changed", 100_000, 1000},
		{"go2000_identical", 2000, 0},
	} {
		older, newer := goLike(bc.lines, bc.changed)
		olders := [][]byte{older}
		b.Run(bc.name, func(b *testing.B) {
			var d Differ
			b.SetBytes(int64(len(older) + len(newer)))
			b.ReportAllocs()
			runs := 0
			for b.Loop() {
				runs = len(d.Added(newer, olders, 3))
			}
			b.ReportMetric(float64(runs), "runs")
		})
	}
	older, newer := goLike(2000, 0)
	b.Run("go2000_no_olders", func(b *testing.B) {
		var d Differ
		b.SetBytes(int64(len(newer)))
		for b.Loop() {
			d.Added(newer, nil, 3)
		}
	})
	_ = older
}

// BenchmarkSet compares ways to hold the parent's line hashes: the
// open-addressing set used here, a Go map, and a sorted slice with binary
// search. Each iteration builds the set from the parent and probes every
// line of the new version.
func BenchmarkSet(b *testing.B) {
	for _, n := range []int{2000, 100_000} {
		older, newer := goLike(n, 10)
		seed := maphash.MakeSeed()
		oh, nh := appendHashes(nil, seed, older), appendHashes(nil, seed, newer)
		b.Run(fmt.Sprintf("open/%d", n), func(b *testing.B) {
			var s set
			for b.Loop() {
				s.fill(oh)
				for _, h := range nh {
					s.has(h)
				}
			}
		})
		b.Run(fmt.Sprintf("map/%d", n), func(b *testing.B) {
			m := map[uint64]struct{}{}
			for b.Loop() {
				clear(m)
				for _, h := range oh {
					m[h] = struct{}{}
				}
				for _, h := range nh {
					_ = m[h]
				}
			}
		})
		b.Run(fmt.Sprintf("sorted/%d", n), func(b *testing.B) {
			s := make([]uint64, 0, len(oh))
			for b.Loop() {
				s = append(s[:0], oh...)
				slices.Sort(s)
				for _, h := range nh {
					_, _ = slices.BinarySearch(s, h)
				}
			}
		})
	}
}
