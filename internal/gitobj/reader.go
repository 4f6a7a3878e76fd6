// Package gitobj is a repository's object store read once, in pack order:
// every commit and tree kept compactly in a Store, every blob scanned as
// it is read and kept only as its candidates. The packs are read in
// process where internal/packfile can (each entry inflated once, a blob
// stored as a delta scanned by the lines its delta changed), and through
// `git cat-file --batch-all-objects` (internal/gitplumb) where not.
//
// It reads objects and answers questions about them (Store's methods); it
// does not know commits' order, paths' history or what a finding is for:
// internal/history attributes the candidates to the commits that
// introduced them.
package gitobj

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
)

// Reader reads every object of a repository into a Store, scanning each
// blob with the caller's detect function on Threads goroutines.
type Reader struct {
	Git *gitplumb.Git
	// MaxBytes skips blobs larger than this many bytes; 0 means no limit.
	MaxBytes int64
	// Threads scan blobs in parallel; 0 means 1.
	Threads int
	// Logger receives debug detail; nil is silent.
	Logger *slog.Logger
	// Bytes, if not nil, counts the bytes of the blobs read, for a
	// progress display.
	Bytes *atomic.Int64
	// Incremental, when set, scans a blob stored as a delta by the lines
	// its delta changed, carrying its base's other candidates over.
	Incremental Incremental
	// CatFile reads objects through git cat-file even where the
	// in-process reader could.
	CatFile bool
	// noTreeReuse makes every tree be parsed whole, for tests that check
	// that taking entries from a delta's base changes nothing.
	noTreeReuse bool
}

// Read reads every object, in process where it can, and scans every blob.
// Blobs that cannot be scanned are reported through ev; an error is
// returned when git fails, the detect function does, or ctx is done
// (ctx's error, then).
func (p *Reader) Read(ctx context.Context, detectFn source.DetectFunc, ev source.Events) (*Store, error) {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hashLen, objects, err := p.Git.ObjectStore(ctx)
	if err != nil {
		return nil, err
	}
	st := NewStore(hashLen)
	start := time.Now()
	err = errNoPacks
	if !p.CatFile {
		err = p.readPacks(ctx, st, objects, detectFn, ev)
	}
	if errors.Is(err, errNoPacks) {
		err = p.read(ctx, st, detectFn, ev)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	log.Debug("read every object", "objects", st.count(), "tree_entries", st.nentries, "tree_entries_copied", st.copied,
		"tree_entries_stored", st.stored, "tree_segments", st.nsegs,
		"commits", len(st.commits), "blobs_with_candidates", len(st.found), "elapsed", time.Since(start))
	return st, nil
}

// Parse reads `git cat-file --batch` records (what AllObjects streams)
// from r into st, handing each blob that is not too large to scan with
// its index, hexadecimal id and content.
func (p *Reader) Parse(r *bufio.Reader, st *Store, scan func(idx uint32, id, data []byte)) error {
	return p.parse(r, st, nil, scan)
}
