package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
)

// scanDir runs d and returns what it emitted and reported.
func scanDir(t *testing.T, d *Dir, det *detect.Detector) (*collector, *recorder) {
	t.Helper()
	c, rec := newCollector(det), newRecorder()
	d.Events = rec
	if err := d.Scan(context.Background(), c.emit); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return c, rec
}

func TestDirWalk(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		"a.txt":            "alpha\n",
		"b/c.txt":          "gamma\n",
		"b/d/e.txt":        "epsilon",
		"empty.txt":        "",
		"ünï code.txt":     "unicode name\n",
		".git/config":      "[core]\n",
		"sub/.git/HEAD":    "ref: refs/heads/main\n",
		"sub/kept.txt":     "kept\n",
		"bin.dat":          "abc\x00def",
		"late-nul.txt":     strings.Repeat("a", BinarySniff) + "\x00",
		"big.txt":          strings.Repeat("b", 10001),
		"exactly-max.txt":  strings.Repeat("m", 10000),
		".hidden/file.txt": "hidden folders are scanned\n",
	})
	want := []string{
		".hidden/file.txt", "a.txt", "b/c.txt", "b/d/e.txt", "empty.txt",
		"exactly-max.txt", "late-nul.txt", "sub/kept.txt", "ünï code.txt",
	}
	wantSkipped := map[string]SkipReason{
		".git":     SkipGitDir,
		"sub/.git": SkipGitDir,
		"bin.dat":  SkipBinary,
		"big.txt":  SkipTooLarge,
	}
	for _, threads := range []int{0, 1, 4} {
		t.Run(fmt.Sprint("threads=", threads), func(t *testing.T) {
			c, rec := scanDir(t, &Dir{Roots: []string{root}, MaxBytes: 10000, Threads: threads}, nil)
			if got := c.paths(); !slices.Equal(got, want) {
				t.Errorf("emitted %q\nwant    %q", got, want)
			}
			if threads <= 1 && !slices.Equal(c.order, want) {
				t.Errorf("one thread emitted in order %q, want lexical order %q", c.order, want)
			}
			if !mapsEqual(rec.skipped, wantSkipped) {
				t.Errorf("skipped %v, want %v", rec.skipped, wantSkipped)
			}
			if len(rec.failed) > 0 {
				t.Errorf("failed: %v", rec.failed)
			}
			for _, p := range want {
				fr := c.frags[p]
				if len(fr) != 1 {
					t.Errorf("%s: %d fragments, want 1", p, len(fr))
					continue
				}
				f := fr[0]
				if f.Kind != detect.KindDir || f.Path != p || f.StartLine != 1 || f.StartColumn != 0 || f.OwnedStart != 0 || f.OwnedEnd != 0 {
					t.Errorf("%s: fragment header %+v", p, f.Provenance)
				}
				disk, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(f.Content, disk) {
					t.Errorf("%s: content differs from the file", p)
				}
				if rec.scanned[p] != int64(len(disk)) {
					t.Errorf("%s: Scanned with %d bytes, want %d", p, rec.scanned[p], len(disk))
				}
			}
		})
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestDirRoots checks how paths are named: relative to a single root,
// prefixed with the root as given when there are several, and as given
// for a root that is a file.
func TestDirRoots(t *testing.T) {
	tmp := t.TempDir()
	testkit.WriteTree(t, tmp, map[string]string{
		"r1/x.txt":       "x\n",
		"r1/deep/y.txt":  "y\n",
		"r2/sub/z.txt":   "z\n",
		"r2/sub/.git/c":  "c\n",
		"r2/other/w.txt": "w\n",
	})
	t.Chdir(tmp)
	tests := []struct {
		roots []string
		want  []string
	}{
		{[]string{"r1"}, []string{"deep/y.txt", "x.txt"}},
		{[]string{"./r1/"}, []string{"deep/y.txt", "x.txt"}},
		{[]string{filepath.Join(tmp, "r1")}, []string{"deep/y.txt", "x.txt"}},
		{[]string{"r1", "r2/sub"}, []string{"r1/deep/y.txt", "r1/x.txt", "r2/sub/z.txt"}},
		{[]string{"r1/x.txt"}, []string{"r1/x.txt"}},
		{[]string{"r1/x.txt", "r2/sub"}, []string{"r1/x.txt", "r2/sub/z.txt"}},
		{[]string{"r2/sub", "r1/deep/"}, []string{"r1/deep/y.txt", "r2/sub/z.txt"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.roots, ","), func(t *testing.T) {
			c, rec := scanDir(t, &Dir{Roots: tt.roots, Threads: 2}, nil)
			if got := c.paths(); !slices.Equal(got, tt.want) {
				t.Errorf("emitted %q, want %q", got, tt.want)
			}
			if len(rec.failed) > 0 {
				t.Errorf("failed: %v", rec.failed)
			}
		})
	}
}

func TestDirSkipPath(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		"keep/inner.txt":    "k\n",
		"keep/skip.txt":     "s\n",
		"skipdir/never.txt": "n\n",
		"top.txt":           "t\n",
	})
	var mu sync.Mutex
	var asked []string
	d := &Dir{Roots: []string{root}, Threads: 3, SkipPath: func(rel string) bool {
		mu.Lock()
		asked = append(asked, rel)
		mu.Unlock()
		return rel == "keep/skip.txt" || rel == "skipdir/"
	}}
	c, rec := scanDir(t, d, nil)
	if got, want := c.paths(), []string{"keep/inner.txt", "top.txt"}; !slices.Equal(got, want) {
		t.Errorf("emitted %q, want %q", got, want)
	}
	wantSkipped := map[string]SkipReason{"keep/skip.txt": SkipAllowlist, "skipdir/": SkipAllowlist}
	if !mapsEqual(rec.skipped, wantSkipped) {
		t.Errorf("skipped %v, want %v", rec.skipped, wantSkipped)
	}
	slices.Sort(asked)
	if want := []string{"keep/", "keep/inner.txt", "keep/skip.txt", "skipdir/", "top.txt"}; !slices.Equal(asked, want) {
		t.Errorf("SkipPath asked about %q, want %q ('/'-separated, relative, folders with a trailing '/', nothing inside a skipped folder)", asked, want)
	}
}

// TestDirLineNumbers runs a detector over what Dir emits: line numbers
// and columns must be right with LF and CRLF line ends and multi-byte
// characters before the secret.
func TestDirLineNumbers(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		"lf.txt":    "one\ntwo\nkey = " + testkit.TokA + "\n",
		"crlf.txt":  "one\r\ntwo\r\n\r\nkey = " + testkit.TokA + "\r\nafter\r\n",
		"utf8.txt":  "ünïcødé\n€€ " + testkit.TokA,
		"first.txt": testkit.TokA,
		"empty.txt": "",
	})
	tests := []struct {
		path      string
		line, col int
	}{
		{"crlf.txt", 4, 7},
		{"first.txt", 1, 1},
		{"lf.txt", 3, 7},
		{"utf8.txt", 2, 4},
	}
	c, rec := scanDir(t, &Dir{Roots: []string{root}, Threads: 2}, tokDetector(t))
	if rec.scanned["empty.txt"] != 0 || c.content(t, "empty.txt") != "" {
		t.Errorf("empty file: scanned %v", rec.scanned)
	}
	slices.SortFunc(c.findings, func(a, b detect.Finding) int { return strings.Compare(a.Path, b.Path) })
	if len(c.findings) != len(tests) {
		t.Fatalf("%d findings, want %d: %+v", len(c.findings), len(tests), c.findings)
	}
	for i, tt := range tests {
		f := c.findings[i]
		if f.Path != tt.path || f.Secret != testkit.TokA || f.StartLine != tt.line || f.EndLine != tt.line || f.StartColumn != tt.col || f.EndColumn != tt.col+len(testkit.TokA)-1 {
			t.Errorf("found %q at %s:%d:%d-%d:%d, want %s:%d:%d-%d:%d", f.Secret, f.Path, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn,
				tt.path, tt.line, tt.col, tt.line, tt.col+len(testkit.TokA)-1)
		}
	}
}

// TestDirStreamsLargeFiles checks that a file over streamThreshold is
// scanned in bounded chunks, and that secrets in it (one on each side of
// the first cut, one at the end) are each found once on the right line.
func TestDirStreamsLargeFiles(t *testing.T) {
	root := t.TempDir()
	var b bytes.Buffer
	line := 1
	type want struct{ line, col int }
	var wants []want
	put := func(prefix string) {
		wants = append(wants, want{line, len(prefix) + 1})
		b.WriteString(prefix + testkit.TokA + "\r\n")
		line++
	}
	filler := strings.Repeat("lorem ipsum dolor sit amet ", 3) + "\r\n"
	for b.Len() < defaultChunkSize-defaultOverlap-100 {
		b.WriteString(filler)
		line++
	}
	put("before the first cut: ")
	for b.Len() < defaultChunkSize-10 {
		b.WriteString(filler)
		line++
	}
	put("")
	for b.Len() < streamThreshold+(1<<20) {
		b.WriteString(filler)
		line++
	}
	put("at the end = ")
	if err := os.WriteFile(filepath.Join(root, "big.log"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	c, rec := scanDir(t, &Dir{Roots: []string{root}, Threads: 2}, tokDetector(t))
	frags := c.frags["big.log"]
	if len(frags) < 4 {
		t.Errorf("%d fragments: a %d-byte file must be streamed in chunks of %d", len(frags), b.Len(), defaultChunkSize)
	}
	for i, f := range frags {
		if len(f.Content) > defaultChunkSize {
			t.Errorf("fragment %d: %d bytes, over the chunk size", i, len(f.Content))
		}
	}
	if rec.scanned["big.log"] != int64(b.Len()) {
		t.Errorf("Scanned with %d bytes, want %d", rec.scanned["big.log"], b.Len())
	}
	slices.SortFunc(c.findings, func(a, b detect.Finding) int { return a.StartLine - b.StartLine })
	if len(c.findings) != len(wants) {
		t.Fatalf("%d findings, want %d", len(c.findings), len(wants))
	}
	for i, w := range wants {
		f := c.findings[i]
		if f.Secret != testkit.TokA || f.Path != "big.log" || f.StartLine != w.line || f.StartColumn != w.col {
			t.Errorf("found %q at %s:%d:%d, want big.log:%d:%d", f.Secret, f.Path, f.StartLine, f.StartColumn, w.line, w.col)
		}
	}
}

func TestDirErrors(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{"a.txt": "a\n", "b.txt": "b\n"})
	t.Run("missing root", func(t *testing.T) {
		err := (&Dir{Roots: []string{filepath.Join(root, "nope")}}).Scan(context.Background(), func(*detect.Fragment) error { return nil })
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want not-exist", err)
		}
	})
	t.Run("emit error is fatal", func(t *testing.T) {
		err := (&Dir{Roots: []string{root}, Threads: 2}).Scan(context.Background(), func(*detect.Fragment) error { return errBoom })
		if !errors.Is(err, errBoom) {
			t.Errorf("err = %v, want %v", err, errBoom)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		emitted := 0
		err := (&Dir{Roots: []string{root}}).Scan(ctx, func(*detect.Fragment) error { emitted++; return nil })
		if !errors.Is(err, context.Canceled) || emitted > 0 {
			t.Errorf("err = %v after %d fragments, want context.Canceled and none", err, emitted)
		}
	})
}

func TestBytes(t *testing.T) {
	c := newCollector(nil)
	if err := (Bytes{Content: []byte("x"), Path: "p.txt"}).Scan(context.Background(), c.emit); err != nil {
		t.Fatal(err)
	}
	if f := c.frags["p.txt"]; len(f) != 1 || string(f[0].Content) != "x" || f[0].StartLine != 1 || f[0].Kind != detect.KindDir {
		t.Errorf("fragments %+v", f)
	}
}
