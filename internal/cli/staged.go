package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/rules"
)

// warmLoader returns the Loader a scan reads its rules with. When no
// config is named, the built-in rules are likely to be used (alone or
// extended by a .leakhound.toml), so their parsing starts now, on another
// goroutine, and overlaps the scan's own start (git's processes for `git
// --staged`): a pre-commit hook's budget is a few tens of milliseconds,
// and parsing is most of leakhound's share of it.
func warmLoader(config string, env Env) rules.Loader {
	ld := loader()
	if config == "" && env.Getenv("LEAKHOUND_CONFIG") == "" {
		go func() { _, _ = ld.Default() }()
	}
	return ld
}

// stagedConflict reports the flags that cannot go with --staged.
func (g *gitFlags) stagedConflict() error {
	var bad []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"--range", g.rng != ""}, {"--branch", g.branch != ""}, {"--since", g.since != ""}, {"--until", g.until != ""}} {
		if f.set {
			bad = append(bad, f.name)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("--staged scans the index, not history: it cannot be combined with %s", strings.Join(bad, ", "))
	}
	return nil
}

// diffStaged lists what is staged in repo (named path on the command
// line), reading the index git names in GIT_INDEX_FILE when it is set:
// git sets it for a pre-commit hook when the commit is made from a
// temporary index (`git commit -a`, `git commit PATH`), and the staged
// changes are only there.
func diffStaged(ctx context.Context, repo *gitplumb.Git, path string, env Env) (*gitplumb.StagedDiff, error) {
	d, err := repo.DiffStaged(ctx, env.Getenv("GIT_INDEX_FILE"))
	if errors.Is(err, gitplumb.ErrBare) {
		return nil, fmt.Errorf("%s is a bare repository: it has no index, so nothing is staged "+
			"(leakhound git without --staged scans its history)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// stagedSource is the source of a --staged scan: what diff says is
// staged, detected on every thread; paths skip names are never read.
func stagedSource(repo *gitplumb.Git, diff *gitplumb.StagedDiff, f scanFlags, skip func(string) bool, ev source.Events, log *slog.Logger) source.Source {
	st := &gitplumb.Staged{Git: repo, Diff: diff, MaxBytes: int64(f.maxMB) << 20, SkipPath: skip, Events: ev, Logger: log}
	return source.Parallel{Source: st, Threads: f.threads}
}

// stagedNotes are the lines the summary of a --staged scan adds.
func stagedNotes(d *gitplumb.StagedDiff) []string {
	if len(d.Changes) > 0 {
		return nil
	}
	if d.Unborn {
		return []string{"nothing is staged (the repository has no commit yet and its index is empty)"}
	}
	return []string{"nothing is staged (the index matches HEAD)"}
}
