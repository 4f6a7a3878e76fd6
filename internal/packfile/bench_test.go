package packfile

import (
	stdbytes "bytes"
	"context"
	"io"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	kzlib "github.com/klauspost/compress/zlib"
	"github.com/leakhound/leakhound/internal/testkit"
)

// BenchmarkWalk reads every object of a repository in-process. Point
// LEAKHOUND_BENCH_REPO at a git directory (a bare clone); without it the
// benchmark is skipped.
//
//	LEAKHOUND_BENCH_REPO=/path/to/repo.git go test ./internal/packfile -run X -bench Walk -benchmem
func BenchmarkWalk(b *testing.B) {
	repo := testkit.BenchRepo(b)
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

// BenchmarkInflate inflates every entry of a repository's first pack,
// with this package's inflater and with compress/zlib's reader (klauspost's,
// which it replaced), on one goroutine. It needs LEAKHOUND_BENCH_REPO, as
// BenchmarkWalk does.
//
//	LEAKHOUND_BENCH_REPO=/path/to/repo.git go test ./internal/packfile -run X -bench Inflate -benchmem
func BenchmarkInflate(b *testing.B) {
	repo := testkit.BenchRepo(b)
	r, err := Open(filepath.Join(repo, "objects"), 20)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if len(r.packs) == 0 {
		b.Skip("no pack")
	}
	p := r.packs[0]
	type entry struct {
		in   []byte
		size int
	}
	var entries []entry
	total := 0
	for e := range p.count {
		h, err := p.header(e)
		if err != nil {
			b.Fatal(err)
		}
		entries = append(entries, entry{p.stream(e, h), h.size})
		total += h.size
	}
	// each times inflate over every entry, into a buffer kept between them.
	each := func(b *testing.B, inflate func(in, dst []byte) error) {
		var buf []byte
		b.SetBytes(int64(total))
		b.ReportAllocs()
		for b.Loop() {
			for _, x := range entries {
				if cap(buf) < x.size {
					buf = make([]byte, x.size)
				}
				if err := inflate(x.in, buf[:x.size]); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("packfile", func(b *testing.B) {
		var s inflateState
		each(b, s.inflateZlib)
	})
	b.Run("klauspost-zlib", func(b *testing.B) {
		var src bytesReader
		var z io.ReadCloser
		each(b, func(in, dst []byte) error {
			src.Reset(in)
			if z == nil {
				var err error
				if z, err = kzlib.NewReader(&src); err != nil {
					return err
				}
			} else if err := z.(kzlib.Resetter).Reset(&src, nil); err != nil {
				return err
			}
			_, err := io.ReadFull(z, dst)
			return err
		})
	})
}

type bytesReader = stdbytes.Reader
