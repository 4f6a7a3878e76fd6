package filter

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/leakhound/leakhound/detect"
)

// Ignore drops findings whose fingerprint is listed in an ignore file
// (.leakhoundignore): one fingerprint per line, '#' starts a comment.
// gitleaks' fingerprints (.gitleaksignore: "commit:file:rule:line" or
// "file:rule:line") are honoured too, matched on the finding's commit,
// path, rule and line.
type Ignore struct {
	fps map[string]bool
	gl  map[glKey]bool
}

type glKey struct {
	commit, path, rule string
	line               int
}

// ParseIgnore reads an ignore file's content.
func ParseIgnore(r io.Reader) (*Ignore, error) {
	ig := &Ignore{fps: map[string]bool{}, gl: map[glKey]bool{}}
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
		// A leakhound hash may be all digits, so a line that reads as a
		// gitleaks fingerprint counts as both.
		if k, ok := parseGitleaksFingerprint(line); ok {
			ig.gl[k] = true
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

// parseGitleaksFingerprint reads "[commit:]file:rule:line", the form
// gitleaks writes (its last field, a line number, tells it from
// leakhound's, whose last field is a hash). A path may hold colons.
func parseGitleaksFingerprint(s string) (glKey, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return glKey{}, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 0 {
		return glKey{}, false
	}
	rest := s[:i]
	j := strings.LastIndexByte(rest, ':')
	if j <= 0 {
		return glKey{}, false
	}
	k := glKey{path: rest[:j], rule: rest[j+1:], line: n}
	if c, p, ok := strings.Cut(k.path, ":"); ok && isCommitID(c) {
		k.commit, k.path = strings.ToLower(c), p
	}
	return k, true
}

func isCommitID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return true
}

// Merge adds other's entries to ig (a .leakhoundignore and a
// .gitleaksignore side by side); either may be nil.
func (ig *Ignore) Merge(other *Ignore) *Ignore {
	switch {
	case ig == nil:
		return other
	case other == nil:
		return ig
	}
	for k := range other.fps {
		ig.fps[k] = true
	}
	for k := range other.gl {
		ig.gl[k] = true
	}
	return ig
}

// Len returns the number of fingerprints.
func (ig *Ignore) Len() int { return len(ig.fps) }

// Name returns "ignore-file".
func (*Ignore) Name() string { return "ignore-file" }

// DropWide is Drop: an ignored fingerprint holds for its secret under every rule that reports it.
func (x *Ignore) DropWide(f *detect.Finding) (bool, string, bool) {
	drop, why := x.Drop(f)
	return drop, why, drop
}

// Drop reports whether f's fingerprint is listed.
func (ig *Ignore) Drop(f *detect.Finding) (bool, string) {
	if ig.fps[f.Fingerprint] {
		return true, "fingerprint listed in ignore file"
	}
	// A gitleaks entry without a commit holds in every commit, as in
	// gitleaks.
	if len(ig.gl) > 0 && (ig.gl[glKey{commit: f.Commit, path: f.Path, rule: f.RuleID, line: f.StartLine}] ||
		ig.gl[glKey{path: f.Path, rule: f.RuleID, line: f.StartLine}]) {
		return true, "gitleaks fingerprint listed in ignore file"
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
