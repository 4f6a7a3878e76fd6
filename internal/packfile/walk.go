package packfile

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Visit is called once per object; an error stops the walk.
type Visit func(worker int, o *Object) error

// maxDepth bounds a delta chain (git writes at most 4095).
const maxDepth = 10000

// bigBuffer is the size above which a level's buffer is not kept for the
// next object.
const bigBuffer = 32 << 20

// plan is what one pass over a pack's headers learns: which entries are
// roots (stored whole), and each base's deltas.
type plan struct {
	kind     []Kind  // resolved kind, 0 when the entry cannot be read
	children []int32 // deltas, grouped by base: first[e] : first[e+1]
	first    []int32
	roots    []int32
	// Deltas on an object outside this pack, by entry.
	external map[int32]location
	bad      map[int32]error
}

// location is an entry of a pack, or a loose object (pack < 0).
type location struct{ pack, entry int }

// item is a unit of work: a root entry, a delta on another pack's object,
// or a loose object.
type item struct {
	pack, entry int
}

// Walk calls visit once for every object of every pack and every loose
// object, on threads goroutines (at least 1). Objects stored as deltas
// come after their base, on the same goroutine, with Base and Ops set.
// An object that cannot be read, and every object built on it, is passed
// to bad (from one goroutine at a time) and skipped. Walk stops at the
// first error visit returns, or when ctx is done.
func (r *Repo) Walk(ctx context.Context, threads int, visit Visit, bad func(*ObjectError)) error {
	var badMu sync.Mutex
	report := func(id []byte, where string, err error) {
		badMu.Lock()
		defer badMu.Unlock()
		bad(&ObjectError{ID: id, Where: where, Err: err})
	}
	r.Plan()
	plans := r.plans
	items := r.workItems(report)
	threads = max(threads, 1)
	var next, read atomic.Int64
	var stop atomic.Bool
	errs := make([]error, threads)
	var wg sync.WaitGroup
	for t := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &walker{r: r, plans: plans, visit: visit, report: report, n: t, stop: &stop, read: &read}
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[t] = err
					stop.Store(true)
					return
				}
				if err := w.item(items[i]); err != nil {
					errs[t] = err
					stop.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// workItems lists the walk's units of work from the plans: every pack's
// roots, then every loose object. It passes to report each entry no root
// reaches, and releases the packs' pages, which planning touched.
func (r *Repo) workItems(report func(id []byte, where string, err error)) []item {
	var items []item
	for pi, p := range r.packs {
		pl := r.plans[pi]
		for _, e := range pl.roots {
			items = append(items, item{pi, int(e)})
		}
		for e := range p.count {
			if pl.kind[e] != 0 {
				continue
			}
			if err := pl.bad[int32(e)]; err != nil {
				report(p.id(e), p.path, err)
			} else {
				// No root reaches it: a cycle of deltas by id, or a
				// delta on an unreadable entry.
				report(p.id(e), p.path, fmt.Errorf("%w: its delta base cannot be read", errCorrupt))
			}
		}
	}
	// Planning touched every header: every page of every pack.
	for _, p := range r.packs {
		p.release()
	}
	for i := range r.loose {
		items = append(items, item{-1, i})
	}
	return items
}

// Plan reads every header of every pack and links each delta to its
// base: the serial part of a walk, which touches every page of every
// pack. Walk plans if Plan was not called; a caller calls it itself to do
// other work meanwhile, such as numbering the objects (IDs), which reads
// only the indexes. Plan must not run concurrently with Walk.
func (r *Repo) Plan() {
	if r.plans != nil {
		return
	}
	r.plans = make([]*plan, len(r.packs))
	for pi, p := range r.packs {
		r.plans[pi] = r.plan(pi, p)
	}
}

// plan reads every header of pack pi and links each delta to its base.
func (r *Repo) plan(pi int, p *pack) *plan {
	pl := &plan{kind: make([]Kind, p.count), first: make([]int32, p.count+1),
		external: map[int32]location{}, bad: map[int32]error{}}
	base := r.readHeaders(pi, p, pl)
	pl.link(base)
	r.findRoots(pl)
	pl.flowKinds()
	return pl
}

// readHeaders reads every header of pack pi: an entry stored whole gets
// its kind in pl, a delta on another pack's object its location in
// pl.external, an unreadable one its error in pl.bad. It returns each
// entry's base entry in this pack, or -1.
func (r *Repo) readHeaders(pi int, p *pack, pl *plan) []int32 {
	base := make([]int32, p.count) // base entry, or -1
	// Headers are read front to back: the pages behind are done with.
	// Released as planning goes, they do not add the whole pack to the
	// peak of resident memory (366 MB of symfony's).
	released := 0
	for e := range p.count {
		if at := int(p.offsets[e]) &^ (pageSize - 1); at-released >= releaseEvery {
			p.releaseRange(released, at)
			released = at
		}
		base[e] = -1
		h, err := p.header(e)
		if err != nil {
			pl.bad[int32(e)] = err
			continue
		}
		switch h.kind {
		case ofsDelta:
			b := p.entryAt(h.baseOff)
			if b < 0 {
				pl.bad[int32(e)] = fmt.Errorf("%w: delta base is not an object's offset", errCorrupt)
				continue
			}
			base[e] = int32(b)
		case refDelta:
			if b := p.find(h.baseID); b >= 0 {
				base[e] = int32(b)
				continue
			}
			loc, ok := r.locate(h.baseID, pi)
			if !ok {
				pl.bad[int32(e)] = fmt.Errorf("delta base %x is missing", h.baseID)
				continue
			}
			pl.external[int32(e)] = loc
		default:
			pl.kind[e] = h.kind
		}
	}
	return base
}

// link groups the deltas by base (base[e] is e's base entry, or -1):
// pl.children[pl.first[b]:pl.first[b+1]] are b's.
func (pl *plan) link(base []int32) {
	n := len(base)
	for e := range n {
		if b := base[e]; b >= 0 {
			pl.first[b+1]++
		}
	}
	for e := range n {
		pl.first[e+1] += pl.first[e]
	}
	pl.children = make([]int32, pl.first[n])
	fill := append([]int32(nil), pl.first[:n]...)
	for e := range n {
		if b := base[e]; b >= 0 {
			pl.children[fill[b]] = int32(e)
			fill[b]++
		}
	}
}

// findRoots lists the roots: entries stored whole, and deltas on another
// pack's object, whose kind is that object's.
func (r *Repo) findRoots(pl *plan) {
	for e := range pl.kind {
		if pl.kind[e] != 0 {
			pl.roots = append(pl.roots, int32(e))
		} else if loc, ok := pl.external[int32(e)]; ok {
			k, err := r.kindAt(loc, 0)
			if err != nil {
				delete(pl.external, int32(e))
				pl.bad[int32(e)] = fmt.Errorf("delta base: %w", err)
				continue
			}
			pl.kind[e] = k
			pl.roots = append(pl.roots, int32(e))
		}
	}
}

// flowKinds gives each delta its root's kind. An entry no root reaches
// keeps kind 0 and is reported.
func (pl *plan) flowKinds() {
	var stack []int32
	for _, root := range pl.roots {
		stack = append(stack[:0], root)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, c := range pl.children[pl.first[x]:pl.first[x+1]] {
				if pl.kind[c] == 0 {
					pl.kind[c] = pl.kind[x]
					stack = append(stack, c)
				}
			}
		}
	}
}

// locate finds id in the packs other than skip, or among loose objects.
func (r *Repo) locate(id []byte, skip int) (location, bool) {
	for pi, p := range r.packs {
		if pi == skip {
			continue
		}
		if e := p.find(id); e >= 0 {
			return location{pi, e}, true
		}
	}
	for i, l := range r.loose {
		if string(l.id) == string(id) {
			return location{-1, i}, true
		}
	}
	return location{}, false
}

// kindAt follows a chain of deltas down to its root's kind.
func (r *Repo) kindAt(loc location, depth int) (Kind, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("%w: delta chain too deep", errCorrupt)
	}
	if loc.pack < 0 {
		var f inflater
		k, _, err := f.readLoose(r.loose[loc.entry].path, maxObject)
		return k, err
	}
	p := r.packs[loc.pack]
	h, err := p.header(loc.entry)
	if err != nil {
		return 0, err
	}
	switch h.kind {
	case ofsDelta:
		b := p.entryAt(h.baseOff)
		if b < 0 {
			return 0, fmt.Errorf("%w: delta base is not an object's offset", errCorrupt)
		}
		return r.kindAt(location{loc.pack, b}, depth+1)
	case refDelta:
		next, ok := r.locate(h.baseID, -2)
		if !ok {
			return 0, fmt.Errorf("delta base %x is missing", h.baseID)
		}
		return r.kindAt(next, depth+1)
	}
	return h.kind, nil
}

// materialize builds the object at loc on its own, without any cache:
// for the rare delta whose base lives in another pack.
func (r *Repo) materialize(f *inflater, loc location, depth int) (Kind, []byte, error) {
	if depth > maxDepth {
		return 0, nil, fmt.Errorf("%w: delta chain too deep", errCorrupt)
	}
	if loc.pack < 0 {
		return f.readLoose(r.loose[loc.entry].path, maxObject)
	}
	p := r.packs[loc.pack]
	h, err := p.header(loc.entry)
	if err != nil {
		return 0, nil, err
	}
	raw, err := inflateEntry(f, p, loc.entry, h, nil)
	if err != nil {
		return 0, nil, err
	}
	var next location
	switch h.kind {
	case ofsDelta:
		b := p.entryAt(h.baseOff)
		if b < 0 {
			return 0, nil, fmt.Errorf("%w: delta base is not an object's offset", errCorrupt)
		}
		next = location{loc.pack, b}
	case refDelta:
		var ok bool
		if next, ok = r.locate(h.baseID, -2); !ok {
			return 0, nil, fmt.Errorf("delta base %x is missing", h.baseID)
		}
	default:
		return h.kind, raw, nil
	}
	k, base, err := r.materialize(f, next, depth+1)
	if err != nil {
		return 0, nil, err
	}
	data, _, err := apply(base, raw, nil, nil)
	return k, data, err
}

// inflateEntry inflates entry e's stream into dst, checking the declared
// size against what the stream could possibly hold (zlib expands at most
// about 1032 times), so a lying header cannot make it allocate terabytes.
func inflateEntry(f *inflater, p *pack, e int, h header, dst []byte) ([]byte, error) {
	in := p.stream(e, h)
	if h.size > 1100*len(in)+64 {
		return nil, fmt.Errorf("%w: declares %d bytes in a %d-byte stream", errCorrupt, h.size, len(in))
	}
	return f.inflate(in, h.size, dst)
}

// releaseEvery is how many bytes of packs the walk reads between two
// releases of the mappings' pages: a pack is read once, mostly front to
// back, and its pages would otherwise all count as the scanner's memory.
const releaseEvery = 32 << 20

// walker is one goroutine's state: its inflater and a buffer per delta
// depth, reused from one object to the next.
type walker struct {
	r      *Repo
	plans  []*plan
	visit  Visit
	report func(id []byte, where string, err error)
	n      int
	stop   *atomic.Bool
	read   *atomic.Int64
	inf    inflater
	raw    []byte
	levels []*level
}

type level struct {
	buf []byte
	ops []Op
	obj Object
}

func (w *walker) level(d int) *level {
	for len(w.levels) <= d {
		w.levels = append(w.levels, &level{})
	}
	return w.levels[d]
}

func (w *walker) item(it item) error {
	r := w.r
	if it.pack < 0 {
		l := r.loose[it.entry]
		k, data, err := w.inf.readLoose(l.path, maxObject)
		if err != nil {
			w.report(l.id, l.path, err)
			return nil
		}
		lv := w.level(0)
		lv.obj = Object{N: r.base[len(r.packs)] + it.entry, ID: l.id, Kind: k, Data: data}
		return w.visit(w.n, &lv.obj)
	}
	pl := w.plans[it.pack]
	if loc, ok := pl.external[int32(it.entry)]; ok {
		k, data, err := r.materialize(&w.inf, loc, 0)
		if err != nil {
			w.lost(it.pack, it.entry, fmt.Errorf("delta base: %w", err))
			return nil
		}
		id := r.packs[loc.pack].id(loc.entry)
		if loc.pack < 0 {
			id = r.loose[loc.entry].id
		}
		base := &Object{N: -1, ID: id, Kind: k, Data: data}
		return w.descend(it.pack, it.entry, base, 1)
	}
	return w.descend(it.pack, it.entry, nil, 0)
}

// descend reads entry e of pack pi (a delta on base, or whole when base
// is nil), visits it, then the deltas built on it.
func (w *walker) descend(pi, e int, base *Object, depth int) error {
	if w.stop.Load() {
		return nil
	}
	p, pl := w.r.packs[pi], w.plans[pi]
	if depth > maxDepth {
		w.lost(pi, e, fmt.Errorf("%w: delta chain too deep", errCorrupt))
		return nil
	}
	lv := w.level(depth)
	h, err := p.header(e)
	if err != nil {
		w.lost(pi, e, err)
		return nil
	}
	if n := int64(len(p.stream(e, h))); w.read.Add(n)%releaseEvery < n {
		for _, p := range w.r.packs {
			p.release()
		}
	}
	var data []byte
	var ops []Op
	if base == nil {
		data, err = inflateEntry(&w.inf, p, e, h, lv.buf)
	} else {
		w.raw, err = inflateEntry(&w.inf, p, e, h, w.raw)
		if err == nil {
			data, ops, err = apply(base.Data, w.raw, lv.buf, lv.ops[:0])
		}
		if cap(w.raw) > bigBuffer {
			w.raw = nil
		}
	}
	if err != nil {
		w.lost(pi, e, err)
		return nil
	}
	lv.buf, lv.ops = data, ops
	lv.obj = Object{N: w.r.base[pi] + e, ID: p.id(e), Kind: pl.kind[e], Data: data, Base: base, Ops: ops}
	if err := w.visit(w.n, &lv.obj); err != nil {
		return err
	}
	for _, c := range pl.children[pl.first[e]:pl.first[e+1]] {
		if err := w.descend(pi, int(c), &lv.obj, depth+1); err != nil {
			return err
		}
	}
	lv.obj = Object{}
	if cap(lv.buf) > bigBuffer {
		lv.buf = nil
	}
	return nil
}

// lost reports entry e and every delta built on it as unreadable.
func (w *walker) lost(pi, e int, err error) {
	p, pl := w.r.packs[pi], w.plans[pi]
	stack := []int32{int32(e)}
	first := true
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if first {
			w.report(p.id(int(x)), p.path, err)
			first = false
		} else {
			w.report(p.id(int(x)), p.path, fmt.Errorf("its delta base %x cannot be read", p.id(e)))
		}
		stack = append(stack, pl.children[pl.first[x]:pl.first[x+1]]...)
	}
}
