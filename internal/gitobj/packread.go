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
	"github.com/leakhound/leakhound/internal/packfile"
	"github.com/leakhound/leakhound/internal/source"
)

// Incremental is a detector that can scan a new version of a content by
// what changed since a version it already scanned (detect.Detector).
type Incremental interface {
	DetectMemo(*detect.Fragment) ([]detect.Finding, detect.Memo, error)
	DetectChanged(*detect.Fragment, []byte, []detect.Span, []detect.Copy, detect.Memo) ([]detect.Finding, []detect.Span, detect.Memo, error)
}

// errNoPacks says the in-process reader cannot read this repository's
// object store; Read then asks git.
var errNoPacks = errors.New("object store not readable in-process")

// blobScan is what scanning a blob leaves for the blobs stored as deltas
// on it: its candidates and the detector's memo. A base without one (too
// large to scan) or a binary one makes them scan in full.
type blobScan struct {
	found  []detect.Finding
	memo   detect.Memo
	binary bool
	// owned is how many bytes a scan by delta covered; -1 for a whole scan.
	owned int
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

	// Number every object first, so the workers share a read-only map
	// from the walk's numbers to the store's indexes.
	table := make([]uint32, repo.Count())
	first := st.extend(repo.Count())
	repo.IDs(func(n int, id []byte) { table[n] = st.internAt(first+uint32(n), id) })
	claimed := make([]atomic.Bool, st.count())
	log.Debug("numbered every object", "elapsed", time.Since(start))

	// Commits, trees and tags go to one goroutine, which owns the store.
	type record struct {
		idx   uint32
		kind  packfile.Kind
		data  []byte
		reuse treeReuse // runs is nil when nothing is taken from a base
	}
	records := make(chan record, 256)
	// Runs and buffers go back to the workers once the store has used
	// them. A free list as deep as the queue: the shared one (getBuf)
	// keeps 16 buffers a size, and the queue's ebb and flow made every
	// third tree or commit a new, zeroed buffer (3% of symfony's time).
	spareRuns := make(chan []reuseRun, 512)
	spareBufs := make(chan []byte, 320)
	var addErr error
	var adding sync.WaitGroup
	adding.Add(1)
	go func() {
		defer adding.Done()
		for r := range records {
			if addErr == nil {
				var reuse *treeReuse
				if r.reuse.runs != nil {
					reuse = &r.reuse
				}
				addErr = st.addReusing(r.idx, r.kind.String(), r.data, reuse)
			}
			if cap(r.data) <= maxSpareBuf {
				select {
				case spareBufs <- r.data[:0]:
				default:
				}
			}
			if r.reuse.runs != nil {
				select {
				case spareRuns <- r.reuse.runs[:0]:
				default:
				}
			}
		}
	}()

	threads := max(p.Threads, 1)
	type result struct {
		found    map[uint32][]detect.Finding
		binary   []uint32
		tooLarge []uint32
		blobs    []uint32
		err      error
		scratch  deltaScratch
		byDelta  int
		owned    int64
		total    int64
		trees    treeWorker
	}
	results := make([]result, threads)
	for i := range results {
		results[i].found = map[uint32][]detect.Finding{}
	}
	var badMu sync.Mutex
	var bad []*packfile.ObjectError
	visit := func(w int, o *packfile.Object) error {
		idx := table[o.N]
		first := claimed[idx].CompareAndSwap(false, true)
		res := &results[w]
		if o.Kind != packfile.Blob {
			var reuse treeReuse
			if o.Kind == packfile.Tree && !p.noTreeReuse {
				reuse = res.trees.reuse(o, st.hashLen, first, table, spareRuns)
			}
			if first {
				var buf []byte
				select {
				case buf = <-spareBufs:
				default:
				}
				records <- record{idx, o.Kind, append(buf, o.Data...), reuse}
			}
			return nil
		}
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
			return nil
		}
		if bytes.IndexByte(o.Data[:min(len(o.Data), source.BinarySniff)], 0) >= 0 {
			if first {
				res.binary = append(res.binary, idx)
				ev.Skipped("blob "+hex.EncodeToString(o.ID), source.SkipBinary)
			}
			o.State = &blobScan{binary: true}
			return nil
		}
		scan, err := p.scanBlob(o, detectFn, &res.scratch)
		if scan.owned >= 0 {
			res.byDelta++
			res.owned += int64(scan.owned)
			res.total += int64(len(o.Data))
		}
		if err != nil && res.err == nil {
			res.err = err
		}
		o.State = scan
		if first {
			if len(scan.found) > 0 {
				res.found[idx] = scan.found
			}
			ev.Scanned("", int64(len(o.Data)))
		}
		return nil
	}
	werr := repo.Walk(ctx, threads, visit, func(e *packfile.ObjectError) {
		badMu.Lock()
		bad = append(bad, e)
		badMu.Unlock()
	})
	close(records)
	adding.Wait()
	for _, res := range results {
		for _, idx := range res.blobs {
			st.kind[idx] = kindBlob
		}
		for idx, cands := range res.found {
			st.found[idx] = cands
			st.blobState[idx] = blobFound
		}
		for _, idx := range res.binary {
			st.blobState[idx] = blobBinary
		}
		for _, idx := range res.tooLarge {
			st.blobState[idx] = blobTooLarge
		}
	}
	var byDelta int
	var owned, total int64
	for _, res := range results {
		byDelta += res.byDelta
		owned += res.owned
		total += res.total
	}
	log.Debug("read objects in-process", "packs", repo.Packs(), "objects", repo.Count(),
		"blobs_scanned_by_delta", byDelta, "their_bytes", total, "bytes_rescanned_in_them", owned, "unreadable", len(bad))
	// An object that could not be read stays unknown to the store: the
	// attribution reports every commit that needed it, and why.
	for _, b := range bad {
		st.unreadable[st.intern(b.ID)] = fmt.Sprintf("%v, in %s", b.Err, b.Where)
		log.Debug("unreadable object", "error", b)
	}
	if werr != nil {
		return werr
	}
	if addErr != nil {
		return addErr
	}
	for _, res := range results {
		if res.err != nil {
			return res.err
		}
	}
	return nil
}

// scanBlob scans a blob: by what its delta changed when its base was
// scanned and the detector can, whole otherwise.
func (p *Reader) scanBlob(o *packfile.Object, detectFn source.DetectFunc, sc *deltaScratch) (*blobScan, error) {
	f := &detect.Fragment{Content: o.Data, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindHistory}}
	if p.Incremental == nil {
		found, err := detectFn(f)
		return &blobScan{found: found, owned: -1}, err
	}
	base, _ := stateOf(o.Base)
	if base == nil || base.binary {
		found, memo, err := p.Incremental.DetectMemo(f)
		return &blobScan{found: found, memo: memo, owned: -1}, err
	}
	changed, copies := deltaChanges(o.Ops, o.Base.Data, o.Data, sc.changed[:0], sc.copies[:0])
	sc.changed, sc.copies = changed, copies
	fresh, owned, memo, err := p.Incremental.DetectChanged(f, o.Base.Data, changed, copies, base.memo)
	found := detect.Carry(base.found, o.Base.Data, copies, owned, o.Data)
	if len(fresh) > 0 {
		found = append(found, fresh...)
		detect.SortFindings(found)
	}
	n := 0
	for _, o := range owned {
		n += o.Hi - o.Lo
	}
	return &blobScan{found: found, memo: memo, owned: n}, err
}

// deltaChanges turns a delta's instructions into the ranges of the new
// version that changed and the stretches it copied from the base. git's
// encoder often copies an unchanged stretch from another place in the base
// that holds the same bytes, or inserts bytes the base has right there:
// neither is a change, and counting them would rescan most lines. A
// stretch that continues the previous one, byte for byte, is one copy;
// where two stretches from different places meet is a change of no length.
func deltaChanges(ops []packfile.Op, base, data []byte, changed []detect.Span, copies []detect.Copy) ([]detect.Span, []detect.Copy) {
	next := 0 // where in base a continuing stretch would come from; -1 after an insert
	for _, op := range ops {
		t := data[op.Target : op.Target+op.Len]
		if next >= 0 && next+op.Len <= len(base) && (op.Base == next || bytes.Equal(base[next:next+op.Len], t)) {
			if n := len(copies); n > 0 && copies[n-1].To+copies[n-1].Len == op.Target && copies[n-1].From+copies[n-1].Len == next {
				copies[n-1].Len += op.Len
			} else {
				copies = append(copies, detect.Copy{To: op.Target, From: next, Len: op.Len})
			}
			next += op.Len
			continue
		}
		if op.Base < 0 {
			if n := len(changed); n > 0 && changed[n-1].Hi == op.Target {
				changed[n-1].Hi += op.Len
			} else {
				changed = append(changed, detect.Span{Lo: op.Target, Hi: op.Target + op.Len})
			}
			next = -1
			continue
		}
		if n := len(changed); op.Target > 0 && (n == 0 || changed[n-1].Hi != op.Target) {
			changed = append(changed, detect.Span{Lo: op.Target, Hi: op.Target})
		}
		copies = append(copies, detect.Copy{To: op.Target, From: op.Base, Len: op.Len})
		next = op.Base + op.Len
	}
	return changed, copies
}

// deltaScratch is a worker's reusable memory for scanBlob.
type deltaScratch struct {
	changed []detect.Span
	copies  []detect.Copy
}

func stateOf(o *packfile.Object) (*blobScan, bool) {
	if o == nil {
		return nil, false
	}
	s, ok := o.State.(*blobScan)
	return s, ok
}
