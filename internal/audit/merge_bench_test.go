package audit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/rules"
)

// fakeToken is the j-th made-up token of a family: "tok_" and twelve
// lower-case letters and digits, as the test rule finds.
func fakeToken(family, j int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("tok_")
	x := uint64(family)*1_000_003 + uint64(j)*7_919 + 12_345
	for range 12 {
		x = x*6364136223846793005 + 1442695040888963407
		b = append(b, alphabet[(x>>33)%36])
	}
	return string(b)
}

// syntheticAudit is repository i's audit: 10 to 49 secrets of its own and
// 5 from a pool of 100 that every repository draws from, each introduced
// one to three times, some still in HEAD, some removed.
func syntheticAudit(i int) *Report {
	var fs []detect.Finding
	ff := fakeFacts{head: map[string][]Place{}, removed: map[string]*Commit{}, refs: map[string][]string{}}
	add := func(secret string, j int) {
		sev := rules.Severity(j % 5)
		for k := range 1 + j%3 {
			commit := fmt.Sprintf("%08x%032x", i, j*10+k)
			ff.refs[commit] = []string{"refs/heads/main", fmt.Sprintf("refs/tags/v%d.%d", j%4, k)}
			fs = append(fs, finding("tok", secret, commit, fmt.Sprintf("services/svc%d/config/%d/app.env", j%17, k), 3+k, j+k*7, sev))
		}
		switch j % 3 {
		case 0:
			ff.head["tok"+secret] = []Place{{Path: fmt.Sprintf("services/svc%d/config/0/app.env", j%17), Line: 3}}
		case 1:
			ff.removed["tok"+secret] = &Commit{ID: fmt.Sprintf("%08xff%030x", i, j), Author: "Bo", Email: "bo@example.invalid", Date: day0.AddDate(0, 0, j+40), Message: "remove a token"}
		}
	}
	for j := range 10 + i%40 {
		add(fakeToken(i+1, j), j)
	}
	for k := range 5 {
		add(fakeToken(0, (i*7+k*13)%100), 50+k)
	}
	return repoReport(fmt.Sprintf("repo-%04d", i), fmt.Sprintf("%040x", i+1), "v1.2.0", fs, ff, 400)
}

// peakHeap samples the heap's live objects every millisecond until stop
// is called, which returns the largest sample in bytes.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() uint64 {
		once.Do(func() { close(done) })
		<-finished
		return peak
	}
}

// BenchmarkMerge1000 merges 1,000 audit files (45 KB each on average,
// 45 MB in all, with 100 secrets that many repositories share) from a
// folder, as `leakhound audit merge DIR` does, and writes the JSON
// worklist. It reports the peak of live heap and what stays live after
// the merge (the merged state) beside -benchmem's allocation counts.
// LEAKHOUND_MERGE_BENCH_DIR, when set, is where the files are written
// and left, to time the command on them.
func BenchmarkMerge1000(b *testing.B) {
	dir := os.Getenv("LEAKHOUND_MERGE_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	var files []string
	var total int64
	for i := range 1000 {
		data := auditJSON(b, syntheticAudit(i), false)
		p := filepath.Join(dir, fmt.Sprintf("repo-%04d.json", i))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
		files = append(files, p)
		total += int64(len(data))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	var peak, live uint64
	for b.Loop() {
		runtime.GC()
		stop := peakHeap()
		m := NewMerger()
		for _, p := range files {
			fh, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			m.Add(p, bufio.NewReaderSize(fh, 64<<10))
			fh.Close()
		}
		r := m.Result("v")
		if err := WriteMerged(io.Discard, "json", r, Options{}); err != nil || r.Failed() || len(r.Inputs) != 1000 {
			b.Fatalf("%v, failed %v", err, r.Failed())
		}
		peak = max(peak, stop())
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = ms.HeapAlloc
		runtime.KeepAlive(r)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(live)/(1<<20), "live-after-MB")
	b.ReportMetric(float64(total)/(1<<20), "input-MB")
}
