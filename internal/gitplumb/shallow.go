package gitplumb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ShallowBoundaries returns how many commits a shallow clone's history
// stops at (the ids in its shallow file: their parents are not here), or 0
// when the repository is not shallow, as `git rev-parse
// --is-shallow-repository` decides.
func (g *Git) ShallowBoundaries(ctx context.Context) (int, error) {
	ids, err := g.ShallowCommits(ctx)
	return len(ids), err
}

// ShallowCommits returns the commits a shallow clone's history stops at:
// the ids in its shallow file, none when the repository is not shallow.
func (g *Git) ShallowCommits(ctx context.Context) ([]string, error) {
	cmd := g.Command(ctx, "rev-parse", "--is-shallow-repository", "--git-path", "shallow")
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git rev-parse --is-shallow-repository: %w", stderr.Wrap(err))
	}
	answer, path, _ := bytes.Cut(bytes.TrimRight(out, "\r\n"), []byte("\n"))
	if string(bytes.TrimSpace(answer)) != "true" {
		return nil, nil
	}
	p := string(bytes.TrimRight(path, "\r"))
	if !filepath.IsAbs(p) {
		p = filepath.Join(g.Dir, p)
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the shallow file: %w", err)
	}
	var ids []string
	for _, line := range bytes.Fields(data) {
		if validID(string(line)) {
			ids = append(ids, string(line))
		}
	}
	return ids, nil
}
