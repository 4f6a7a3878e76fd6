package gitobj

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/packfile"
	"github.com/leakhound/leakhound/internal/source"

	"github.com/leakhound/leakhound/internal/testkit"
)

// BenchmarkScanBlobDelta times the detection step of the history scan
// alone: scanBlob on a sample of a real repository's blobs stored as
// deltas on other blobs (one in benchSampleEvery, chosen by object id),
// each base already scanned, as readPacks would have. Inflating and
// rebuilding the objects is left out. Point LEAKHOUND_BENCH_REPO at a
// repository; without it the benchmark is skipped.
//
//	LEAKHOUND_BENCH_REPO=/path/to/symfony.git go test ./internal/gitobj -run X -bench ScanBlobDelta -benchmem
func BenchmarkScanBlobDelta(b *testing.B) {
	repo := testkit.BenchRepo(b)
	d := detect.New(testkit.Set(b, config.Default()), nil)
	ctx := context.Background()
	g, err := gitplumb.Open(ctx, repo, "")
	if err != nil {
		b.Fatal(err)
	}
	hashLen, dir, err := g.ObjectStore(ctx)
	if err != nil {
		b.Fatal(err)
	}
	pr, err := packfile.Open(dir, hashLen)
	if err != nil {
		b.Fatal(err)
	}
	defer pr.Close()
	var mu sync.Mutex
	var sample []*packfile.Object
	err = pr.Walk(ctx, 1, func(_ int, o *packfile.Object) error {
		if o.Kind != packfile.Blob || o.Base == nil || o.Base.Kind != packfile.Blob || o.ID[0]%benchSampleEvery != 0 ||
			binaryBlob(o.Data) || binaryBlob(o.Base.Data) {
			return nil
		}
		base := &packfile.Object{Kind: packfile.Blob, Data: slices.Clone(o.Base.Data)}
		mu.Lock()
		sample = append(sample, &packfile.Object{Kind: packfile.Blob, Data: slices.Clone(o.Data), Ops: slices.Clone(o.Ops), Base: base})
		mu.Unlock()
		return nil
	}, func(*packfile.ObjectError) {})
	if err != nil {
		b.Fatal(err)
	}
	p := &Reader{Incremental: d}
	var sc deltaScratch
	var size int64
	for _, o := range sample {
		if o.Base.State, err = p.scanBlob(o.Base, nil, &sc); err != nil {
			b.Fatal(err)
		}
		size += int64(len(o.Data))
	}
	b.Logf("%d blobs, %d bytes", len(sample), size)
	b.SetBytes(size)
	b.ReportAllocs()
	// CPU time as well as wall time: the scan is single-threaded, so on
	// a busy machine CPU time is the steadier measure.
	cpu0 := cpuTime()
	for b.Loop() {
		for _, o := range sample {
			if _, err := p.scanBlob(o, nil, &sc); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSampleEvery: BenchmarkScanBlobDelta times the blobs whose id's
// first byte is a multiple of it.
const benchSampleEvery = 16

func binaryBlob(b []byte) bool { return bytes.IndexByte(b[:min(len(b), source.BinarySniff)], 0) >= 0 }
