// Package history is the source of a repository's history (DESIGN §3):
// what each commit introduced, whatever path it lives at. It has three
// ways to read it. PackScan, for the whole history, reads every object
// once in pack order (in process from the packs where it can, through
// internal/packfile), scans each blob once and then attributes the
// candidates to the commits that introduced them, keeping the facts an
// audit needs (Facts). Walk walks a range of commits through
// diff-tree and cat-file (internal/gitplumb). StateScan makes PackScan
// incremental with a ScanState saved between runs (--state).
//
// Like every source it owns the I/O and the provenance and never decides
// what is a secret: blobs go to the caller's detect function.
package history

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/linediff"
	"github.com/leakhound/leakhound/internal/source"
)

// DefaultCacheBytes is the default for Walk.CacheBytes.
const DefaultCacheBytes = 64 << 20

// Walk is a source.Source over a repository's history (DESIGN §3): for
// each commit, parents before children, and each path it changed, it
// emits the lines of the new version that are in none of the parents'
// versions of that path, with a few context lines, as fragments whose
// provenance names the commit. A merge contributes only what is in none
// of its parents (an evil merge). A (new blob, parent blobs) combination
// is scanned once, for the first commit that has it, whatever the path.
type Walk struct {
	Git *gitplumb.Git
	// Args are rev-list arguments (a branch, a range, --since=...); none
	// means every ref.
	Args []string
	// MaxBytes skips blobs larger than this many bytes; 0 means no limit.
	MaxBytes int64
	// Context is how many lines around new lines each fragment holds;
	// 0 means linediff.DefaultContext.
	Context int
	// CacheBytes bounds the recently read blobs kept for reuse as
	// parents; 0 means DefaultCacheBytes.
	CacheBytes int64
	// Events receives skipped and unreadable blobs; nil ignores them.
	Events source.Events
	// Logger receives debug detail; nil is silent.
	Logger *slog.Logger
	// Progress, if not nil, is kept up to date while Scan runs.
	Progress *Counters
}

var _ source.Source = (*Walk)(nil)

// Scan walks the history and calls emit for each fragment, from one
// goroutine. Objects that are missing (shallow or partial clones, corrupt
// repositories) are reported through Events and the scan goes on; an
// error is returned only when git fails or emit does. In a partial clone
// only blobs that are present are asked for (see Promisor).
func (h *Walk) Scan(parent context.Context, emit source.Emit) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	dt, err := h.Git.DiffTree(ctx)
	if err != nil {
		return err
	}
	defer dt.Close()
	cf, err := h.Git.CatFile(ctx)
	if err != nil {
		return err
	}
	defer cf.Close()
	var present map[string]struct{}
	if promisor, err := h.Git.Promisor(ctx); err != nil {
		return err
	} else if promisor {
		if present, err = h.Git.Present(ctx); err != nil {
			return err
		}
	}

	fed := make(chan error, 1)
	go func() { fed <- h.feed(ctx, dt) }()

	w := h.newWalker(cf, emit)
	w.present = present
	var werr error
	for {
		c, err := dt.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			err = w.commit(c)
		}
		if err != nil {
			werr = err
			cancel()
			break
		}
	}
	ferr := <-fed
	switch {
	case parent.Err() != nil:
		return parent.Err()
	case werr != nil:
		return werr
	default:
		return ferr
	}
}

// feed writes rev-list's commits to diff-tree.
func (h *Walk) feed(ctx context.Context, dt *gitplumb.DiffTree) error {
	n := 0
	err := h.Git.RevList(ctx, h.Args, func(id string) error {
		if err := dt.Request(id); err != nil {
			return err
		}
		if n++; n%256 == 0 {
			return dt.Flush()
		}
		return nil
	})
	if cerr := dt.CloseRequests(); err == nil {
		err = cerr
	}
	return err
}

// walker holds the state of one Scan.
type walker struct {
	h       *Walk
	cf      *gitplumb.CatFile
	emit    source.Emit
	events  source.Events
	log     *slog.Logger
	context int
	diff    linediff.Differ
	cache   *blobCache
	seen    map[[16]byte]struct{}
	// present, in a partial clone, holds the objects that are here.
	present map[string]struct{}
	// The blobs the current commit needs: have holds those read or taken
	// from the cache, refs how many of its changes still need each.
	have   map[string]blob
	refs   map[string]int
	todo   []*gitplumb.Change
	olders [][]byte
}

// blob is one blob's content or why there is none.
type blob struct {
	data     []byte
	tooLarge bool
	err      error
}

func (h *Walk) newWalker(cf *gitplumb.CatFile, emit source.Emit) *walker {
	w := &walker{h: h, cf: cf, emit: emit, events: h.Events, log: h.Logger, context: h.Context,
		seen: map[[16]byte]struct{}{}, have: map[string]blob{}, refs: map[string]int{}}
	if w.events == nil {
		w.events = source.NopEvents{}
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.context == 0 {
		w.context = linediff.DefaultContext
	}
	size := h.CacheBytes
	if size == 0 {
		size = DefaultCacheBytes
	}
	w.cache = newBlobCache(size)
	return w
}

// commit scans the changes of c not scanned before: first it asks
// cat-file for every blob they need, so that git reads ahead while the
// changes are diffed and emitted in order.
func (w *walker) commit(c *gitplumb.Commit) error {
	w.todo = w.todo[:0]
	for i := range c.Changes {
		ch := &c.Changes[i]
		if ch.Deleted() || !w.first(ch) {
			continue
		}
		switch {
		case ch.Mode == gitplumb.ModeSymlink:
			w.events.Skipped(ch.Path, source.SkipSymlink)
		case ch.Mode == gitplumb.ModeGitlink:
			w.events.Skipped(ch.Path, source.SkipSubmodule)
		case !ch.Mode.Regular():
			w.events.Skipped(ch.Path, source.SkipSpecial)
		default:
			w.todo = append(w.todo, ch)
			w.need(ch.Blob)
			for _, p := range ch.Parents {
				if p.HasBlob() {
					w.need(p.Blob)
				}
			}
		}
	}
	for _, ch := range w.todo {
		if err := w.change(c, ch); err != nil {
			return err
		}
	}
	return nil
}

// first reports whether ch's (new blob, parent blobs) combination is new,
// and remembers it. The key is a digest, so memory stays at 16 bytes per
// combination however many parents a merge has.
func (w *walker) first(ch *gitplumb.Change) bool {
	h := sha256.New()
	h.Write([]byte(ch.Blob))
	for _, p := range ch.Parents {
		h.Write([]byte{' '})
		if p.HasBlob() {
			h.Write([]byte(p.Blob))
		}
	}
	var key [16]byte
	copy(key[:], h.Sum(nil))
	if _, ok := w.seen[key]; ok {
		return false
	}
	w.seen[key] = struct{}{}
	return true
}

// need notes that a change of the current commit needs blob id, taking it
// from the cache or asking cat-file for it.
func (w *walker) need(id string) {
	if w.refs[id] > 0 {
		w.refs[id]++
		return
	}
	w.refs[id] = 1
	if data, ok := w.cache.get(id); ok {
		w.have[id] = blob{data: data}
		return
	}
	if _, ok := w.present[id]; w.present != nil && !ok {
		w.have[id] = blob{err: &gitplumb.MissingError{ID: id, Answer: "missing (not fetched into this partial clone)"}}
		return
	}
	if err := w.cf.Request(id); err != nil {
		w.have[id] = blob{err: err}
	}
}

// get returns blob id, reading cat-file's answers up to it. Answers come
// in request order and need requested ids in change order, so every
// answer read on the way is one a change up to this one needs.
func (w *walker) get(id string) (blob, error) {
	for {
		if b, ok := w.have[id]; ok {
			return b, nil
		}
		obj, err := w.cf.Next(w.h.MaxBytes, nil)
		switch {
		case errors.Is(err, gitplumb.ErrMissing):
			var me *gitplumb.MissingError
			errors.As(err, &me)
			w.have[me.ID] = blob{err: err}
		case err != nil:
			return blob{}, err
		case obj.Type != "blob":
			w.have[obj.ID] = blob{err: fmt.Errorf("object %s is a %s, not a blob", obj.ID, obj.Type)}
		case obj.TooLarge:
			w.have[obj.ID] = blob{tooLarge: true}
		default:
			w.have[obj.ID] = blob{data: obj.Data}
			w.cache.add(obj.ID, obj.Data)
		}
	}
}

// release notes that a change is done with blob id.
func (w *walker) release(id string) {
	if w.refs[id]--; w.refs[id] <= 0 {
		delete(w.refs, id)
		delete(w.have, id)
	}
}

// change scans what ch's new blob adds to its parents' blobs.
func (w *walker) change(c *gitplumb.Commit, ch *gitplumb.Change) error {
	defer func() {
		w.release(ch.Blob)
		for _, p := range ch.Parents {
			if p.HasBlob() {
				w.release(p.Blob)
			}
		}
	}()
	nb, err := w.get(ch.Blob)
	if err != nil {
		return err
	}
	switch {
	case nb.err != nil:
		w.events.Failed(ch.Path, fmt.Errorf("commit %s: %w", c.ID, nb.err))
		return nil
	case nb.tooLarge:
		w.events.Skipped(ch.Path, source.SkipTooLarge)
		return nil
	case bytes.IndexByte(nb.data[:min(len(nb.data), source.BinarySniff)], 0) >= 0:
		w.events.Skipped(ch.Path, source.SkipBinary)
		return nil
	}
	w.olders = w.olders[:0]
	for _, p := range ch.Parents {
		if !p.HasBlob() {
			continue
		}
		pb, err := w.get(p.Blob)
		if err != nil {
			return err
		}
		if pb.data == nil {
			// A parent we cannot read makes every line count as new:
			// better to report an old secret again than to miss one.
			w.log.Debug("parent blob unreadable; scanning the whole new version",
				"commit", c.ID, "path", ch.Path, "blob", p.Blob, "too_large", pb.tooLarge, "err", pb.err)
			continue
		}
		w.olders = append(w.olders, pb.data)
	}
	prov := detect.Provenance{Kind: detect.KindHistory, Path: ch.Path, Commit: c.ID,
		Author: c.Author, Email: c.Email, Date: c.Date, Message: c.Subject, BlobID: ch.Blob}
	// Blob contents are never modified once read, so fragments may keep
	// the parents' versions (a fresh slice: w.olders is reused).
	var prior [][]byte
	if len(w.olders) > 0 {
		prior = append(prior, w.olders...)
	}
	for _, r := range w.diff.Added(nb.data, w.olders, w.context) {
		f := detect.Fragment{Content: nb.data[r.Start:r.End], StartLine: r.Line,
			OwnedStart: r.OwnedStart, OwnedEnd: r.OwnedEnd, Prior: prior, Provenance: prov}
		if err := w.emit(&f); err != nil {
			return err
		}
	}
	w.events.Scanned(ch.Path, int64(len(nb.data)))
	return nil
}
