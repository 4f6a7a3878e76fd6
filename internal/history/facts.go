package history

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/leakhound/leakhound/internal/attrib"
	"github.com/leakhound/leakhound/internal/gitobj"
	"github.com/leakhound/leakhound/internal/gitplumb"
)

// Facts answers what a rotation audit asks of a repository once its
// history has been scanned (PackScan with Facts set): whether a secret is
// still in the default branch's HEAD and where, which commit of that
// branch removed it, and which refs reach the commits that introduced it.
// It keeps PackScan's compact store of commits and trees, so it answers
// without running git again.
type Facts struct {
	st *gitobj.Store
	a  *attrib.Attributor
	// Head is the default branch's commit: origin/HEAD's in a clone that
	// records it, else HEAD's; "" when unborn or missing. HeadRef is its
	// ref name ("refs/remotes/origin/main", "refs/heads/main"), "" when
	// HEAD is detached.
	Head, HeadRef string
	// refs: ref name → its commit (tags peeled).
	refs   map[string]uint32
	inHead map[string][]Location
	// removed: secret key → the first-parent commit that removed it last.
	removed map[string]*gitplumb.Commit
	// refsOut is what git for-each-ref listed: the refs and their commits.
	refsOut []byte
	// graph, when st is nil (an unchanged --state audit), builds the
	// commit graph RefsReaching needs, if the recorded answer will not do.
	graph func() (*gitobj.Store, error)
	// recorded is the answer a state recorded (nil: none); Reached is the
	// last one RefsReaching gave, for the state to record.
	recorded, Reached *ReachRecord
	err               error
}

// ReachRecord is an answer of Facts.RefsReaching, under a key of what it
// depends on besides the commit graph: the refs and their commits as git
// for-each-ref lists them, and the question. A state records it: with
// the refs and the graph unchanged, the same question has the same
// answer, and an unchanged audit re-run need not build the graph.
type ReachRecord struct {
	Key    [32]byte
	Answer [][]string
}

// reachKey is ReachRecord's key for refs (for-each-ref's output) and groups.
func reachKey(refs []byte, groups [][]string) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "refs reaching 1\n%d:%s\n%d\n", len(refs), refs, len(groups))
	for _, g := range groups {
		fmt.Fprintf(h, "%d:%s\n", len(g), strings.Join(g, " "))
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Err returns why RefsReaching could not answer (a state whose commits
// turned out damaged), or nil. An answer given with an error is empty:
// the audit cannot be trusted.
func (f *Facts) Err() error { return f.err }

// Location is where a secret is: a path and the 1-based line.
type Location struct {
	Path string
	Line int
}

// SecretKey identifies a secret for Facts: its rule and its value.
func SecretKey(rule, secret string) string { return rule + "\x00" + secret }

// buildFacts gathers the facts after attribution.
func (p *PackScan) buildFacts(ctx context.Context, st *gitobj.Store, a *attrib.Attributor) (*Facts, error) {
	f := &Facts{st: st, a: a, refs: map[string]uint32{}, inHead: map[string][]Location{}, removed: map[string]*gitplumb.Commit{}}
	f.readRefs(ctx, p.Git)
	f.resolveRefs()
	hc, ok := st.InternHex([]byte(f.Head))
	if f.Head == "" || !ok || st.Kind(hc) != gitobj.KindCommit {
		f.Head = ""
		return f, nil
	}
	// HEAD's tree: every interesting blob's secrets, with paths and lines.
	f.collect(st.Commit(hc).Tree, "", func(path string, blob uint32) {
		for _, c := range st.Found(blob) {
			k := SecretKey(c.RuleID, c.Secret)
			f.inHead[k] = append(f.inHead[k], Location{Path: path, Line: c.StartLine})
		}
	})
	// The first-parent line from the root to HEAD: a secret present in
	// one commit's tree and absent from the next was removed there.
	var line []uint32
	for c, hops := hc, 0; hops < 1<<24; hops++ {
		line = append(line, c)
		ps := st.Commit(c).Parents
		if st.Shallow(c) || len(ps) == 0 || st.Kind(ps[0]) != gitobj.KindCommit {
			break
		}
		c = ps[0]
	}
	// Secrets are compared as numbers, in sorted lists: as strings in
	// sets, this took a tenth of etcd's audit.
	sets := &secretSets{ids: map[string]uint32{}, blobs: map[uint32][]uint32{}, memo: map[uint32][]uint32{}}
	var prev []uint32
	for i := len(line) - 1; i >= 0; i-- {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c := line[i]
		now := f.secretsIn(st.Commit(c).Tree, sets, 0)
		// What prev holds and now does not (both sorted).
		j := 0
		for _, k := range prev {
			for j < len(now) && now[j] < k {
				j++
			}
			if j == len(now) || now[j] != k {
				f.removed[sets.names[k]] = f.commit(c)
			}
		}
		prev = now
	}
	return f, nil
}

// readRefs lists the refs, and sets Head and HeadRef to the default
// branch; resolveRefs then keeps the refs that name commits in the store.
func (f *Facts) readRefs(ctx context.Context, g *gitplumb.Git) {
	if out, err := g.Command(ctx, "for-each-ref", "--format=%(objectname) %(*objectname) %(refname)").Output(); err == nil {
		f.refsOut = out
	}
	// The default branch: the remote's (origin/HEAD, as a clone records
	// it), so that a feature branch checked out does not stand for it;
	// else HEAD, which in a bare repository or a mirror names it.
	head := "HEAD"
	if out, err := g.Command(ctx, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").Output(); err == nil {
		head = strings.TrimSpace(string(out))
	}
	if out, err := g.Command(ctx, "rev-parse", "--verify", "--quiet", head+"^{commit}").Output(); err == nil {
		f.Head = strings.TrimSpace(string(out))
	}
	if head != "HEAD" {
		f.HeadRef = head
	} else if out, err := g.Command(ctx, "symbolic-ref", "--quiet", "HEAD").Output(); err == nil {
		f.HeadRef = strings.TrimSpace(string(out))
	}
}

// resolveRefs sets f.refs to the listed refs that name commits in the
// store.
func (f *Facts) resolveRefs() {
	st := f.st
	for _, line := range strings.Split(strings.TrimSpace(string(f.refsOut)), "\n") {
		fs := strings.Fields(line)
		if len(fs) < 2 {
			continue
		}
		id, name := fs[0], fs[len(fs)-1]
		if len(fs) == 3 {
			id = fs[1] // an annotated tag: the commit it names
		}
		if c, ok := st.InternHex([]byte(id)); ok && st.Kind(c) == gitobj.KindCommit {
			f.refs[name] = c
		}
	}
}

// collect calls fn for every interesting blob under tree t.
func (f *Facts) collect(t uint32, prefix string, fn func(path string, blob uint32)) {
	st := f.st
	if st.Kind(t) != gitobj.KindTree || strings.Count(prefix, "/") > attrib.MaxTreeDepth {
		return
	}
	for e := range st.Entries(t) {
		path := prefix + st.Name(e.Name())
		switch e.Mode() {
		case gitobj.EntBlob:
			if st.Kind(e.Obj()) == gitobj.KindBlob && st.BlobState(e.Obj()) == gitobj.BlobFound {
				fn(path, e.Obj())
			}
		case gitobj.EntTree:
			if e.Obj() != t && f.a.TreeInteresting(e.Obj()) {
				f.collect(e.Obj(), path+"/", fn)
			}
		}
	}
}

// secretSets numbers secret keys (SecretKey) and remembers, per blob and
// per tree, the sorted numbers of the secrets under it.
type secretSets struct {
	ids   map[string]uint32
	names []string
	blobs map[uint32][]uint32
	memo  map[uint32][]uint32
}

// blob returns the numbers of the secrets found in blob b, sorted.
func (s *secretSets) blob(st *gitobj.Store, b uint32) []uint32 {
	if v, ok := s.blobs[b]; ok {
		return v
	}
	var keys []uint32
	for _, c := range st.Found(b) {
		k := SecretKey(c.RuleID, c.Secret)
		id, ok := s.ids[k]
		if !ok {
			id = uint32(len(s.names))
			s.ids[k] = id
			s.names = append(s.names, k)
		}
		keys = append(keys, id)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	s.blobs[b] = keys
	return keys
}

// secretsIn returns the numbers of the secrets found under tree t, sorted,
// memoized per tree (a commit's tree shares most subtrees with its
// parent's).
func (f *Facts) secretsIn(t uint32, sets *secretSets, depth int) []uint32 {
	st := f.st
	if v, ok := sets.memo[t]; ok {
		return v
	}
	sets.memo[t] = nil // a tree that holds itself (a forged pack) ends here
	if st.Kind(t) != gitobj.KindTree || depth > attrib.MaxTreeDepth || !f.a.TreeInteresting(t) {
		return nil
	}
	var keys []uint32
	for e := range st.Entries(t) {
		switch e.Mode() {
		case gitobj.EntBlob:
			keys = append(keys, sets.blob(st, e.Obj())...)
		case gitobj.EntTree:
			keys = append(keys, f.secretsIn(e.Obj(), sets, depth+1)...)
		}
	}
	slices.Sort(keys)
	keys = slices.Clip(slices.Compact(keys))
	sets.memo[t] = keys
	return keys
}

func (f *Facts) commit(c uint32) *gitplumb.Commit {
	info := f.st.Commit(c)
	return &gitplumb.Commit{ID: f.st.Hex(c), Author: info.Author, Email: info.Email, Subject: info.Subject, Date: info.Date}
}

// InHead returns where HEAD's tree holds the secret (nil when it does
// not, or HEAD is unborn).
func (f *Facts) InHead(rule, secret string) []Location {
	return f.inHead[SecretKey(rule, secret)]
}

// Removal returns the commit on the default branch's first-parent line
// that last removed the secret, or nil (still present, or never on that
// line).
func (f *Facts) Removal(rule, secret string) *gitplumb.Commit {
	return f.removed[SecretKey(rule, secret)]
}

// RefsReaching returns, for each group of commits (hex ids), the refs
// from whose tips any commit of the group is reachable, sorted: where a
// leaked secret can be fetched from. One pass over the history answers
// every group: each commit carries the set of groups whose commits are
// its ancestors (or itself), a bitset OR-ed from its parents.
func (f *Facts) RefsReaching(groups [][]string) [][]string {
	key := reachKey(f.refsOut, groups)
	if r := f.recorded; r != nil && r.Key == key && len(r.Answer) == len(groups) {
		f.Reached = r
		out := make([][]string, len(groups))
		for g, names := range r.Answer {
			out[g] = slices.Clone(names)
		}
		return out
	}
	if f.st == nil {
		st, err := f.graph()
		if err != nil {
			f.err = err
			return make([][]string, len(groups))
		}
		f.st = st
		f.resolveRefs()
	}
	out := f.reaching(groups)
	r := &ReachRecord{Key: key, Answer: make([][]string, len(out))}
	for g, names := range out {
		r.Answer[g] = slices.Clone(names)
	}
	f.Reached = r
	return out
}

// reaching is RefsReaching, asked of the commit graph.
func (f *Facts) reaching(groups [][]string) [][]string {
	words := (len(groups) + 63) / 64
	out := make([][]string, len(groups))
	if words == 0 {
		return out
	}
	bits := f.groupBits(f.ownBits(groups, words), words)
	for name, tip := range f.refs {
		b := bits[tip]
		for g := range groups {
			if b != nil && b[g/64]&(1<<(g%64)) != 0 {
				out[g] = append(out[g], name)
			}
		}
	}
	for g := range out {
		sort.Strings(out[g])
	}
	return out
}

// ownBits maps each commit named in groups to the set of groups (a
// bitset of words words) that name it.
func (f *Facts) ownBits(groups [][]string, words int) map[uint32][]uint64 {
	st := f.st
	own := map[uint32][]uint64{}
	for g, commits := range groups {
		for _, h := range commits {
			if c, ok := st.InternHex([]byte(h)); ok && st.Kind(c) == gitobj.KindCommit {
				if own[c] == nil {
					own[c] = make([]uint64, words)
				}
				own[c][g/64] |= 1 << (g % 64)
			}
		}
	}
	return own
}

// groupBits gives every commit a ref reaches the set of groups whose
// commits are it or its ancestors (nil: none): its own set OR-ed with its
// parents', the commits taken in an order where parents come first (a
// depth-first post-order from every ref tip).
func (f *Facts) groupBits(own map[uint32][]uint64, words int) [][]uint64 {
	st := f.st
	bits := make([][]uint64, st.Count())
	state := make([]uint8, st.Count()) // 1 on the stack, 2 done
	type frame struct {
		c    uint32
		next int
	}
	for _, tip := range f.refs {
		if state[tip] != 0 {
			continue
		}
		stack := []frame{{tip, 0}}
		state[tip] = 1
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			ps := st.Commit(top.c).Parents
			if st.Shallow(top.c) {
				ps = nil
			}
			if top.next < len(ps) {
				p := ps[top.next]
				top.next++
				if st.Kind(p) == gitobj.KindCommit && state[p] == 0 {
					state[p] = 1
					stack = append(stack, frame{p, 0})
				}
				continue
			}
			bits[top.c] = unionBits(own[top.c], ps, bits, words)
			state[top.c] = 2
			stack = stack[:len(stack)-1]
		}
	}
	return bits
}

// unionBits is own OR-ed with the parents' sets; a set equal to one
// parent's is that parent's, shared rather than copied.
func unionBits(own []uint64, parents []uint32, bits [][]uint64, words int) []uint64 {
	var b []uint64
	if own != nil {
		b = append(b, own...)
	}
	for _, p := range parents {
		pb := bits[p]
		if pb == nil {
			continue
		}
		if b == nil {
			b = pb // shared until something is added
			continue
		}
		if &b[0] == &pb[0] {
			continue
		}
		nb := make([]uint64, words)
		for w := range nb {
			nb[w] = b[w] | pb[w]
		}
		b = nb
	}
	return b
}
