package history

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"

	"github.com/leakhound/leakhound/internal/testkit"
)

// BenchmarkPackScan reads a whole repository's history the way `leakhound
// git` does by default. Point LEAKHOUND_BENCH_REPO at a repository (for
// instance a bare clone of ripgrep); without it the benchmark is skipped.
//
//	LEAKHOUND_BENCH_REPO=/path/to/repo.Git go test ./internal/gitplumb -run X -bench PackScan -benchmem
func BenchmarkPackScan(b *testing.B) {
	repo := testkit.BenchRepo(b)
	d := detect.New(testkit.Set(b, config.Default()), nil)
	g, err := gitplumb.Open(context.Background(), repo, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p := &PackScan{Git: g, Threads: runtime.NumCPU(), Incremental: d, CatFile: os.Getenv("LEAKHOUND_BENCH_CATFILE") != ""}
		err := p.Find(context.Background(), func(f *detect.Fragment) ([]detect.Finding, error) {
			return d.Detect(f)
		}, func([]detect.Finding) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}
