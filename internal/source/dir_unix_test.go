//go:build unix

package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakhound/leakhound/internal/testkit"
)

// TestDirSymlinks checks that no symbolic link is followed: not to a file
// or folder outside the root, not in a loop, not even inside the root.
func TestDirSymlinks(t *testing.T) {
	outside := t.TempDir()
	testkit.WriteTree(t, outside, map[string]string{
		"outside.txt":     "OUTSIDE-CONTENT " + testkit.TokB + "\n",
		"dir/further.txt": "OUTSIDE-CONTENT\n",
	})
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{"a.txt": "inside\n", "sub/b.txt": "inside too\n"})
	links := map[string]string{
		"link-file":      filepath.Join(outside, "outside.txt"),
		"link-dir":       filepath.Join(outside, "dir"),
		"sub/link-up":    "..",
		"loop":           "loop",
		"loop-a":         "loop-b",
		"loop-b":         "loop-a",
		"sub/inside-rel": "../a.txt",
		"dangling":       filepath.Join(outside, "nope"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	c, rec := scanDir(t, &Dir{Roots: []string{root}, Threads: 2}, tokDetector(t))
	if got, want := c.paths(), []string{"a.txt", "sub/b.txt"}; !slices.Equal(got, want) {
		t.Errorf("emitted %q, want %q", got, want)
	}
	for _, frs := range c.frags {
		for _, f := range frs {
			if strings.Contains(string(f.Content), "OUTSIDE") {
				t.Errorf("%s: content from outside the root was emitted", f.Path)
			}
		}
	}
	if len(c.findings) > 0 {
		t.Errorf("found %d secrets through symbolic links", len(c.findings))
	}
	for name := range links {
		if rec.skipped[name] != SkipSymlink {
			t.Errorf("%s: skipped as %q, want %q", name, rec.skipped[name], SkipSymlink)
		}
	}
	if len(rec.failed) > 0 {
		t.Errorf("failed: %v", rec.failed)
	}
}

// TestDirRootSymlink checks that a root the user names may itself be a
// link (only the root is followed), and paths stay relative to it.
func TestDirRootSymlink(t *testing.T) {
	real := t.TempDir()
	testkit.WriteTree(t, real, map[string]string{"x/y.txt": "y\n"})
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	c, _ := scanDir(t, &Dir{Roots: []string{link}}, nil)
	if got, want := c.paths(), []string{"x/y.txt"}; !slices.Equal(got, want) {
		t.Errorf("emitted %q, want %q", got, want)
	}
}

// TestDirFIFO checks that a FIFO in the tree, or named as a root, is
// skipped without being opened: opening one for reading blocks until a
// writer comes, which would hang the scan.
func TestDirFIFO(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{"a.txt": "a\n"})
	fifo := filepath.Join(root, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	tests := []struct {
		name    string
		roots   []string
		emitted []string
		skipped string
	}{
		{"in the tree", []string{root}, []string{"a.txt"}, "pipe"},
		{"as the root", []string{fifo}, nil, filepath.ToSlash(fifo)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newCollector(nil), newRecorder()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- (&Dir{Roots: tt.roots, Threads: 2, Events: rec}).Scan(ctx, c.emit) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(time.Minute): // a guard against a hang, not a timing
				cancel()
				t.Fatal("Scan blocked on a FIFO")
			}
			if got := c.paths(); !slices.Equal(got, tt.emitted) {
				t.Errorf("emitted %q, want %q", got, tt.emitted)
			}
			if rec.skipped[tt.skipped] != SkipSpecial {
				t.Errorf("skipped %v, want %s skipped as %q", rec.skipped, tt.skipped, SkipSpecial)
			}
		})
	}
}

// TestScanFileSwapped checks the reader itself, for a file that became a
// FIFO or a symbolic link after the walk saw a regular file there: it must
// neither block nor follow the link.
func TestScanFileSwapped(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{"target.txt": "OUTSIDE-CONTENT\n"})
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "target.txt"), link); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	r := &reader{events: rec}
	c := newCollector(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, j := range []fileJob{{abs: fifo, rel: "fifo"}, {abs: link, rel: "link"}} {
			if err := r.scanFile(context.Background(), j, c.emit); err != nil {
				t.Error(err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a guard against a hang, not a timing
		t.Fatal("scanFile blocked on a FIFO")
	}
	if len(c.frags) > 0 {
		t.Errorf("emitted %v", c.paths())
	}
	if rec.skipped["fifo"] != SkipSpecial {
		t.Errorf("FIFO: skipped %v, want %q", rec.skipped, SkipSpecial)
	}
	if err := rec.failed["link"]; err == nil || strings.Contains(err.Error(), dir) {
		t.Errorf("link: failed with %v, want an error without the absolute path", err)
	}
}

// denied makes path unreadable and reports whether that holds for this
// process (it does not for root, which reads anything).
func denied(t *testing.T, path string) bool {
	t.Helper()
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(path, 0o755) })
	fh, err := os.Open(path)
	if err != nil {
		return true
	}
	if info, _ := fh.Stat(); info != nil && info.IsDir() {
		_, err = fh.ReadDir(1)
	}
	fh.Close()
	return err != nil
}

// TestDirPermissionDenied checks that an unreadable file or folder is
// reported through Failed, named relative to the root and without the
// absolute path, and that the rest of the tree is still scanned.
func TestDirPermissionDenied(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		"a.txt":            "a\n",
		"noread.txt":       "secret\n",
		"locked/inner.txt": "inner\n",
		"z.txt":            "z\n",
	})
	if !denied(t, filepath.Join(root, "noread.txt")) || !denied(t, filepath.Join(root, "locked")) {
		t.Skip("this process can read files with mode 000 (running as root?)")
	}
	c, rec := scanDir(t, &Dir{Roots: []string{root}, Threads: 2}, nil)
	if got, want := c.paths(), []string{"a.txt", "z.txt"}; !slices.Equal(got, want) {
		t.Errorf("emitted %q, want %q", got, want)
	}
	for _, p := range []string{"noread.txt", "locked"} {
		err := rec.failed[p]
		switch {
		case err == nil:
			t.Errorf("%s: not reported as failed; failed: %v", p, rec.failed)
		case !errors.Is(err, fs.ErrPermission):
			t.Errorf("%s: %v, want a permission error", p, err)
		case strings.Contains(err.Error(), root):
			t.Errorf("%s: error %q holds the absolute path", p, err)
		}
	}
	if len(rec.failed) != 2 {
		t.Errorf("failed: %v, want two items", rec.failed)
	}
}

// TestDirUnreadableRoot checks that an unreadable root is reported as
// "." (not as an empty name).
func TestDirUnreadableRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	testkit.WriteTree(t, root, map[string]string{"a.txt": "a\n"})
	if !denied(t, root) {
		t.Skip("this process can read folders with mode 000 (running as root?)")
	}
	_, rec := scanDir(t, &Dir{Roots: []string{root}}, nil)
	if err := rec.failed["."]; !errors.Is(err, fs.ErrPermission) {
		t.Errorf("failed: %v, want \".\" with a permission error", rec.failed)
	}
}

// TestDirFileVanishes: a file deleted between the walk listing it and the
// reader opening it is counted as vanished, not a failure, and the rest of
// the tree is scanned.
func TestDirFileVanishes(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{"a.txt": "a\n", "gone.txt": "soon gone\n", "z.txt": "z\n"})
	d := &Dir{Roots: []string{root}, Threads: 2, SkipPath: func(rel string) bool {
		if rel == "gone.txt" {
			if err := os.Remove(filepath.Join(root, rel)); err != nil {
				t.Error(err)
			}
		}
		return false
	}}
	_, rec := scanDir(t, d, nil)
	if rec.skipped["gone.txt"] != SkipVanished || len(rec.failed) != 0 {
		t.Errorf("skipped %v, failed %v; want gone.txt vanished and no failure", rec.skipped, rec.failed)
	}
	if _, ok := rec.scanned["a.txt"]; !ok {
		t.Errorf("a.txt not scanned: %v", rec.scanned)
	}
	if _, ok := rec.scanned["z.txt"]; !ok {
		t.Errorf("z.txt not scanned: %v", rec.scanned)
	}
}
