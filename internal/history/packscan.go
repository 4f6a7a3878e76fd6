package history

import (
	"context"
	"log/slog"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/attrib"
	"github.com/leakhound/leakhound/internal/gitobj"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
)

// PackScan scans a repository's whole history (every ref, DESIGN §3) by
// reading every object once, in pack order (gitobj.Reader: in process
// from the packs, or with one `git cat-file --batch-all-objects --batch
// --unordered`, about three times cheaper than generating diffs). Each
// blob is scanned once, on every core, while commits and trees are kept
// in a compact form. Then each commit is compared with its parents
// (attrib.Attributor) tree by tree, descending only into trees that
// hold a blob with candidates (or a blob that could not be read), and a
// candidate is reported for commit C at path P when C's version of P has
// it and none of the parents' versions of P has the same secret, nor any
// version of a path that C deleted or changed (a move). A merge reports
// only paths that differ from every parent (git's combined diff), so an
// evil merge is found and a clean one adds nothing.
//
// Rule sets whose rules depend on the path cannot scan content once for
// all its paths; use Walk for them (see detect.Detector.PathDependent).
type PackScan struct {
	Git *gitplumb.Git
	// MaxBytes skips blobs larger than this many bytes; 0 means no limit.
	MaxBytes int64
	// Threads scan blobs in parallel; 0 means 1.
	Threads int
	// Events receives skipped and unreadable items; nil ignores them.
	Events source.Events
	// Logger receives debug detail; nil is silent.
	Logger *slog.Logger
	// Progress, if not nil, is kept up to date while Find runs.
	Progress *Counters
	// WantFacts makes Find keep what a rotation audit asks (Facts) once the
	// history is scanned; it then holds the scan's store until dropped.
	WantFacts bool
	Facts     *Facts
	// Incremental, when set, scans a blob stored as a delta by the lines
	// its delta changed, carrying its base's other candidates over.
	Incremental gitobj.Incremental
	// CatFile reads objects through git cat-file even where the
	// in-process reader could.
	CatFile bool
	// attributed, when set, is called once every commit is attributed,
	// with the commits in the order they were (StateScan records them).
	attributed func(st *gitobj.Store, order []uint32, tips []string) error
}

var _ source.Finder = (*PackScan)(nil)

// Find reads every object, scans every blob, and emits each commit's new
// candidates, with their provenance.
func (p *PackScan) Find(parent context.Context, detectFn source.DetectFunc, emit func([]detect.Finding) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	ev := p.Events
	if ev == nil {
		ev = source.NopEvents{}
	}
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Where the refs point and where a shallow history stops are asked
	// while the objects are read.
	type refState struct {
		tips    []string
		shallow []string
		err     error
	}
	refs := make(chan refState, 1)
	go func() {
		var r refState
		if r.tips, r.err = p.Git.Tips(ctx); r.err == nil {
			r.shallow, r.err = p.Git.ShallowCommits(ctx)
		}
		refs <- r
	}()
	reader := &gitobj.Reader{Git: p.Git, MaxBytes: p.MaxBytes, Threads: p.Threads, Logger: p.Logger,
		Incremental: p.Incremental, CatFile: p.CatFile}
	if p.Progress != nil {
		reader.Bytes = &p.Progress.Bytes
	}
	st, err := reader.Read(ctx, detectFn, ev)
	if err != nil {
		return err
	}
	r := <-refs
	if r.err != nil {
		return r.err
	}
	tips := r.tips
	st.MarkShallow(r.shallow)
	start := time.Now()
	a := attrib.New(st, ev, emit)
	a.Threads = p.Threads
	if p.Progress != nil {
		a.Commits, a.CommitsTotal = &p.Progress.Commits, &p.Progress.CommitsTotal
	}
	err = a.Run(ctx, tips)
	log.Debug("attributed candidates to commits", "tips", len(tips), "elapsed", time.Since(start))
	if err == nil && p.attributed != nil {
		err = p.attributed(st, a.Order(), tips)
	}
	if err != nil || !p.WantFacts {
		return err
	}
	start = time.Now()
	p.Facts, err = p.buildFacts(ctx, st, a)
	log.Debug("gathered audit facts", "elapsed", time.Since(start))
	return err
}
