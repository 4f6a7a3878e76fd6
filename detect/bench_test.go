package detect

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/internal/regex"
	"github.com/leakhound/leakhound/rules"
)

// sourceCorpus returns up to limit bytes of ordinary source code: the Go
// standard library under GOROOT, which every machine running these
// benchmarks has. Words like "key", "token" and "secret" occur in it;
// real secrets do not.
func sourceCorpus(b *testing.B, limit int) [][]byte {
	b.Helper()
	root := filepath.Join(runtime.GOROOT(), "src")
	var files [][]byte
	total := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || total >= limit {
			return filepath.SkipDir
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		files = append(files, data)
		total += len(data)
		return nil
	})
	if err != nil && err != filepath.SkipDir {
		b.Fatal(err)
	}
	if total == 0 {
		b.Skip("no Go sources under GOROOT")
	}
	return files
}

func defaultSet(b *testing.B) *rules.Set {
	b.Helper()
	set, err := rules.Loader{}.Parse([]byte(config.Default()), config.DefaultName)
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// BenchmarkDetectSource measures detector throughput with the default rules
// on ordinary source code, one core. Read it in MB/s.
func BenchmarkDetectSource(b *testing.B) { benchmarkDetect(b, regex.RE2{}) }

// BenchmarkDetectSourceStd is the same workload on the standard library's
// regexp engine, to keep the choice of engine measured.
func BenchmarkDetectSourceStd(b *testing.B) { benchmarkDetect(b, regex.Std{}) }

func benchmarkDetect(b *testing.B, engine regex.Engine) {
	files := sourceCorpus(b, 32<<20)
	d := New(defaultSet(b), engine)
	var size int64
	for _, f := range files {
		size += int64(len(f))
	}
	// Warm up: compile the patterns whose keywords occur, as a scan would
	// once, so the benchmark measures steady-state matching.
	for _, f := range files {
		d.Detect(&Fragment{Content: f, StartLine: 1})
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			fs, _ := d.Detect(&Fragment{Content: f, StartLine: 1})
			n += len(fs)
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "candidates/op")
}

// BenchmarkKeywordScan isolates the Aho-Corasick pass.
func BenchmarkKeywordScan(b *testing.B) {
	files := sourceCorpus(b, 32<<20)
	d := New(defaultSet(b), nil)
	var size int64
	for _, f := range files {
		size += int64(len(f))
	}
	b.SetBytes(size)
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			d.keywords.scan(f, func(int, int32) bool { hits++; return true })
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}

// BenchmarkStartup measures what a pre-commit hook pays before scanning:
// parsing the embedded rules and building the detector.
func BenchmarkStartup(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		set, err := rules.Loader{}.Parse([]byte(config.Default()), config.DefaultName)
		if err != nil {
			b.Fatal(err)
		}
		New(set, nil)
	}
}
