package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/history"
	"github.com/leakhound/leakhound/internal/pipeline"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/report"
)

// target scans what one kind of scan reads (a directory tree, a stream,
// what is staged, a repository's history) with the job's pipeline, loaded
// by then, writes the report and returns the exit code.
//
// It is a function, the run method of dirTarget, stdinTarget,
// stagedTarget or repoTarget, rather than an interface they implement: an
// interface whose method takes a *scanJob makes the linker keep every
// exported method of every type a scanJob reaches (text/template's
// reflection is linked in), which made the binary 3.5 MB larger (the
// progress bar's HTTP server, net/http, crypto/tls).
type target func(ctx context.Context, j *scanJob) int

// open opens what the scan reads, as the target that scans it and what
// to call when the scan is over. It is the only place that chooses by
// the kind of scan.
func (j *scanJob) open(ctx context.Context) (target, func(), error) {
	switch {
	case j.kind == "stdin":
		return stdinTarget{}.run, func() {}, nil
	case j.kind == "git" && j.g.staged:
		return j.openStaged(ctx)
	case j.kind == "git" || j.kind == "audit":
		t, err := j.openRepo(ctx)
		if err != nil {
			return nil, nil, err
		}
		return t.run, func() {}, nil
	}
	return dirTarget{}.run, func() {}, nil
}

// runSource runs the pipeline over a source with the progress display
// on, and returns its result and how long it took.
func (j *scanJob) runSource(ctx context.Context, src func(source.Events) source.Source) (*pipeline.Result, time.Duration) {
	j.startProgress()
	defer j.prog.stop()
	res := j.sc.Run(ctx, src)
	return res, time.Since(j.start)
}

// runFinder is runSource for a source that finds candidates itself, and
// may scan a content by its changes with the run's pipeline.Incremental.
func (j *scanJob) runFinder(ctx context.Context, src func(source.Events, pipeline.Incremental) source.Finder) *pipeline.Result {
	j.startProgress()
	defer j.prog.stop()
	return j.sc.RunIncremental(ctx, src)
}

func (j *scanJob) startProgress() {
	j.start = time.Now()
	j.prog.start(&j.sc.Found)
}

// finish writes the report and the summary and picks the exit code; kind
// names what was scanned in the summary.
func (j *scanJob) finish(ctx context.Context, res *pipeline.Result, elapsed time.Duration, kind string, notes ...string) int {
	return finish(ctx, res, j.rep, j.f, j.env, j.log, elapsed, kind, notes...)
}

func (j *scanJob) maxBytes() int64 { return int64(j.f.maxMB) << 20 }

// sarifOrigin records, for a SARIF report, the repository scanned.
func (j *scanJob) sarifOrigin(ctx context.Context, origin func(context.Context) (uri, revision, branch string)) {
	if strings.EqualFold(j.f.format, "sarif") {
		uri, rev, branch := origin(ctx)
		j.f.repo = &report.Repository{URI: uri, Revision: rev, Branch: branch}
	}
}

// dirTarget is files and directory trees (leakhound dir).
type dirTarget struct{}

func (dirTarget) run(ctx context.Context, j *scanJob) int {
	res, elapsed := j.runSource(ctx, func(ev source.Events) source.Source {
		return &source.Dir{Roots: j.pos, MaxBytes: j.maxBytes(), Threads: j.f.threads, SkipPath: j.sc.Global.SkipsPath, Events: ev}
	})
	return j.finish(ctx, res, elapsed, j.kind)
}

// stdinTarget is standard input, as one stream (leakhound stdin).
type stdinTarget struct{}

func (stdinTarget) run(ctx context.Context, j *scanJob) int {
	res, elapsed := j.runSource(ctx, func(ev source.Events) source.Source {
		return &source.Stdin{R: j.env.Stdin, Threads: j.f.threads, Events: ev}
	})
	return j.finish(ctx, res, elapsed, j.kind)
}

// openStaged opens what is staged (leakhound git --staged); the files
// it holds open are closed when the scan is over.
func (j *scanJob) openStaged(ctx context.Context) (target, func(), error) {
	t, err := openStaged(ctx, j.pos[0], j.env, j.log)
	if err != nil {
		return nil, nil, err
	}
	j.sarifOrigin(ctx, t.Origin)
	return t.run, t.Close, nil
}

func (t *stagedTarget) run(ctx context.Context, j *scanJob) int {
	res, elapsed := j.runSource(ctx, func(ev source.Events) source.Source {
		return t.source(j.f, j.sc.Global.SkipsPath, ev, j.log)
	})
	return j.finish(ctx, res, elapsed, "staged", stagedNotes(t.diff)...)
}

// repoTarget is a repository's history (leakhound git, leakhound audit).
type repoTarget struct {
	repo  *gitplumb.Git
	audit bool
	// Whether the repository is shallow or partial is only needed for
	// the summary, so git is asked while the scan runs; stateDone waits
	// for the answer, in state.
	state     repoState
	stateDone func() error
}

// openRepo opens the repository and starts asking git what it lacks.
func (j *scanJob) openRepo(ctx context.Context) (*repoTarget, error) {
	repo, err := gitplumb.Open(ctx, j.pos[0], "")
	if err != nil {
		return nil, err
	}
	t := &repoTarget{repo: repo, audit: j.kind == "audit"}
	done := make(chan error, 1)
	go func() {
		var err error
		t.state, err = inspectRepo(ctx, repo)
		done <- err
	}()
	t.stateDone = sync.OnceValue(func() error { return <-done })
	j.sarifOrigin(ctx, repo.Origin)
	return t, nil
}

func (t *repoTarget) run(ctx context.Context, j *scanJob) int {
	pathDependent := j.det.PathDependent()
	if t.audit && pathDependent {
		fmt.Fprintf(j.env.Stderr, "leakhound audit: %s has rules that depend on the path, which the audit's one-pass history scan cannot apply; use leakhound git with it\n", j.set.Source)
		return ExitError
	}
	everyRef := len(j.revs) == 0 && !pathDependent
	var ss *history.StateScan
	if j.g.state != "" {
		var err error
		if ss, err = openState(everyRef, j.g.state, j.kind, j.set, j.sc, j.f, j.log); err != nil {
			fmt.Fprintf(j.env.Stderr, "leakhound %s: %v\n", j.kind, err)
			return ExitError
		}
	}
	if everyRef {
		return t.runPacks(ctx, j, ss)
	}
	return t.runCommits(ctx, j)
}

// runPacks scans every ref, reading each object once, in pack order
// (DESIGN §3), and only the new commits when ss holds the last scan's
// state.
func (t *repoTarget) runPacks(ctx context.Context, j *scanJob, ss *history.StateScan) int {
	// Its long-lived heap is the repository's trees; collecting when
	// the heap grows 40% rather than 100% over them keeps the whole
	// scan, git included, below gitleaks' memory on large histories,
	// for about 2% more CPU. GOGC, if set, wins.
	if j.env.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(40))
	}
	var ps *history.PackScan
	res := j.runFinder(ctx, func(ev source.Events, inc pipeline.Incremental) source.Finder {
		ps = &history.PackScan{Git: t.repo, MaxBytes: j.maxBytes(), Threads: j.f.threads, Events: ev, Logger: j.log,
			Progress: j.prog.Counters(), WantFacts: t.audit, Incremental: inc}
		if ss != nil {
			ss.Scan = ps
			return ss
		}
		return ps
	})
	if err := t.stateDone(); err != nil {
		fmt.Fprintf(j.env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	notes := t.state.notes(res)
	save := func() error { return nil }
	if ss != nil {
		keptResult(ss, res)
		notes = append(notes, stateNote(ss))
		// An audit's state also records what the worklist asked of
		// the refs: saved once the worklist is built.
		save = func() error { return closeState(j.g.state, ss, res) }
	}
	if t.audit {
		return finishAudit(ctx, res, ps.Facts, j.pos[0], j.f, j.env, j.log, time.Since(j.start), save, notes...)
	}
	if err := save(); err != nil {
		fmt.Fprintf(j.env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	return j.finish(ctx, res, time.Since(j.start), j.kind, notes...)
}

// runCommits scans the commits the rev-list arguments name, one by one.
func (t *repoTarget) runCommits(ctx context.Context, j *scanJob) int {
	res, elapsed := j.runSource(ctx, func(ev source.Events) source.Source {
		hist := &history.Walk{Git: t.repo, Args: j.revs, MaxBytes: j.maxBytes(), Events: ev, Logger: j.log, Progress: j.prog.Counters()}
		return source.Parallel{Source: hist, Threads: j.f.threads}
	})
	if err := t.stateDone(); err != nil {
		fmt.Fprintf(j.env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	return j.finish(ctx, res, elapsed, j.kind, t.state.notes(res)...)
}
