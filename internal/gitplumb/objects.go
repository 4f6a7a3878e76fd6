package gitplumb

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// AllObjects streams every object of the repository, in pack order, as
// `git cat-file --batch-all-objects --batch --unordered` prints them. wait
// ends git, killing it first when readErr (the reader's error) is not nil,
// and returns readErr or git's failure, with what git said.
func (g *Git) AllObjects(ctx context.Context) (out io.Reader, wait func(readErr error) error, err error) {
	// Reading the pack front to back needs no large mmap windows: these
	// settings cut git's resident memory on symfony from 520 MB to 245 MB
	// at no measurable cost (docs/git-history-measurements.md).
	cmd := g.Command(ctx, "-c", "core.packedGitLimit=64m", "-c", "core.packedGitWindowSize=16m",
		"-c", "core.deltaBaseCacheLimit=48m", "cat-file", "--batch-all-objects", "--batch", "--unordered")
	stderr := &Stderr{}
	cmd.Stderr = stderr
	stdin, r, err := startPiped(cmd)
	if err != nil {
		return nil, nil, err
	}
	stdin.Close()
	wait = func(readErr error) error {
		defer r.Close()
		if readErr != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return stderr.Wrap(readErr)
		}
		return stderr.Wrap(cmd.Wait())
	}
	return readCloser{r}, wait, nil
}

// ObjectStore returns the repository's object id length in bytes and its
// object directory, from one git rev-parse.
func (g *Git) ObjectStore(ctx context.Context) (int, string, error) {
	cmd := g.Command(ctx, "rev-parse", "--show-object-format", "--git-path", "objects")
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, "", fmt.Errorf("git rev-parse --show-object-format: %w", stderr.Wrap(err))
	}
	format, dir, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	dir = strings.TrimSpace(dir)
	if dir != "" && !filepath.IsAbs(dir) {
		dir = filepath.Join(cmd.Dir, dir)
	}
	switch strings.TrimSpace(format) {
	case "sha1":
		return 20, dir, nil
	case "sha256":
		return 32, dir, nil
	}
	return 0, "", fmt.Errorf("unknown object format %q", Truncate(format, 40))
}

// Tips returns the commits every ref and every worktree's HEAD point to,
// where rev-list --all starts from. If rev-list cannot (a ref names a
// missing object), it falls back to the refs' raw values, which the caller then
// checks one by one, so one bad ref does not stop the scan.
func (g *Git) Tips(ctx context.Context) ([]string, error) {
	cmd := g.Command(ctx, "rev-list", "--no-walk", "--all")
	if out, err := cmd.Output(); err == nil {
		return strings.Fields(string(out)), nil
	}
	cmd = g.Command(ctx, "for-each-ref", "--format=%(objectname)")
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git for-each-ref: %w", stderr.Wrap(err))
	}
	tips := strings.Fields(string(out))
	head := g.Command(ctx, "rev-parse", "--verify", "--quiet", "HEAD")
	if out, err := head.Output(); err == nil { // an unborn HEAD is no tip
		tips = append(tips, strings.TrimSpace(string(out)))
	}
	return tips, nil
}
