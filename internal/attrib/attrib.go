// Package attrib attributes the candidates found in a repository's blobs
// to the commits and paths that introduced them (DESIGN §3): a secret is
// reported for commit C at path P when C's version of P holds it and none
// of the parents' versions of P does, nor any version of a path C deleted
// or changed (a move). It walks the commit and tree graph of a
// gitobj.Store, descending only where something can be new, and reads no
// object itself.
package attrib

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitobj"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
)

// Attributor turns the candidates found in blobs into findings for the
// commits and paths that introduced them. Threads, Commits and
// CommitsTotal may be set before Run.
type Attributor struct {
	st   *gitobj.Store
	ev   source.Events
	emit func([]detect.Finding) error
	// Threads is how many goroutines attribute commits (parallel); 0
	// means 1.
	Threads int
	// Commits and CommitsTotal, if not nil, count the commits attributed
	// and, once known, the commits to attribute, for a progress display.
	Commits, CommitsTotal *atomic.Int64
	// memo holds, per object, whether a tree holds anything worth
	// descending for: 0 unknown, 1 no, 2 yes.
	memo []uint8
	// Per commit: the changes whose new blob matters, and the blobs of
	// the parents' versions of paths the commit changed or deleted.
	added []change
	olds  []uint32
	// stack holds the trees walk is inside, to stop at a forged cycle;
	// removedSeen the parent trees whose blobs this commit collected.
	stack       []uint32
	removedSeen map[uint32]bool
	// scratch holds, by depth of walk, the entries of the tree and of its
	// parents' trees being compared (slot 0 the tree's, k+1 parent k's).
	scratch [][][]gitobj.Entry
	// byNameOnly, set by tests, matches every entry by name (byName):
	// the reference the aligned walk must agree with.
	byNameOnly bool
	// order is every commit reachable from the tips, in the order run
	// attributes them.
	order []uint32
}

// New returns an Attributor over st that reports through ev and emit.
func New(st *gitobj.Store, ev source.Events, emit func([]detect.Finding) error) *Attributor {
	return &Attributor{st: st, ev: ev, emit: emit, memo: make([]uint8, st.Count()), removedSeen: map[uint32]bool{}}
}

// Order is every commit reachable from the tips, in the order Run
// attributed them.
func (a *Attributor) Order() []uint32 { return a.order }

// change is a path whose new version holds candidates (or could not be
// read), with the parents' versions of that path.
type change struct {
	path    string
	blob    uint32
	parents []uint32
}

const noObj = ^uint32(0)

// MaxTreeDepth bounds how deep trees nest. git itself refuses paths
// nested more than 4096 deep (core.MaxTreeDepth); a forged pack whose tree
// holds itself must end, not exhaust the stack.
const MaxTreeDepth = 4096

// Run walks every commit reachable from tips and emits what each one
// introduced.
func (a *Attributor) Run(ctx context.Context, tips []string) error {
	st := a.st
	var stack []uint32
	for _, t := range tips {
		idx, ok := st.InternHex([]byte(t))
		if !ok {
			return fmt.Errorf("git for-each-ref printed %q, not an object id", gitplumb.Truncate(t, 80))
		}
		for hops := 0; st.Kind(idx) == gitobj.KindTag && hops < 32; hops++ {
			idx = st.TagTarget(idx)
		}
		switch st.Kind(idx) {
		case gitobj.KindCommit:
			stack = append(stack, idx)
		case gitobj.KindNone:
			a.ev.Failed("ref "+t, errors.New("points to an object that is missing: the history behind it was not scanned"))
		}
	}
	missingParent := map[uint32]bool{}
	var kept []uint32
	order := DepthFirst(stack, st.Count(), func(c uint32) []uint32 {
		if st.Shallow(c) {
			return nil
		}
		kept = kept[:0]
		for _, p := range st.Commit(c).Parents {
			switch {
			case st.Kind(p) == gitobj.KindCommit:
				kept = append(kept, p)
			case !missingParent[p]:
				missingParent[p] = true
				a.ev.Failed("commit "+st.Hex(c), fmt.Errorf("parent %s %s: the history behind it was not scanned", st.Hex(p), st.Absent(p)))
			}
		}
		return kept
	})
	a.order = order
	if a.CommitsTotal != nil {
		a.CommitsTotal.Store(int64(len(order)))
	}
	// a's own memo serves the serial loop, and the audit's questions
	// after either (Facts).
	a.memo = make([]uint8, st.Count())
	a.removedSeen = map[uint32]bool{}
	if a.Threads > 1 && len(order) > CommitBlock {
		return a.parallel(ctx, order)
	}
	for i, c := range order {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := a.Commit(c); err != nil {
			return err
		}
		if a.Commits != nil {
			a.Commits.Add(1)
		}
	}
	return nil
}

// CommitBlock is how many commits a worker of parallel takes at a time.
const CommitBlock = 256

// parallel attributes the commits of order on a.Threads goroutines, each
// with its own Attributor over the shared, by now read-only, store. What
// a commit emits and every event it raises are Recorded, and replayed on
// the calling goroutine in the order of the commits: the same calls, in
// the same order, as the serial loop makes, whatever the thread count.
func (a *Attributor) parallel(ctx context.Context, order []uint32) error {
	q := &blockQueue{order: order, done: make([]chan []Recorded, (len(order)+CommitBlock-1)/CommitBlock)}
	for i := range q.done {
		q.done[i] = make(chan []Recorded, 1)
	}
	var wg sync.WaitGroup
	for range a.Threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.work(ctx, q)
		}()
	}
	defer wg.Wait()
	defer q.stop.Store(true)
	for b := range q.done {
		var calls []Recorded
		select {
		case calls = <-q.done[b]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := a.replay(calls); err != nil {
			return err
		}
	}
	return nil
}

// blockQueue hands parallel's workers blocks of CommitBlock commits of
// order, and takes each block's Recorded calls back on its channel in
// done.
type blockQueue struct {
	order []uint32
	done  []chan []Recorded
	next  atomic.Int64
	stop  atomic.Bool
}

// work attributes blocks of q until none is left or q is stopped, with
// an Attributor of its own that records what each block emits and
// raises.
func (a *Attributor) work(ctx context.Context, q *blockQueue) {
	rec := &Recording{}
	w := &Attributor{st: a.st, ev: rec, emit: rec.Emit, Commits: a.Commits,
		memo: make([]uint8, a.st.Count()), removedSeen: map[uint32]bool{}, byNameOnly: a.byNameOnly}
	for !q.stop.Load() {
		b := int(q.next.Add(1) - 1)
		if b >= len(q.done) {
			return
		}
		if ctx.Err() != nil {
			rec.Calls = append(rec.Calls, Recorded{Err: ctx.Err()})
		}
		for _, c := range q.order[b*CommitBlock : min((b+1)*CommitBlock, len(q.order))] {
			if ctx.Err() != nil {
				break
			}
			_ = w.Commit(c) // rec.emit does not fail
			if a.Commits != nil {
				a.Commits.Add(1)
			}
		}
		q.done[b] <- rec.Calls
		rec.Calls = nil
	}
}

// replay makes the calls a worker recorded, on a's Events and emit; it
// stops at the first error, a recorded context error or emit's.
func (a *Attributor) replay(calls []Recorded) error {
	for _, r := range calls {
		switch {
		case r.Err != nil:
			return r.Err
		case r.Failed != nil:
			a.ev.Failed(r.Path, r.Failed)
		case r.Skipped != "":
			a.ev.Skipped(r.Path, r.Skipped)
		default:
			if err := a.emit(r.Found); err != nil {
				return err
			}
		}
	}
	return nil
}

// Recorded is one call a worker of parallel made: a failure, a skip, the
// findings of a commit, or the context's error.
type Recorded struct {
	Path    string
	Failed  error
	Skipped source.SkipReason
	Found   []detect.Finding
	Err     error
}

// Recording is a source.Events and an emit that record every call, for
// a worker of parallel or a caller that sorts the calls out itself.
type Recording struct{ Calls []Recorded }

func (r *Recording) Skipped(path string, reason source.SkipReason) {
	r.Calls = append(r.Calls, Recorded{Path: path, Skipped: reason})
}

func (r *Recording) Failed(path string, err error) {
	r.Calls = append(r.Calls, Recorded{Path: path, Failed: err})
}

func (r *Recording) Scanned(string, int64) {}

func (r *Recording) Emit(found []detect.Finding) error {
	r.Calls = append(r.Calls, Recorded{Found: found})
	return nil
}

// Commit emits what commit c introduced. Run calls it for every commit;
// an incremental scan calls it for the new ones.
func (a *Attributor) Commit(c uint32) error {
	st := a.st
	info := st.Commit(c)
	parents := a.parentTrees(c, info)
	a.added, a.olds = a.added[:0], a.olds[:0]
	clear(a.removedSeen)
	if st.Kind(info.Tree) != gitobj.KindTree {
		a.ev.Failed("commit "+st.Hex(c), fmt.Errorf("its tree %s %s", st.Hex(info.Tree), st.Absent(info.Tree)))
		return nil
	}
	a.walk(c, info.Tree, parents, "")
	if len(a.added) == 0 {
		return nil
	}
	old := a.secrets(a.olds)
	prov := detect.Provenance{Kind: detect.KindHistory, Commit: st.Hex(c),
		Author: info.Author, Email: info.Email, Date: info.Date, Message: info.Subject}
	for _, ch := range a.added {
		if !a.readable(ch, prov.Commit) {
			continue
		}
		if out := a.introduced(ch, prov, old); len(out) > 0 {
			if err := a.emit(out); err != nil {
				return err
			}
		}
	}
	return nil
}

// parentTrees returns the trees of commit c's parents that are here: none
// where a shallow clone's history stops.
func (a *Attributor) parentTrees(c uint32, info *gitobj.Commit) []uint32 {
	var parents []uint32
	if !a.st.Shallow(c) {
		for _, p := range info.Parents {
			if a.st.Kind(p) == gitobj.KindCommit {
				parents = append(parents, a.st.Commit(p).Tree)
			}
		}
	}
	return parents
}

// secrets returns the secrets of the candidates found in blobs.
func (a *Attributor) secrets(blobs []uint32) map[string]bool {
	m := map[string]bool{}
	for _, b := range blobs {
		for _, f := range a.st.Found(b) {
			m[f.Secret] = true
		}
	}
	return m
}

// readable reports whether ch's blob was read and scanned; when not, the
// commit's Events are told why.
func (a *Attributor) readable(ch change, commit string) bool {
	st := a.st
	switch {
	case st.Kind(ch.blob) != gitobj.KindBlob:
		a.ev.Failed(ch.path, fmt.Errorf("commit %s: blob %s %s", commit, st.Hex(ch.blob), st.AbsentBlob(ch.blob)))
		return false
	case st.BlobState(ch.blob) == gitobj.BlobTooLarge:
		a.ev.Skipped(ch.path, source.SkipTooLarge)
		return false
	}
	return true
}

// introduced returns the candidates of ch's blob whose secret neither the
// parents' versions of its path hold nor old, the versions the commit
// replaced or removed, as findings of the commit (prov) at ch's path.
func (a *Attributor) introduced(ch change, prov detect.Provenance, old map[string]bool) []detect.Finding {
	had := a.secrets(ch.parents)
	var out []detect.Finding
	for _, f := range a.st.Found(ch.blob) {
		if had[f.Secret] || old[f.Secret] {
			continue
		}
		// The blob's candidates were found unplaced, without a
		// fingerprint: here their provenance is final.
		f.Provenance = prov
		f.Path = ch.path
		f.BlobID = a.st.Hex(ch.blob)
		f.Fingerprint = detect.Fingerprint(&f)
		out = append(out, f)
	}
	return out
}

// walk compares tree t with the parents' trees at the same path (noObj
// where a parent has none) and collects into a.added the new blobs worth
// reporting and into a.olds the parents' blobs that the commit replaced
// or removed. A path equal in any parent is skipped, as git's combined
// diff does for merges.
func (a *Attributor) walk(c, t uint32, parents []uint32, prefix string) {
	st := a.st
	if strings.Count(prefix, "/") > MaxTreeDepth {
		a.ev.Failed(gitplumb.Truncate(prefix, 200), fmt.Errorf("commit %s: trees nested over %d deep (a forged repository?): not scanned deeper", st.Hex(c), MaxTreeDepth))
		return
	}
	if t != noObj && st.Kind(t) != gitobj.KindTree {
		a.ev.Failed(prefix, fmt.Errorf("commit %s: tree %s %s", st.Hex(c), st.Hex(t), st.Absent(t)))
		return
	}
	// A tree inside itself: only a forged pack (nothing checks objects
	// against their ids on read) can hold one.
	for _, up := range a.stack {
		if up == t {
			a.ev.Failed(gitplumb.Truncate(prefix, 200), fmt.Errorf("commit %s: tree %s contains itself (a forged repository): not scanned further", st.Hex(c), st.Hex(t)))
			return
		}
	}
	a.stack = append(a.stack, t)
	defer func() { a.stack = a.stack[:len(a.stack)-1] }()
	depth := len(a.stack) - 1
	ts := a.collect(t, depth, 0)
	pts := make([][]gitobj.Entry, len(parents))
	for k, p := range parents {
		if p != noObj && st.Kind(p) == gitobj.KindTree {
			pts[k] = a.collect(p, depth, k+1)
		}
	}
	if a.byNameOnly {
		a.byName(c, ts, pts, prefix)
		return
	}
	a.aligned(c, ts, pts, prefix)
}

// aligned compares a tree's entries ts with the parents' entries at the
// same path (pts, one list per parent; nil where a parent has no tree).
// Trees list their entries in git's order, so the entries a commit left
// alone line up with a parent's and are passed over with no index by
// name, and an entry added or removed between two that line up is seen
// as such. From the first entry that does not line up so, the rest is
// matched by name (byName).
func (a *Attributor) aligned(c uint32, ts []gitobj.Entry, pts [][]gitobj.Entry, prefix string) {
	var jbuf [2]int
	var stepBuf [2]step
	js, steps := jbuf[:0], stepBuf[:0]
	for range pts {
		js, steps = append(js, 0), append(steps, 0)
	}
	pes := make([]gitobj.Entry, len(pts))
	i := 0
	for ; i < len(ts); i++ {
		if !a.lineUp(ts, i, pts, js, steps) {
			break
		}
		same := false
		for k, ps := range pts {
			switch steps[k] {
			case stepRemoved:
				a.removed(ps[js[k]])
				js[k]++
				fallthrough
			case stepMatch:
				pes[k] = ps[js[k]] | entryPresent(true)
				same = same || ps[js[k]] == ts[i]
				js[k]++
			case stepNew:
				pes[k] = 0
			}
		}
		if !same {
			a.changed(c, ts[i], pes, prefix)
		}
	}
	if i == len(ts) {
		// Every entry lined up: what the parents have left was removed.
		for k, ps := range pts {
			for _, pe := range ps[js[k]:] {
				a.removed(pe)
			}
		}
		return
	}
	rest := make([][]gitobj.Entry, len(pts))
	for k, ps := range pts {
		if ps != nil {
			rest[k] = ps[js[k]:]
		}
	}
	a.byName(c, ts[i:], rest, prefix)
}

// step is how entry i of a tree lines up with a parent's entries from
// the parent's cursor j.
type step uint8

const (
	stepMatch   step = iota // the parent's entry j has the same name
	stepRemoved             // entry j was removed; j+1 has the same name
	stepNew                 // the parent has no entry of this name
)

// lineUp decides, for each parent, how entry i of ts lines up with the
// parent's entries from js[k], into steps[k]. It reports false, having
// decided nothing, if entry i lines up with a parent in none of these
// ways (two entries added or removed in a row, or a tree out of order).
func (a *Attributor) lineUp(ts []gitobj.Entry, i int, pts [][]gitobj.Entry, js []int, steps []step) bool {
	name := ts[i].Name()
	for k, ps := range pts {
		j := js[k]
		switch {
		case j < len(ps) && ps[j].Name() == name:
			steps[k] = stepMatch
		case j+1 < len(ps) && ps[j+1].Name() == name:
			steps[k] = stepRemoved
		case j == len(ps) || (i+1 < len(ts) && ts[i+1].Name() == ps[j].Name()):
			steps[k] = stepNew
		default:
			return false
		}
	}
	return true
}

// byName compares a tree's entries ts with the parents' entries at the
// same path (pts, one list per parent; nil where a parent has no tree),
// matching them by name.
func (a *Attributor) byName(c uint32, ts []gitobj.Entry, pts [][]gitobj.Entry, prefix string) {
	pent := make([]map[uint32]gitobj.Entry, len(pts))
	for i, pt := range pts {
		if pt == nil {
			continue
		}
		m := make(map[uint32]gitobj.Entry, len(pt))
		for _, e := range pt {
			m[e.Name()] = e
		}
		pent[i] = m
	}
	var newNames map[uint32]bool
	if len(pts) > 0 {
		newNames = make(map[uint32]bool, len(ts))
	}
	for _, e := range ts {
		if newNames != nil {
			newNames[e.Name()] = true
		}
		a.entry(c, e, pent, prefix)
	}
	// Names only the parents have: removed by this commit.
	for _, m := range pent {
		for name, pe := range m {
			if !newNames[name] {
				a.removed(pe)
			}
		}
	}
}

// collect returns tree t's entries (none for noObj) in a buffer kept for
// walk's depth and slot: a walk at one depth runs inside one at the depth
// above, never beside it, so each buffer is in use once at a time.
func (a *Attributor) collect(t uint32, depth, slot int) []gitobj.Entry {
	for len(a.scratch) <= depth {
		a.scratch = append(a.scratch, nil)
	}
	for len(a.scratch[depth]) <= slot {
		a.scratch[depth] = append(a.scratch[depth], nil)
	}
	buf := a.scratch[depth][slot][:0]
	if t != noObj {
		buf = slices.AppendSeq(buf, a.st.Entries(t))
	}
	a.scratch[depth][slot] = buf
	return buf
}

// entry compares one entry of the new tree with the parents' entries of
// the same name (pent, one map per parent; nil where a parent has no tree).
func (a *Attributor) entry(c uint32, e gitobj.Entry, pent []map[uint32]gitobj.Entry, prefix string) {
	name := e.Name()
	var pes []gitobj.Entry
	for _, m := range pent {
		if m == nil {
			pes = append(pes, 0)
			continue
		}
		pe, ok := m[name]
		if ok && pe.Obj() == e.Obj() && pe.Mode() == e.Mode() {
			return // unchanged from this parent: nothing new here
		}
		if !ok {
			pe = 0
		}
		pes = append(pes, pe|entryPresent(ok))
	}
	a.changed(c, e, pes, prefix)
}

// changed handles an entry of the new tree that differs from every
// parent's entry of the same name (pes, one per parent, marked present
// where the parent has one).
func (a *Attributor) changed(c uint32, e gitobj.Entry, pes []gitobj.Entry, prefix string) {
	st := a.st
	path := prefix + st.Name(e.Name())
	switch e.Mode() {
	case gitobj.EntTree:
		sub := make([]uint32, len(pes))
		any := a.TreeInteresting(e.Obj())
		for i, pe := range pes {
			sub[i] = noObj
			switch {
			case !present(pe):
			case pe.Mode() == gitobj.EntTree:
				sub[i] = pe.Obj()
				any = any || a.TreeInteresting(pe.Obj())
			default:
				a.removed(pe)
			}
		}
		if any {
			a.walk(c, e.Obj(), sub, path+"/")
		}
	case gitobj.EntBlob:
		var pblobs []uint32
		for _, pe := range pes {
			switch {
			case !present(pe):
			case pe.Mode() == gitobj.EntBlob:
				pblobs = append(pblobs, pe.Obj())
				if a.blobInteresting(pe.Obj()) {
					a.olds = append(a.olds, pe.Obj())
				}
			default:
				a.removed(pe)
			}
		}
		if a.blobInteresting(e.Obj()) {
			a.added = append(a.added, change{path: path, blob: e.Obj(), parents: pblobs})
		}
	default:
		// A symbolic link or a submodule: no content of its own here.
		for _, pe := range pes {
			if present(pe) {
				a.removed(pe)
			}
		}
	}
}

// entryPresent marks a parent entry that exists (an entry's name and
// object may both be 0). It uses a bit above the name index's range.
func entryPresent(ok bool) gitobj.Entry {
	if ok {
		return 1 << 63
	}
	return 0
}

func present(e gitobj.Entry) bool { return e&(1<<63) != 0 }

// removed collects the interesting blobs under a parent's entry that the
// commit deleted or replaced with something of another type.
func (a *Attributor) removed(pe gitobj.Entry) {
	st := a.st
	switch pe.Mode() {
	case gitobj.EntBlob:
		if a.blobInteresting(pe.Obj()) {
			a.olds = append(a.olds, pe.Obj())
		}
	case gitobj.EntTree:
		t := pe.Obj()
		if st.Kind(t) != gitobj.KindTree || a.removedSeen[t] || !a.TreeInteresting(t) {
			return
		}
		// Once per tree and commit: the same tree holds the same blobs,
		// and a forged tree that holds itself ends here.
		a.removedSeen[t] = true
		for e := range st.Entries(t) {
			a.removed(e)
		}
	}
}

// blobInteresting reports whether a blob can matter to a report: it has
// candidates, or it could not be scanned.
func (a *Attributor) blobInteresting(b uint32) bool {
	st := a.st
	return st.Kind(b) != gitobj.KindBlob || st.BlobState(b) == gitobj.BlobFound || st.BlobState(b) == gitobj.BlobTooLarge
}

// TreeInteresting reports whether anything under tree t is interesting
// (a missing tree is: it must be reported).
func (a *Attributor) TreeInteresting(t uint32) bool {
	st := a.st
	if st.Kind(t) != gitobj.KindTree {
		return true
	}
	switch a.memo[t] {
	case 1:
		return false
	case 2, 3:
		// 3: being computed. A tree that holds itself (only a forged
		// pack has one) ends here, and counts as interesting: walk then
		// reports the cycle. Whichever tree of a cycle is met first, and
		// so whichever worker of parallel asks, every tree on it, and
		// every tree that leads to one, gets the same answer.
		return true
	}
	a.memo[t] = 3
	v := false
	for e := range st.Entries(t) {
		switch e.Mode() {
		case gitobj.EntBlob:
			v = a.blobInteresting(e.Obj())
		case gitobj.EntTree:
			v = a.TreeInteresting(e.Obj())
		}
		if v {
			break
		}
	}
	a.memo[t] = 1
	if v {
		a.memo[t] = 2
	}
	return v
}

// DepthFirst returns the commits reachable from the commits on stack in
// the order the attribution walks them: depth first, the last pushed
// first, each once. parents(c) lists the parents of c to follow (none at
// a shallow boundary); DepthFirst reads its result before calling it
// again. Commits are numbered below n. An incremental scan replays a
// recorded history in this same order (history.StateScan), so that its
// report is a full scan's.
func DepthFirst[T ~int32 | ~uint32](stack []T, n int, parents func(T) []T) []T {
	seen := make([]bool, n)
	var order []T
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[c] {
			continue
		}
		seen[c] = true
		order = append(order, c)
		for _, p := range parents(c) {
			if !seen[p] {
				stack = append(stack, p)
			}
		}
	}
	return order
}
