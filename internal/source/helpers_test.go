package source

import (
	"bytes"
	"sort"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
)

// tokDetector finds testkit's tokens.
func tokDetector(t testing.TB) *detect.Detector {
	t.Helper()
	return detect.New(testkit.Set(t, testkit.TokRule), nil)
}

// position returns the 1-based line of input[off] and how many characters
// of its line precede it (UTF-8 code points decoded from the line start;
// an invalid byte counts as one). ok is false when off falls inside a
// multi-byte character, where no column is right.
func position(input []byte, off int) (line, col int, ok bool) {
	line = 1 + bytes.Count(input[:off], []byte{'\n'})
	i := bytes.LastIndexByte(input[:off], '\n') + 1
	for i < off {
		_, size := utf8.DecodeRune(input[i:])
		i += size
		col++
	}
	return line, col, i == off
}

// recorder is an Events that remembers everything, safe for concurrent use.
type recorder struct {
	mu      sync.Mutex
	skipped map[string]SkipReason
	failed  map[string]error
	scanned map[string]int64
}

func newRecorder() *recorder {
	return &recorder{skipped: map[string]SkipReason{}, failed: map[string]error{}, scanned: map[string]int64{}}
}

func (r *recorder) Skipped(path string, reason SkipReason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped[path] = reason
}

func (r *recorder) Failed(path string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed[path] = err
}

func (r *recorder) Scanned(path string, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scanned[path] = n
}

// collector gathers what a source emits: each path's fragments (content
// copied, since a fragment is only valid during Emit), in emission order,
// plus what a detector finds in them.
type collector struct {
	det      *detect.Detector // nil: do not detect
	mu       sync.Mutex
	order    []string
	frags    map[string][]detect.Fragment
	findings []detect.Finding
}

func newCollector(det *detect.Detector) *collector {
	return &collector{det: det, frags: map[string][]detect.Fragment{}}
}

func (c *collector) emit(f *detect.Fragment) error {
	var found []detect.Finding
	if c.det != nil {
		var err error
		if found, err = c.det.Detect(f); err != nil {
			return err
		}
	}
	cp := *f
	cp.Content = bytes.Clone(f.Content)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.frags[f.Path]; !seen {
		c.order = append(c.order, f.Path)
	}
	c.frags[f.Path] = append(c.frags[f.Path], cp)
	c.findings = append(c.findings, found...)
	return nil
}

func (c *collector) paths() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.order...)
	sort.Strings(out)
	return out
}

// content returns the single fragment's content emitted for path.
func (c *collector) content(t *testing.T, path string) string {
	t.Helper()
	fs := c.frags[path]
	if len(fs) != 1 {
		t.Fatalf("%s: %d fragments, want 1", path, len(fs))
	}
	return string(fs[0].Content)
}
