package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
)

// chunkConfigs are small chunk sizes and overlaps (chunkSize > 3×overlap+3,
// as the chunker requires) that put many cuts into short inputs.
var chunkConfigs = []struct{ chunk, overlap int }{
	{64, 8},
	{64, 16},
	{64, 20},
	{100, 24},
	{16, 4},
	{64, 0},
}

// alphabets are the pieces random inputs are made of.
var alphabets = []struct {
	name   string
	pieces []string
}{
	{"ascii without newlines", []string{"a", "b", "c", " ", "xyz"}},
	{"short lines", []string{"ab", "c", "\n", "  ", "xyz"}},
	{"long lines", []string{strings.Repeat("w", 50), "\n", "x"}},
	{"CRLF", []string{"ab", "\r\n", "c", " ", "\r"}},
	{"newlines only", []string{"\n"}},
	{"multi-byte", []string{"é", "€", "𝄞", "a", "\n"}},
	{"multi-byte without newlines", []string{"é", "€", "𝄞", "a"}},
	{"invalid UTF-8", []string{"\xff", "\xc3", "\xe2\x82", "a", "€", "\x80", "\n", "\xf0\x9d"}},
	{"NUL", []string{"\x00", "a", "\n", "\x00\x00"}},
}

func randomInput(rng *rand.Rand, pieces []string, n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.Bytes()
}

// runChunker runs a chunker over r with two recycled buffers, as
// scanStream does for one thread, and returns copies of its fragments.
// It fails the test if a buffer outside the pool is used or grows.
func runChunker(t testing.TB, r io.Reader, chunkSize, overlap int) ([]detect.Fragment, int64) {
	t.Helper()
	const nbuf = 2
	buffers := make(chan []byte, nbuf)
	pool := map[*byte]bool{}
	for range nbuf {
		b := make([]byte, 0, chunkSize)
		pool[&b[:1][0]] = true
		buffers <- b
	}
	c := &chunker{r: r, chunkSize: chunkSize, overlap: overlap, prov: detect.Provenance{Kind: detect.KindStdin, Path: "stdin"}}
	var frags []detect.Fragment
	n, err := c.run(context.Background(), buffers, func(ch chunk) error {
		if cap(ch.buf) != chunkSize || !pool[&ch.buf[:1][0]] {
			t.Errorf("chunk in a buffer outside the pool (cap %d, want %d)", cap(ch.buf), chunkSize)
		}
		f := ch.frag
		f.Content = bytes.Clone(f.Content)
		frags = append(frags, f)
		buffers <- ch.buf
		return nil
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return frags, n
}

// checkTiling checks fragments of input against the chunker's contract:
// each fragment is a window of the stream no longer than chunkSize; their
// owned regions tile the stream exactly; a non-final fragment extends at
// least overlap bytes past its owned region and starts overlap bytes
// before it (or at the stream start); and StartLine and StartColumn are
// the true line and column of Content[0], which is never inside a
// multi-byte character.
func checkTiling(t testing.TB, input []byte, frags []detect.Fragment, chunkSize, overlap int) {
	t.Helper()
	if len(frags) == 0 {
		t.Fatal("no fragments; want at least one, even for empty input")
	}
	base, ownedTo := 0, 0 // stream offsets of Content[0] and of the owned end so far
	for i, f := range frags {
		if i > 0 {
			base = ownedTo - f.OwnedStart
		}
		last := i == len(frags)-1
		where := fmt.Sprintf("fragment %d (stream offset %d, len %d, owned %d..%d)", i, base, len(f.Content), f.OwnedStart, f.OwnedEnd)
		switch {
		case len(f.Content) > chunkSize:
			t.Fatalf("%s: longer than chunkSize %d", where, chunkSize)
		case base < 0 || base+len(f.Content) > len(input):
			t.Fatalf("%s: outside the %d-byte stream", where, len(input))
		case !bytes.Equal(f.Content, input[base:base+len(f.Content)]):
			t.Fatalf("%s: content is not the stream's bytes at that offset", where)
		case i == 0 && f.OwnedStart != 0:
			t.Fatalf("%s: the first fragment must own the stream start", where)
		case f.OwnedStart < min(overlap, base+f.OwnedStart):
			t.Errorf("%s: less than %d bytes of context before the owned region", where, overlap)
		case last && f.OwnedEnd != 0:
			t.Errorf("%s: the last fragment must own up to its end", where)
		case last && base+len(f.Content) != len(input):
			t.Errorf("%s: the last fragment ends at %d, the stream at %d", where, base+len(f.Content), len(input))
		case !last && f.OwnedEnd <= f.OwnedStart:
			t.Fatalf("%s: empty owned region", where)
		case !last && f.OwnedEnd > len(f.Content)-overlap:
			t.Errorf("%s: a match of %d bytes starting in the owned region may not fit", where, overlap)
		}
		if last {
			ownedTo = base + len(f.Content)
		} else {
			ownedTo = base + f.OwnedEnd
		}
		line, col, ok := position(input, base)
		if !ok {
			t.Errorf("%s: starts inside a multi-byte character", where)
		}
		if f.StartLine != line || f.StartColumn != col {
			t.Errorf("%s: starts at line %d column %d, want line %d column %d", where, f.StartLine, f.StartColumn, line, col)
		}
		if f.Provenance.Path != "stdin" || f.Provenance.Kind != detect.KindStdin {
			t.Errorf("%s: provenance %+v", where, f.Provenance)
		}
	}
	if ownedTo != len(input) {
		t.Errorf("owned regions end at %d, the stream at %d", ownedTo, len(input))
	}
}

func TestChunkerTiling(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cfg := range chunkConfigs {
		for _, alpha := range alphabets {
			sizes := []int{0, 1, cfg.chunk - 1, cfg.chunk, cfg.chunk + 1, 3*cfg.chunk - 5, 10*cfg.chunk + 7, 2000 + rng.IntN(1000)}
			for _, n := range sizes {
				input := randomInput(rng, alpha.pieces, n)[:n]
				t.Run(fmt.Sprintf("%d-%d/%s/%d", cfg.chunk, cfg.overlap, alpha.name, n), func(t *testing.T) {
					frags, total := runChunker(t, bytes.NewReader(input), cfg.chunk, cfg.overlap)
					if total != int64(len(input)) {
						t.Errorf("read %d bytes, want %d", total, len(input))
					}
					checkTiling(t, input, frags, cfg.chunk, cfg.overlap)
				})
			}
		}
	}
}

// TestChunkerShortReads checks that readers returning little at a time, or
// data together with io.EOF, give the same fragments as a plain reader.
func TestChunkerShortReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	input := randomInput(rng, alphabets[7].pieces, 1500)
	want, _ := runChunker(t, bytes.NewReader(input), 64, 16)
	readers := map[string]func(io.Reader) io.Reader{
		"one byte":   iotest.OneByteReader,
		"half":       iotest.HalfReader,
		"data + EOF": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			got, total := runChunker(t, wrap(bytes.NewReader(input)), 64, 16)
			if total != int64(len(input)) {
				t.Errorf("read %d bytes, want %d", total, len(input))
			}
			checkTiling(t, input, got, 64, 16)
			if len(got) != len(want) {
				t.Fatalf("%d fragments, want %d as from a plain reader", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i].Content, want[i].Content) || got[i].OwnedStart != want[i].OwnedStart || got[i].OwnedEnd != want[i].OwnedEnd {
					t.Errorf("fragment %d differs from a plain reader's", i)
				}
			}
		})
	}
}

// TestScanStreamBuffersReused checks that memory is bounded by threads+1
// chunk buffers however long the stream, with emits running concurrently.
func TestScanStreamBuffersReused(t *testing.T) {
	for _, threads := range []int{1, 2, 4} {
		t.Run(fmt.Sprint("threads=", threads), func(t *testing.T) {
			input := bytes.Repeat([]byte("lorem ipsum\ndolor "), 2000)
			var mu sync.Mutex
			backing := map[*byte]bool{}
			fragments, bytesOwned := 0, 0
			n, err := scanStream(context.Background(), bytes.NewReader(input), detect.Provenance{Path: "s"}, threads, 256, 32, func(f *detect.Fragment) error {
				mu.Lock()
				defer mu.Unlock()
				if cap(f.Content) > 256 {
					t.Errorf("fragment capacity %d, want at most the chunk size", cap(f.Content))
				}
				backing[&f.Content[:1][0]] = true
				fragments++
				end := f.OwnedEnd
				if end == 0 {
					end = len(f.Content)
				}
				bytesOwned += end - f.OwnedStart
				return nil
			})
			if err != nil || n != int64(len(input)) {
				t.Fatalf("scanStream = %d, %v; want %d, nil", n, err, len(input))
			}
			if fragments < 100 {
				t.Fatalf("only %d fragments; the test needs many", fragments)
			}
			if bytesOwned != len(input) {
				t.Errorf("owned regions add up to %d bytes, want %d", bytesOwned, len(input))
			}
			if len(backing) > threads+1 {
				t.Errorf("%d distinct buffers used for %d fragments, want at most threads+1 = %d", len(backing), fragments, threads+1)
			}
		})
	}
}

var errBoom = errors.New("boom")

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestScanStreamErrors(t *testing.T) {
	input := bytes.Repeat([]byte("x"), 5000)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		r       io.Reader
		failAt  int // emit fails on this call (1-based); 0 never
		threads int
		want    error
	}{
		{"emit error, one thread", context.Background(), bytes.NewReader(input), 3, 1, errBoom},
		{"emit error, many threads", context.Background(), bytes.NewReader(input), 3, 4, errBoom},
		{"emit error on the last chunk", context.Background(), bytes.NewReader(input[:100]), 1, 2, errBoom},
		{"read error", context.Background(), &failingReader{data: input, err: errBoom}, 0, 2, errBoom},
		{"canceled", canceled, bytes.NewReader(input), 0, 2, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			_, err := scanStream(tt.ctx, tt.r, detect.Provenance{}, tt.threads, 128, 16, func(*detect.Fragment) error {
				if n := calls.Add(1); tt.failAt > 0 && n >= int64(tt.failAt) {
					return errBoom
				}
				return nil
			})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// fuzzConfigs are the chunk sizes FuzzChunker picks from. Overlaps are at
// least 17: the 16-byte token plus the byte its trailing \b looks at.
var fuzzConfigs = []struct{ chunk, overlap int }{
	{64, 17},
	{64, 20},
	{90, 24},
	{200, 17},
}

// plant puts the token into filler at offset at, between spaces, after
// turning every '_' of filler into '-' so that "tok_" occurs nowhere else.
// It returns the stream and the token's offset.
func plant(filler []byte, at int, token string) ([]byte, int) {
	filler = bytes.ReplaceAll(filler, []byte("_"), []byte("-"))
	at %= len(filler) + 1
	var b bytes.Buffer
	b.Write(filler[:at])
	b.WriteString(" " + token + " ")
	b.Write(filler[at:])
	return b.Bytes(), at + 1
}

// FuzzChunker checks that a secret straddling any chunk boundary is found
// exactly once, with its true line and column, when a real detector runs
// over the fragments; and that the fragments tile the stream.
func FuzzChunker(f *testing.F) {
	fillers := []string{
		strings.Repeat("x", 300),
		strings.Repeat("line\n", 60),
		strings.Repeat("a\r\nbb\r\n", 40),
		strings.Repeat("é€𝄞 ", 30),
		strings.Repeat("\xff\xc3 \xe2\x82\n", 40),
		strings.Repeat("\x00a\x00\n", 60),
		strings.Repeat("word", 70),
	}
	// Every offset across the first cuts: the token starts before, on and
	// after each of them.
	for _, filler := range fillers {
		for at := 0; at < 180; at++ {
			f.Add([]byte(filler), uint16(at), uint8(at%2))
		}
	}
	f.Add([]byte(""), uint16(0), uint8(2))
	f.Add([]byte(strings.Repeat("\n", 500)), uint16(199), uint8(3))
	det := tokDetector(f)
	f.Fuzz(func(t *testing.T, filler []byte, at uint16, sel uint8) {
		if len(filler) > 1<<14 {
			filler = filler[:1<<14]
		}
		cfg := fuzzConfigs[int(sel)%len(fuzzConfigs)]
		stream, off := plant(filler, int(at), testkit.TokA)

		frags, _ := runChunker(t, bytes.NewReader(stream), cfg.chunk, cfg.overlap)
		checkTiling(t, stream, frags, cfg.chunk, cfg.overlap)

		var mu sync.Mutex
		var found []detect.Finding
		_, err := scanStream(context.Background(), bytes.NewReader(stream), detect.Provenance{Kind: detect.KindStdin, Path: "stdin"}, 2, cfg.chunk, cfg.overlap, func(fr *detect.Fragment) error {
			fs, err := det.Detect(fr)
			mu.Lock()
			found = append(found, fs...)
			mu.Unlock()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 {
			t.Fatalf("token at offset %d found %d times, want once", off, len(found))
		}
		line, col, _ := position(stream, off)
		got := found[0]
		if got.Secret != testkit.TokA || got.StartLine != line || got.EndLine != line || got.StartColumn != col+1 || got.EndColumn != col+len(testkit.TokA) {
			t.Errorf("found %q at %d:%d-%d:%d, want the token at %d:%d-%d:%d",
				got.Secret, got.StartLine, got.StartColumn, got.EndLine, got.EndColumn, line, col+1, line, col+len(testkit.TokA))
		}
	})
}

// patternReader yields n bytes of a repeating pattern, then tail, then
// io.EOF, without holding the stream in memory.
type patternReader struct {
	pattern []byte
	n       int64
	tail    []byte
	off     int64
}

func (r *patternReader) Read(p []byte) (int, error) {
	written := 0
	for written < len(p) && r.off < r.n {
		i := int(r.off % int64(len(r.pattern)))
		k := copy(p[written:], r.pattern[i:])
		if rem := r.n - r.off; int64(k) > rem {
			k = int(rem)
		}
		written += k
		r.off += int64(k)
	}
	if written < len(p) && len(r.tail) > 0 {
		k := copy(p[written:], r.tail)
		r.tail = r.tail[k:]
		written += k
	}
	if written == 0 {
		return 0, io.EOF
	}
	return written, nil
}

// heapSampler records the peaks of the Go heap in use and of the memory
// the runtime holds from the system, until stopped.
type heapSampler struct {
	peak, peakSys atomic.Uint64
	stop          chan struct{}
	done          chan struct{}
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	s.sample()
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *heapSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	raise(&s.peak, ms.HeapInuse)
	raise(&s.peakSys, ms.Sys)
}

func raise(peak *atomic.Uint64, v uint64) {
	for {
		old := peak.Load()
		if v <= old || peak.CompareAndSwap(old, v) {
			return
		}
	}
}

// Stop ends sampling and returns the peaks.
func (s *heapSampler) Stop() (heapInuse, sys uint64) {
	close(s.stop)
	<-s.done
	s.sample()
	return s.peak.Load(), s.peakSys.Load()
}

// hugeLineChild marks the process TestStdinHugeLine starts to measure in.
const hugeLineChild = "LEAKHOUND_TEST_HUGE_LINE_CHILD"

// TestStdinHugeLine scans a 200 MB stream without a single newline whose
// only secret is at the very end: it must be found, with its column, in
// bounded memory.
//
// Memory from the system never shrinks within a process, so the earlier
// tests of this package would count against the scan (they did under the
// race detector). The scan runs in a fresh test process of its own.
func TestStdinHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MB")
	}
	if os.Getenv(hugeLineChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStdinHugeLine$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), hugeLineChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the scan in its own process failed: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("--- PASS: TestStdinHugeLine")) {
			t.Fatalf("the scan in its own process did not run:\n%s", out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "peak heap in use") {
				t.Log(strings.TrimSpace(line))
			}
		}
		return
	}
	const size = 200 << 20
	const limit = 100 << 20
	r := &patternReader{pattern: []byte("0123456789 abcdefghij "), n: size, tail: []byte(" " + testkit.TokB)}
	det := tokDetector(t)
	col := newFindingsOnly(det)
	rec := newRecorder()
	runtime.GC()
	s := startHeapSampler()
	err := (&Stdin{R: r, Threads: 2, Events: rec}).Scan(context.Background(), func(f *detect.Fragment) error {
		s.sample()
		return col.emit(f)
	})
	peak, sys := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if peak > limit || sys > limit {
		t.Errorf("peak heap in use %d MB, memory from the system %d MB; want both under %d MB", peak>>20, sys>>20, limit>>20)
	}
	t.Logf("peak heap in use %.1f MB, memory from the system %.1f MB", float64(peak)/(1<<20), float64(sys)/(1<<20))
	if got, want := rec.scanned["stdin"], int64(size+1+len(testkit.TokB)); got != want {
		t.Errorf("Scanned(stdin) = %d bytes, want %d", got, want)
	}
	if len(col.found) != 1 {
		t.Fatalf("found %d secrets, want 1", len(col.found))
	}
	f := col.found[0]
	if f.Secret != testkit.TokB || f.StartLine != 1 || f.StartColumn != size+2 || f.Path != "stdin" || f.Kind != detect.KindStdin {
		t.Errorf("found %q at %s:%d:%d (%s), want %q at stdin:1:%d", f.Secret, f.Path, f.StartLine, f.StartColumn, f.Kind, testkit.TokB, size+2)
	}
}

// findingsOnly runs a detector over fragments and keeps the findings only,
// so a huge stream is not copied.
type findingsOnly struct {
	det   *detect.Detector
	mu    sync.Mutex
	found []detect.Finding
}

func newFindingsOnly(det *detect.Detector) *findingsOnly { return &findingsOnly{det: det} }

func (c *findingsOnly) emit(f *detect.Fragment) error {
	fs, err := c.det.Detect(f)
	c.mu.Lock()
	c.found = append(c.found, fs...)
	c.mu.Unlock()
	return err
}
