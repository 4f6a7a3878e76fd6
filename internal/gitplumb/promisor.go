package gitplumb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Promisor reports whether the repository is a partial clone (it has
// extensions.partialClone or a remote with promisor=true). In one, git
// fetches a missing object on demand; with fetching disabled, cat-file
// dies at the first missing object instead of answering "missing", so a
// scan must only ask for objects known to be here (see Present).
func (g *Git) Promisor(ctx context.Context) (bool, error) {
	cmd := g.Command(ctx, "config", "--null", "--get-regexp", `^(extensions\.partialclone|remote\..*\.promisor)$`)
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 { // no such key
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("git config: %w", stderr.Wrap(err))
	}
	for _, kv := range bytes.Split(out, []byte{0}) {
		key, val, _ := strings.Cut(string(kv), "\n")
		switch {
		case key == "":
		case strings.HasPrefix(key, "extensions."):
			return true, nil
		case val != "false" && val != "no" && val != "off" && val != "0":
			return true, nil
		}
	}
	return false, nil
}

// Present returns the ids of every object the repository holds, from
// `git cat-file --batch-check --batch-all-objects`, which lists what is
// here and never fetches.
func (g *Git) Present(ctx context.Context) (map[string]struct{}, error) {
	cmd := g.Command(ctx, "cat-file", "--batch-check=%(objectname)", "--batch-all-objects", "--unordered")
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	ids := map[string]struct{}{}
	rerr := readIDs(bufio.NewReaderSize(out, 64<<10), func(id string) error {
		ids[id] = struct{}{}
		return nil
	})
	werr := cmd.Wait()
	if rerr != nil {
		return nil, rerr
	}
	if werr != nil {
		return nil, fmt.Errorf("git cat-file --batch-all-objects: %w", stderr.Wrap(werr))
	}
	return ids, nil
}
