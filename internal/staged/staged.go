// Package staged is the source of the pre-commit hook (DESIGN §1): what a
// commit made now would add, read from the index through internal/gitplumb
// (diff-index and cat-file) or, when the caller supplies them, internal/gogit's
// in-process diff and blobs. It yields fragments and never decides what is
// a secret; it never writes to the repository.
package staged

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/linediff"
	"github.com/leakhound/leakhound/internal/source"
)

// SkipUnmerged is the reason a path with an unresolved merge conflict in
// the index is not scanned: the commit cannot be made until it is staged
// again, and that staging is scanned then.
const SkipUnmerged source.SkipReason = "unmerged (conflict not resolved)"

// Source is a source.Source over what a commit made now would add
// (DESIGN §1, the pre-commit hook): for each path the index changes
// relative to HEAD, the lines of the index version that are not in
// HEAD's version of that path (or of the path it was renamed from), with
// a few context lines, as fragments whose provenance is KindStaged, the
// index path and no commit. Line numbers are those of the staged file.
// Deleted paths add nothing; symbolic links, submodules, binary blobs,
// blobs over MaxBytes, paths SkipPath names and unresolved conflicts are
// skipped and reported through Events.
type Source struct {
	Git *gitplumb.Git
	// Diff is what to scan; nil means Scan runs DiffStaged itself.
	Diff *gitplumb.StagedDiff
	// Blobs, if set, opens the reader the blobs come from; nil means a
	// `git cat-file --batch` (Git.CatFile).
	Blobs func(ctx context.Context) (gitplumb.Blobs, error)
	// IndexFile is the index to read when Diff is nil (see DiffStaged).
	IndexFile string
	// MaxBytes skips blobs larger than this many bytes; 0 means no limit.
	MaxBytes int64
	// SkipPath, if set, names paths never to read (a global path
	// allowlist drops whatever they hold: lock files, vendored code).
	SkipPath func(path string) bool
	// Context is how many lines around new lines each fragment holds;
	// 0 means linediff.DefaultContext.
	Context int
	// Events receives skipped and unreadable blobs; nil ignores them.
	Events source.Events
	// Logger receives debug detail; nil is silent.
	Logger *slog.Logger
}

var _ source.Source = (*Source)(nil)

// Scan emits the fragments, from one goroutine, in path order. A blob
// that cannot be read is reported through Events and the scan goes on;
// an error is returned only when git fails or emit does.
func (s *Source) Scan(ctx context.Context, emit source.Emit) error {
	ev := s.Events
	if ev == nil {
		ev = source.NopEvents{}
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	diff := s.Diff
	if diff == nil {
		var err error
		if diff, err = s.Git.DiffStaged(ctx, s.IndexFile); err != nil {
			return err
		}
	}
	todo := s.plan(diff.Changes, ev)
	if len(todo) == 0 {
		return nil
	}
	var cf gitplumb.Blobs
	var err error
	if s.Blobs != nil {
		cf, err = s.Blobs(ctx)
	} else {
		cf, err = s.Git.CatFile(ctx)
	}
	if err != nil {
		return err
	}
	defer cf.Close()
	// Every blob is requested up front so that git reads ahead while the
	// first ones are diffed; answers come back in request order.
	for _, ch := range todo {
		if err := cf.Request(ch.Blob); err != nil {
			return err
		}
		if ch.Old.HasBlob() {
			if err := cf.Request(ch.Old.Blob); err != nil {
				return err
			}
		}
	}
	sc := stagedScan{s: s, cf: cf, emit: emit, ev: ev, log: log}
	for _, ch := range todo {
		if err := sc.change(ch); err != nil {
			return err
		}
	}
	return nil
}

// plan returns the changes whose index version is a file to scan,
// reporting the others.
func (s *Source) plan(changes []gitplumb.StagedChange, ev source.Events) []*gitplumb.StagedChange {
	var todo []*gitplumb.StagedChange
	for i := range changes {
		ch := &changes[i]
		switch {
		case ch.Status == 'U':
			ev.Skipped(ch.Path, SkipUnmerged)
		case ch.Mode == gitplumb.ModeNone || gitplumb.IsZero(ch.Blob):
			// Deleted: nothing is added.
		case ch.Mode == gitplumb.ModeSymlink:
			ev.Skipped(ch.Path, source.SkipSymlink)
		case ch.Mode == gitplumb.ModeGitlink:
			ev.Skipped(ch.Path, source.SkipSubmodule)
		case !ch.Mode.Regular():
			ev.Skipped(ch.Path, source.SkipSpecial)
		case s.SkipPath != nil && s.SkipPath(ch.Path):
			ev.Skipped(ch.Path, source.SkipAllowlist)
		default:
			todo = append(todo, ch)
		}
	}
	return todo
}

// stagedScan is the state of one Source.Scan.
type stagedScan struct {
	s    *Source
	cf   gitplumb.Blobs
	emit source.Emit
	ev   source.Events
	log  *slog.Logger
	diff linediff.Differ
	// buf is reused for the index version: emit copies what it keeps.
	buf []byte
}

// change reads ch's blobs (the answers to its requests, in order) and
// emits what the index version adds.
func (sc *stagedScan) change(ch *gitplumb.StagedChange) error {
	nb, missing, err := sc.readNew()
	if err != nil {
		return err
	}
	olders, err := sc.readOld(ch)
	if err != nil {
		return err
	}
	if sc.skip(ch, nb, missing) {
		return nil
	}
	if err := sc.emitAdded(ch, nb.Data, olders); err != nil {
		return err
	}
	sc.ev.Scanned(ch.Path, int64(len(nb.Data)))
	return nil
}

// readNew reads the index version, into sc.buf; missing says why it is
// not a blob here, err is git failing.
func (sc *stagedScan) readNew() (nb gitplumb.Object, missing, err error) {
	nb, err = sc.cf.Next(sc.s.MaxBytes, sc.buf)
	switch {
	case errors.Is(err, gitplumb.ErrMissing):
		missing = err
	case err != nil:
		return nb, nil, err
	case nb.Type != "blob":
		missing = fmt.Errorf("object %s is a %s, not a blob", nb.ID, nb.Type)
	}
	if nb.Data != nil && cap(nb.Data) > cap(sc.buf) {
		sc.buf = nb.Data[:0]
	}
	return nb, missing, nil
}

// readOld reads HEAD's version of ch, when it has one, as the prior
// versions of the index version: none when it cannot be read.
func (sc *stagedScan) readOld(ch *gitplumb.StagedChange) ([][]byte, error) {
	if !ch.Old.HasBlob() {
		return nil, nil
	}
	// The old version may be as large as the new one may be.
	ob, err := sc.cf.Next(sc.s.MaxBytes, nil)
	switch {
	case errors.Is(err, gitplumb.ErrMissing):
	case err != nil:
		return nil, err
	case ob.Type == "blob" && !ob.TooLarge:
		return [][]byte{ob.Data}, nil
	}
	// A HEAD version we cannot read makes every line count as new:
	// better to report an old secret again than to miss one.
	sc.log.Debug("HEAD version unreadable; scanning the whole staged version",
		"path", ch.Path, "blob", ch.Old.Blob, "err", err)
	return nil, nil
}

// skip reports whether the index version is not scanned, telling Events
// why: missing, too large or binary.
func (sc *stagedScan) skip(ch *gitplumb.StagedChange, nb gitplumb.Object, missing error) bool {
	switch {
	case missing != nil:
		sc.ev.Failed(ch.Path, fmt.Errorf("staged version: %w", missing))
	case nb.TooLarge:
		sc.ev.Skipped(ch.Path, source.SkipTooLarge)
	case bytes.IndexByte(nb.Data[:min(len(nb.Data), source.BinarySniff)], 0) >= 0:
		sc.ev.Skipped(ch.Path, source.SkipBinary)
	default:
		return false
	}
	return true
}

// emitAdded emits the lines data, the index version, adds to olders,
// with their context.
func (sc *stagedScan) emitAdded(ch *gitplumb.StagedChange, data []byte, olders [][]byte) error {
	ctxLines := sc.s.Context
	if ctxLines == 0 {
		ctxLines = linediff.DefaultContext
	}
	prov := detect.Provenance{Kind: detect.KindStaged, Path: ch.Path, BlobID: ch.Blob}
	// HEAD's version is read into a buffer of its own and never changed,
	// so fragments may keep it: a secret it already holds is not new,
	// even on an edited line.
	for _, r := range sc.diff.Added(data, olders, ctxLines) {
		f := detect.Fragment{Content: data[r.Start:r.End], StartLine: r.Line,
			OwnedStart: r.OwnedStart, OwnedEnd: r.OwnedEnd, Prior: olders, Provenance: prov}
		if err := sc.emit(&f); err != nil {
			return err
		}
	}
	return nil
}
