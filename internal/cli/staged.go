package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/gogit"
	"github.com/leakhound/leakhound/internal/source"
	stagedsrc "github.com/leakhound/leakhound/internal/staged"
	"github.com/leakhound/leakhound/rules"
)

// warmLoader returns the Loader a scan reads its rules with. When no
// configuration is named, the built-in rules are built on another
// goroutine while the scan opens what it reads (git's processes, or the
// index and HEAD for `git --staged`), and, when detector is set, their
// detector too. warmed returns that detector for a set that is the
// built-in one, else nil.
func warmLoader(config string, env Env, detector bool) (ld rules.Loader, warmed func(*rules.Set) *detect.Detector) {
	ld = loader()
	warmed = func(*rules.Set) *detect.Detector { return nil }
	if config != "" || env.Getenv("LEAKHOUND_CONFIG") != "" {
		return ld, warmed
	}
	if !detector {
		go func() { _, _ = ld.Default() }()
		return ld, warmed
	}
	type built struct {
		set *rules.Set
		d   *detect.Detector
	}
	ch := make(chan built, 1)
	go func() {
		set, err := ld.Default()
		if err != nil {
			ch <- built{}
			return
		}
		ch <- built{set, detect.New(set, nil)}
	}()
	wait := sync.OnceValue(func() built { return <-ch })
	return ld, func(set *rules.Set) *detect.Detector {
		if b := wait(); b.set == set {
			return b.d
		}
		return nil
	}
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

// stagedTarget is what a --staged scan reads: what is staged, and the
// reader its blobs come from, in process (go-git) or from git.
type stagedTarget struct {
	diff *gitplumb.StagedDiff
	// Exactly one of store (in process) and git (plumbing) is set.
	store *gogit.Store
	git   *gitplumb.Git
	repo  *gogit.Repo
}

// stagedReaderEnv chooses the reader of a --staged scan: "git" always
// asks git's plumbing, "go-git" reads in process and fails where it would
// fall back (for tests), anything else reads in process where it can.
const stagedReaderEnv = "LEAKHOUND_STAGED_READER"

// openStaged lists what is staged in the repository at path (named on
// the command line), reading the index git names in GIT_INDEX_FILE when
// it is set: git sets it for a pre-commit hook when the commit is made
// from a temporary index (`git commit -a`, `git commit PATH`), and the
// staged changes are only there.
//
// The index, HEAD and blobs are read in process with go-git, which
// starts no git process; where go-git cannot read the repository the way
// git would (internal/gogit says when), it falls back to git's plumbing
// and says why at debug level. Both give the same answers.
func openStaged(ctx context.Context, path string, env Env, log *slog.Logger) (*stagedTarget, error) {
	mode := env.Getenv(stagedReaderEnv)
	if mode != "git" {
		t, err := openStagedInProcess(path, env)
		if err == nil {
			log.Debug("reading the index, HEAD and blobs in process (go-git)", "git_dir", t.repo.GitDir)
			return t, nil
		}
		if mode == "go-git" {
			return nil, fmt.Errorf("%s: %s=go-git, but go-git cannot read it as git would: %w", path, stagedReaderEnv, err)
		}
		log.Debug("not reading in process (go-git); asking git's plumbing", "why", err.Error())
	}
	repo, err := gitplumb.Open(ctx, path, "")
	if err != nil {
		return nil, err
	}
	d, err := repo.DiffStaged(ctx, env.Getenv("GIT_INDEX_FILE"))
	if errors.Is(err, gitplumb.ErrBare) {
		return nil, fmt.Errorf("%s is a bare repository: it has no index, so nothing is staged "+
			"(leakhound git without --staged scans its history)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &stagedTarget{diff: d, git: repo}, nil
}

// openStagedInProcess reads what is staged with go-git; any error
// matches gogit.ErrFallback.
func openStagedInProcess(path string, env Env) (*stagedTarget, error) {
	repo, err := gogit.Open(path)
	if err != nil {
		return nil, err
	}
	store, err := repo.Store()
	if err != nil {
		return nil, err
	}
	d, err := store.DiffStaged(env.Getenv("GIT_INDEX_FILE"))
	if err == nil {
		err = store.Ensure(d)
	}
	if err != nil {
		store.Close()
		return nil, err
	}
	return &stagedTarget{diff: d, store: store, repo: repo}, nil
}

// Origin is what SARIF reports of the repository (gitplumb.Git.Origin).
func (t *stagedTarget) Origin(ctx context.Context) (uri, revision, branch string) {
	if t.git != nil {
		return t.git.Origin(ctx)
	}
	commit, branch := t.store.Head()
	return gitplumb.CleanRemoteURL(t.repo.OriginURL), commit, branch
}

// Close releases the in-process reader's files.
func (t *stagedTarget) Close() {
	if t.store != nil {
		t.store.Close()
	}
}

// source is the source of the scan: what is staged, detected on every
// thread; paths skip names are never read.
func (t *stagedTarget) source(f scanFlags, skip func(string) bool, ev source.Events, log *slog.Logger) source.Source {
	st := &stagedsrc.Source{Git: t.git, Diff: t.diff, MaxBytes: int64(f.maxMB) << 20, SkipPath: skip, Events: ev, Logger: log}
	if t.store != nil {
		st.Blobs = func(context.Context) (gitplumb.Blobs, error) { return t.store.Blobs(), nil }
	}
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
