package gitplumb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RevList streams the ids of the commits that `git rev-list` selects with
// args, oldest first (--topo-order --reverse: every parent before its
// children), calling fn for each. args may hold a range ("A..B"), a
// branch, --since=, --until= and other rev-list options; when they name no
// positive revision, --all is added, so by default every ref is walked.
// If fn returns an error, git is stopped and that error returned.
func (g *Git) RevList(ctx context.Context, args []string, fn func(id string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := []string{"rev-list", "--topo-order", "--reverse"}
	if !namesRevision(args) {
		full = append(full, "--all")
	}
	full = append(full, args...)
	cmd := g.Command(ctx, full...)
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git rev-list: %w", err)
	}
	ferr := readIDs(bufio.NewReaderSize(out, 64<<10), fn)
	if ferr != nil {
		cancel()
		_ = cmd.Wait()
		return ferr
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git rev-list %s: %w", strings.Join(args, " "), stderr.Wrap(err))
	}
	return nil
}

func readIDs(r *bufio.Reader, fn func(string) error) error {
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			id := strings.TrimRight(string(line), "\n")
			if !validID(id) {
				return fmt.Errorf("git rev-list: unexpected output line %q", Truncate(id, 80))
			}
			if err := fn(id); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("git rev-list: %w", err)
		}
	}
}

// namesRevision reports whether args select commits themselves: a
// positive revision or range, or an option such as --all or --branches.
func namesRevision(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		switch {
		case a == "--all",
			strings.HasPrefix(a, "--branches"), strings.HasPrefix(a, "--tags"),
			strings.HasPrefix(a, "--remotes"), strings.HasPrefix(a, "--glob="):
			return true
		case a == "" || a[0] == '-' || a[0] == '^':
			continue
		default:
			return true
		}
	}
	return false
}

// Truncate shortens s, something git printed, to n bytes for an error
// message.
func Truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
