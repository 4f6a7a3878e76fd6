package filter

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/leakhound/leakhound/detect"
)

// Ignore drops findings whose fingerprint is listed in an ignore file
// (.leakhoundignore): one fingerprint per line, '#' starts a comment.
type Ignore struct{ fps map[string]bool }

// ParseIgnore reads an ignore file's content.
func ParseIgnore(r io.Reader) (*Ignore, error) {
	ig := &Ignore{fps: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := commentStart(line); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ig.fps[line] = true
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return ig, nil
}

// LoadIgnore reads the ignore file at path; a missing file is no error
// and yields nil.
func LoadIgnore(path string) (*Ignore, error) {
	fh, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ignore file: %w", err)
	}
	defer fh.Close()
	ig, err := ParseIgnore(fh)
	if err != nil {
		return nil, fmt.Errorf("ignore file %s: %w", path, err)
	}
	return ig, nil
}

// Len returns the number of fingerprints.
func (ig *Ignore) Len() int { return len(ig.fps) }

// Name returns "ignore-file".
func (*Ignore) Name() string { return "ignore-file" }

// Drop reports whether f's fingerprint is listed.
func (ig *Ignore) Drop(f *detect.Finding) (bool, string) {
	if ig.fps[f.Fingerprint] {
		return true, "fingerprint listed in ignore file"
	}
	return false, ""
}

// commentStart returns where a trailing comment (a '#' after a space or a
// tab) starts in line, or -1.
func commentStart(line string) int {
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return i
		}
	}
	return -1
}
