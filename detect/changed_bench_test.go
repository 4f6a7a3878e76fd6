package detect_test

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/delta"
	"github.com/leakhound/leakhound/internal/testkit"
)

// BenchmarkDetectChanged measures the history scan's per-version step:
// a new version of each file of the accuracy corpus, a few lines edited,
// scanned by what changed from the previous one, whose candidates it
// carries over. Read it in MB/s of the new versions' content.
func BenchmarkDetectChanged(b *testing.B) {
	d := detect.New(testkit.Set(b, config.Default()), nil)
	corpus, lines := testkit.Corpus(b)
	var donor [][]byte
	for _, l := range lines {
		donor = append(donor, []byte(l))
	}
	type version struct {
		base, next []byte
		changed    []delta.Span
		copies     []delta.Copy
		memo       detect.Memo
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var vs []version
	var size int64
	for _, name := range slices.Sorted(maps.Keys(corpus)) {
		base := []byte(corpus[name])
		_, memo, err := d.DetectMemo(&detect.Fragment{Content: base, StartLine: 1})
		if err != nil {
			b.Fatal(err)
		}
		next, changed, copies := edit(rng, base, donor)
		vs = append(vs, version{base, next, changed, copies, memo})
		size += int64(len(next))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i := range vs {
			v := &vs[i]
			if _, _, err := d.DetectChanged(&detect.Fragment{Content: v.next, StartLine: 1}, v.base, v.changed, v.copies, v.memo); err != nil {
				b.Fatal(err)
			}
		}
	}
}
