package packfile

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkWalk reads every object of a repository in-process. Point
// LEAKHOUND_BENCH_REPO at a git directory (a bare clone); without it the
// benchmark is skipped.
//
//	LEAKHOUND_BENCH_REPO=/path/to/repo.git go test ./internal/packfile -run X -bench Walk -benchmem
func BenchmarkWalk(b *testing.B) {
	repo := os.Getenv("LEAKHOUND_BENCH_REPO")
	if repo == "" {
		b.Skip("set LEAKHOUND_BENCH_REPO to a git directory")
	}
	var bytes, inserted atomic.Int64
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(filepath.Join(repo, "objects"), 20)
		if err != nil {
			b.Fatal(err)
		}
		bytes.Store(0)
		inserted.Store(0)
		err = r.Walk(context.Background(), runtime.NumCPU(), func(_ int, o *Object) error {
			if o.Kind != Blob {
				return nil
			}
			bytes.Add(int64(len(o.Data)))
			if o.Base == nil {
				inserted.Add(int64(len(o.Data)))
			}
			for _, op := range o.Ops {
				if op.Base < 0 {
					inserted.Add(int64(op.Len))
				}
			}
			return nil
		}, func(e *ObjectError) { b.Log(e) })
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(bytes.Load())/1e6, "blobMB")
	b.ReportMetric(float64(inserted.Load())/1e6, "newMB")
}
