package gitobj

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/delta"
	"github.com/leakhound/leakhound/internal/packfile"
	"github.com/leakhound/leakhound/internal/source"
)

// Incremental is a detector that can scan a new version of a content by
// what changed since a version it already scanned (detect.Detector).
type Incremental interface {
	DetectMemo(*detect.Fragment) ([]detect.Finding, detect.Memo, error)
	DetectChanged(*detect.Fragment, []byte, []delta.Span, []delta.Copy, detect.Memo) ([]detect.Finding, detect.Memo, error)
}

// errNoPacks says the in-process reader cannot read this repository's
// object store; Read then asks git.
var errNoPacks = errors.New("object store not readable in-process")

// blobScan is what scanning a blob leaves for the blobs stored as deltas
// on it: its candidates and the detector's memo, which holds them too. A
// base without one (too large to scan) or a binary one makes them scan in
// full.
type blobScan struct {
	found  []detect.Finding
	memo   detect.Memo
	binary bool
	// rescanned is how many bytes a scan by delta scanned afresh (see
	// detect.Memo.Scanned); -1 for a whole scan.
	rescanned int
}

// maxSpareBuf bounds the buffers readPacks keeps for trees and commits.
const maxSpareBuf = 64 << 10

// readPacks reads every object in-process (internal/packfile): each pack
// entry is inflated once, and a blob stored as a delta is scanned by the
// lines its delta changed, the rest of its candidates carried over from
// its base (detect.DetectChanged). It returns errNoPacks, having read
// nothing, when the object store is in a form it does not read.
func (p *Reader) readPacks(ctx context.Context, st *Store, dir string, detectFn source.DetectFunc, ev source.Events) error {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if dir == "" {
		return errNoPacks
	}
	start := time.Now()
	repo, err := packfile.Open(dir, st.hashLen)
	if err != nil {
		log.Debug("reading objects with git instead", "reason", err)
		return errNoPacks
	}
	defer repo.Close()
	log.Debug("opened the packs' indexes", "packs", repo.Packs(), "objects", repo.Count(), "elapsed", time.Since(start))

	// Numbering reads the indexes and planning the packs: the two run
	// side by side before the parallel walk.
	var planned sync.WaitGroup
	planned.Go(repo.Plan)
	w := p.newPackWalk(st, repo, detectFn, ev)
	planned.Wait()
	log.Debug("numbered every object and planned the walk", "elapsed", time.Since(start))
	werr := repo.Walk(ctx, len(w.results), w.visit, w.unreadable)
	addErr := w.adder.close()
	detErr := mergeBlobs(st, w.results)
	w.report(repo, log)
	if werr != nil {
		return werr
	}
	if addErr != nil {
		return addErr
	}
	return detErr
}

// packWalk is one in-process read of every object: what the walk's
// workers share and, by worker, what each keeps to itself.
type packWalk struct {
	p        *Reader
	st       *Store
	detectFn source.DetectFunc
	ev       source.Events
	// table maps the walk's object numbers to the store's indexes, a
	// read-only map the workers share; claimed marks the objects a worker
	// has taken (a base is inflated again for each of its deltas).
	table   []uint32
	claimed []atomic.Bool
	adder   *objectAdder
	results []blobResults
	workers []packWorker
	badMu   sync.Mutex
	bad     []*packfile.ObjectError
}

// packWorker is a worker's scratch memory and counts, besides its
// blobResults.
type packWorker struct {
	scratch   deltaScratch
	byDelta   int
	rescanned int64
	total     int64
	trees     treeWorker
}

// newPackWalk numbers every object of repo in st first, so that the
// workers share a read-only table, and starts the goroutine that adds
// commits, trees and tags to st.
func (p *Reader) newPackWalk(st *Store, repo *packfile.Repo, detectFn source.DetectFunc, ev source.Events) *packWalk {
	w := &packWalk{p: p, st: st, detectFn: detectFn, ev: ev}
	w.table = make([]uint32, repo.Count())
	first := st.extend(repo.Count())
	repo.IDs(func(n int, id []byte) { w.table[n] = st.internAt(first+uint32(n), id) })
	w.claimed = make([]atomic.Bool, st.count())
	w.adder = newObjectAdder(st)
	threads := max(p.Threads, 1)
	w.results = newBlobResults(threads)
	w.workers = make([]packWorker, threads)
	return w
}

// visit reads object o on worker worker of the walk.
func (w *packWalk) visit(worker int, o *packfile.Object) error {
	idx := w.table[o.N]
	first := w.claimed[idx].CompareAndSwap(false, true)
	if o.Kind != packfile.Blob {
		var reuse treeReuse
		if o.Kind == packfile.Tree && !w.p.noTreeReuse {
			reuse = w.workers[worker].trees.reuse(o, w.st.hashLen, first, w.table, w.adder.spareRuns)
		}
		if first {
			w.adder.add(idx, o, reuse)
		}
		return nil
	}
	w.blob(&w.results[worker], &w.workers[worker], o, idx, first)
	return nil
}

// blob scans blob o, store index idx, unless it is too large or binary,
// and leaves what the blobs stored as deltas on it need in o.State. Only
// the worker that read it first (first) records it.
func (w *packWalk) blob(res *blobResults, pw *packWorker, o *packfile.Object, idx uint32, first bool) {
	p := w.p
	if first {
		res.blobs = append(res.blobs, idx)
		if p.Bytes != nil {
			p.Bytes.Add(int64(len(o.Data)))
		}
	}
	if p.MaxBytes > 0 && int64(len(o.Data)) > p.MaxBytes {
		if first {
			res.tooLarge = append(res.tooLarge, idx)
		}
		return
	}
	if isBinary(o.Data) {
		if first {
			res.binaryBlob(idx, hex.EncodeToString(o.ID), w.ev)
		}
		o.State = &blobScan{binary: true}
		return
	}
	scan, err := p.scanBlob(o, w.detectFn, &pw.scratch)
	if scan.rescanned >= 0 {
		pw.byDelta++
		pw.rescanned += int64(scan.rescanned)
		pw.total += int64(len(o.Data))
	}
	res.fail(err)
	o.State = scan
	if first {
		res.scanned(idx, scan.found, int64(len(o.Data)), w.ev)
	}
}

// unreadable keeps an object the walk could not read.
func (w *packWalk) unreadable(e *packfile.ObjectError) {
	w.badMu.Lock()
	w.bad = append(w.bad, e)
	w.badMu.Unlock()
}

// report logs the walk's counts and records the objects it could not
// read: they stay unknown to the store, and the attribution reports every
// commit that needed one, and why.
func (w *packWalk) report(repo *packfile.Repo, log *slog.Logger) {
	var byDelta int
	var rescanned, total int64
	for _, pw := range w.workers {
		byDelta += pw.byDelta
		rescanned += pw.rescanned
		total += pw.total
	}
	log.Debug("read objects in-process", "packs", repo.Packs(), "objects", repo.Count(),
		"blobs_scanned_by_delta", byDelta, "their_bytes", total, "bytes_rescanned_in_them", rescanned, "unreadable", len(w.bad))
	for _, b := range w.bad {
		w.st.unreadable[w.st.intern(b.ID)] = fmt.Sprintf("%v, in %s", b.Err, b.Where)
		log.Debug("unreadable object", "error", b)
	}
}

// objectAdder adds commits, trees and tags to the store from one
// goroutine, which owns the store while the walk runs.
type objectAdder struct {
	st      *Store
	records chan record
	// Runs and buffers go back to the workers once the store has used
	// them. A free list as deep as the queue: a bufPool keeps 16 buffers
	// a size, and the queue's ebb and flow made every third tree or
	// commit a new, zeroed buffer (3% of symfony's time).
	spareRuns chan []reuseRun
	spareBufs chan []byte
	err       error
	done      sync.WaitGroup
}

// record is a commit, tree or tag for the store.
type record struct {
	idx   uint32
	kind  packfile.Kind
	data  []byte
	reuse treeReuse // runs is nil when nothing is taken from a base
}

func newObjectAdder(st *Store) *objectAdder {
	a := &objectAdder{st: st, records: make(chan record, 256),
		spareRuns: make(chan []reuseRun, 512), spareBufs: make(chan []byte, 320)}
	a.done.Add(1)
	go a.run()
	return a
}

// add queues object o, store index idx, with a copy of its content.
func (a *objectAdder) add(idx uint32, o *packfile.Object, reuse treeReuse) {
	var buf []byte
	select {
	case buf = <-a.spareBufs:
	default:
	}
	a.records <- record{idx, o.Kind, append(buf, o.Data...), reuse}
}

func (a *objectAdder) run() {
	defer a.done.Done()
	for r := range a.records {
		if a.err == nil {
			var reuse *treeReuse
			if r.reuse.runs != nil {
				reuse = &r.reuse
			}
			a.err = a.st.addReusing(r.idx, r.kind.String(), r.data, reuse)
		}
		if cap(r.data) <= maxSpareBuf {
			select {
			case a.spareBufs <- r.data[:0]:
			default:
			}
		}
		if r.reuse.runs != nil {
			select {
			case a.spareRuns <- r.reuse.runs[:0]:
			default:
			}
		}
	}
}

// close waits for the queued objects to be added and returns the first
// error of adding one.
func (a *objectAdder) close() error {
	close(a.records)
	a.done.Wait()
	return a.err
}

// scanBlob scans a blob: by what its delta changed when its base was
// scanned and the detector can, whole otherwise.
func (p *Reader) scanBlob(o *packfile.Object, detectFn source.DetectFunc, sc *deltaScratch) (*blobScan, error) {
	f := &detect.Fragment{Content: o.Data, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindHistory}}
	if p.Incremental == nil {
		found, err := detectFn(f)
		return &blobScan{found: found, rescanned: -1}, err
	}
	base, _ := stateOf(o.Base)
	if base == nil || base.binary {
		found, memo, err := p.Incremental.DetectMemo(f)
		return &blobScan{found: found, memo: memo, rescanned: -1}, err
	}
	changed, copies := deltaChanges(o.Ops, o.Base.Data, o.Data, sc.changed[:0], sc.copies[:0])
	sc.changed, sc.copies = changed, copies
	found, memo, err := p.Incremental.DetectChanged(f, o.Base.Data, changed, copies, base.memo)
	return &blobScan{found: found, memo: memo, rescanned: memo.Scanned()}, err
}

// deltaChanges turns a delta's instructions into the ranges of the new
// version that changed and the stretches it copied from the base. git's
// encoder often copies an unchanged stretch from another place in the base
// that holds the same bytes, or inserts bytes the base has right there:
// neither is a change, and counting them would rescan most lines. A
// stretch that continues the previous one, byte for byte, is one copy;
// where two stretches from different places meet is a change of no length.
func deltaChanges(ops []packfile.Op, base, data []byte, changed []delta.Span, copies []delta.Copy) ([]delta.Span, []delta.Copy) {
	next := 0 // where in base a continuing stretch would come from; -1 after an insert
	for _, op := range ops {
		t := data[op.Target : op.Target+op.Len]
		if next >= 0 && next+op.Len <= len(base) && (op.Base == next || bytes.Equal(base[next:next+op.Len], t)) {
			if n := len(copies); n > 0 && copies[n-1].To+copies[n-1].Len == op.Target && copies[n-1].From+copies[n-1].Len == next {
				copies[n-1].Len += op.Len
			} else {
				copies = append(copies, delta.Copy{To: op.Target, From: next, Len: op.Len})
			}
			next += op.Len
			continue
		}
		if op.Base < 0 {
			if n := len(changed); n > 0 && changed[n-1].Hi == op.Target {
				changed[n-1].Hi += op.Len
			} else {
				changed = append(changed, delta.Span{Lo: op.Target, Hi: op.Target + op.Len})
			}
			next = -1
			continue
		}
		if n := len(changed); op.Target > 0 && (n == 0 || changed[n-1].Hi != op.Target) {
			changed = append(changed, delta.Span{Lo: op.Target, Hi: op.Target})
		}
		copies = append(copies, delta.Copy{To: op.Target, From: op.Base, Len: op.Len})
		next = op.Base + op.Len
	}
	return changed, copies
}

// deltaScratch is a worker's reusable memory for scanBlob.
type deltaScratch struct {
	changed []delta.Span
	copies  []delta.Copy
}

func stateOf(o *packfile.Object) (*blobScan, bool) {
	if o == nil {
		return nil, false
	}
	s, ok := o.State.(*blobScan)
	return s, ok
}
