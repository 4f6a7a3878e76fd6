package gitplumb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Empty tree ids: what a repository with no commits yet is compared with.
const (
	EmptyTreeSHA1   = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
	EmptyTreeSHA256 = "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
)

// ErrBare is matched (errors.Is) by the error for a staged scan of a bare
// repository, which has no index.
var ErrBare = errors.New("a bare repository has no index, so nothing is staged")

// StagedDiff is what the index changes relative to HEAD: the changes a
// commit made now would record.
type StagedDiff struct {
	// Base is the tree the index is compared with: HEAD's, or the empty
	// tree when HEAD has no commit yet.
	Base string
	// Unborn is set when HEAD has no commit yet.
	Unborn bool
	// Changes are the changed paths, in git's (path) order.
	Changes []StagedChange
}

// StagedChange is one path the index changes.
type StagedChange struct {
	// Path is the path in the index ('/'-separated, any bytes but NUL).
	Path string
	// From is the path in HEAD the index version was renamed or copied
	// from; empty otherwise.
	From string
	// Mode and Blob are the index version; ModeNone and the zero id when
	// the index deletes the path (or, for Status 'U', holds a conflict).
	Mode Mode
	Blob string
	// Old is HEAD's version of Path (of From when renamed); ModeNone and
	// the zero id when HEAD has none.
	Old Side
	// Status is git's status letter: A, C, D, M, R, T or U.
	Status byte
}

// DiffStaged compares the index with HEAD (or with the empty tree when
// the repository has no commit yet), with `git diff-index --cached -M`,
// which reads only the index and objects: no work-tree file, filter,
// diff driver, textconv or hook is involved. indexFile, if not empty, is
// the index to read instead of the repository's own: git names a
// temporary one in GIT_INDEX_FILE when a pre-commit hook runs for `git
// commit -a` or `git commit PATH...`. A bare repository gives an error
// matching ErrBare.
func (g *Git) DiffStaged(ctx context.Context, indexFile string) (*StagedDiff, error) {
	base, unborn, err := g.stagedBase(ctx)
	if err != nil {
		return nil, err
	}
	d := &StagedDiff{Base: base, Unborn: unborn}
	args := []string{"diff-index", "--cached", "-z", "--raw", "--no-abbrev", "--no-relative",
		"--no-ext-diff", "--no-textconv"}
	if !unborn {
		args = append(args, "-M") // nothing to rename from in an empty tree
	}
	cmd := g.Command(ctx, append(args, base, "--")...)
	if indexFile != "" {
		abs, err := filepath.Abs(indexFile)
		if err != nil {
			return nil, fmt.Errorf("index file %s: %w", indexFile, err)
		}
		cmd.Env = append(cmd.Env, "GIT_INDEX_FILE="+abs)
	}
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git diff-index --cached: %w", stderr.Wrap(err))
	}
	if d.Changes, err = parseDiffIndex(out); err != nil {
		return nil, fmt.Errorf("git diff-index --cached: %w", err)
	}
	return d, nil
}

// stagedBase returns the tree the index is compared with, from one `git
// rev-parse`: whether the repository is bare, its object format (for the
// empty tree's id) and HEAD's tree, which is absent (exit status 1) when
// HEAD has no commit yet.
func (g *Git) stagedBase(ctx context.Context) (tree string, unborn bool, err error) {
	cmd := g.Command(ctx, "rev-parse", "--is-bare-repository", "--show-object-format", "-q", "--verify", "HEAD^{tree}")
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		return "", false, fmt.Errorf("git rev-parse: %w", stderr.Wrap(err))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		return "", false, fmt.Errorf("git rev-parse: unexpected output %q: %w", Truncate(string(out), 100), stderr.Wrap(err))
	}
	if strings.TrimSpace(lines[0]) == "true" {
		return "", false, fmt.Errorf("%s: %w", g.Dir, ErrBare)
	}
	if err == nil && len(lines) >= 3 {
		if id := strings.TrimSpace(lines[2]); validID(id) {
			return id, false, nil
		}
		return "", false, fmt.Errorf("git rev-parse HEAD: unexpected output %q", Truncate(lines[2], 100))
	}
	switch format := strings.TrimSpace(lines[1]); format {
	case "sha1":
		return EmptyTreeSHA1, true, nil
	case "sha256":
		return EmptyTreeSHA256, true, nil
	default:
		return "", false, fmt.Errorf("unsupported object format %q", Truncate(format, 20))
	}
}

// parseDiffIndex parses `diff-index --raw -z` output (git-diff-index(1),
// "Raw output format"): for each path
//
//	:<old mode> <new mode> <old id> <new id> <status>[score]\0<path>\0
//
// and for a rename or copy (status R or C) a second path, the new one.
func parseDiffIndex(out []byte) ([]StagedChange, error) {
	var changes []StagedChange
	next := func() (string, bool) {
		i := bytes.IndexByte(out, 0)
		if i < 0 {
			return "", false
		}
		tok := string(out[:i])
		out = out[i+1:]
		return tok, true
	}
	for len(bytes.TrimLeft(out, "\n")) > 0 {
		out = bytes.TrimLeft(out, "\n")
		rec, ok := next()
		if !ok {
			return nil, fmt.Errorf("truncated record %q", Truncate(string(out), 200))
		}
		ch, err := parseIndexRecord(rec)
		if err != nil {
			return nil, err
		}
		first, ok := next()
		if !ok {
			return nil, fmt.Errorf("record %q has no path", Truncate(rec, 200))
		}
		ch.Path = first
		if ch.Status == 'R' || ch.Status == 'C' {
			second, ok := next()
			if !ok {
				return nil, fmt.Errorf("record %q has no new path", Truncate(rec, 200))
			}
			ch.From, ch.Path = first, second
		}
		changes = append(changes, ch)
	}
	return changes, nil
}

func parseIndexRecord(rec string) (StagedChange, error) {
	bad := func() (StagedChange, error) {
		return StagedChange{}, fmt.Errorf("malformed raw diff record %q", Truncate(rec, 200))
	}
	f := strings.Fields(strings.TrimPrefix(rec, ":"))
	if !strings.HasPrefix(rec, ":") || len(f) != 5 || f[4] == "" {
		return bad()
	}
	var modes [2]Mode
	for i := range modes {
		m, err := strconv.ParseUint(f[i], 8, 32)
		if err != nil {
			return bad()
		}
		modes[i] = Mode(m)
	}
	if !validID(f[2]) || !validID(f[3]) {
		return bad()
	}
	ch := StagedChange{Old: Side{Mode: modes[0], Blob: f[2]}, Mode: modes[1], Blob: f[3], Status: f[4][0]}
	if !strings.ContainsRune("ACDMRTUX", rune(ch.Status)) {
		return bad()
	}
	return ch, nil
}
