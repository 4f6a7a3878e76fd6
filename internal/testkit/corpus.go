package testkit

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Corpus returns the accuracy corpus (testdata/accuracy/corpus): each
// file's content by slash-separated path, and every non-blank line of it,
// each ending in a newline. Tests that edit realistic files at random
// insert these lines.
func Corpus(t testing.TB) (files map[string]string, lines []string) {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testkit: cannot locate the repository")
	}
	root := filepath.Join(filepath.Dir(self), "..", "..", "testdata", "accuracy", "corpus")
	files = map[string]string{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = string(b)
		for l := range strings.SplitAfterSeq(string(b), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, strings.TrimSuffix(l, "\n")+"\n")
			}
		}
		return nil
	})
	if err != nil || len(files) < 40 {
		t.Fatalf("testkit: accuracy corpus at %s: %d files, %v", root, len(files), err)
	}
	return files, lines
}
