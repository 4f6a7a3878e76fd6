package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
)

// attributeNew attributes the commits fresh with the attributor a full
// scan runs, over a store that holds only what those commits need: the
// commits and their parents, the trees on the paths where a commit
// differs from all its parents (and the whole of trees it removes), and
// the blobs there, scanned whole as a full scan scans them. Every other
// blob and tree is absent from the store; the attributor then takes
// absent trees for interesting, which only makes it look at more of what
// is here, and never reaches an absent blob (it reaches exactly the blobs
// the loader loaded). What it emits is therefore what a full scan emits
// for those commits. Any object that cannot be read, or any problem the
// attributor reports, falls back to a full scan, which reports it.
func (s *StateScan) attributeNew(ctx context.Context, v repoView, fresh []string, detectFn source.DetectFunc) (map[string][][]detect.Finding, []recorded, error) {
	if len(fresh) == 0 {
		return nil, nil, nil
	}
	s.scanned = [2]int64{}
	cf, err := s.Scan.Git.CatFile(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer cf.Close()
	l := &loader{st: newStore(v.hashLen), cf: cf, blobs: map[uint32]bool{}, whole: map[uint32]bool{}}
	for _, id := range v.shallow {
		if i, ok := l.st.internHex([]byte(id)); ok {
			l.st.shallow[i] = true
		}
	}
	commits := make([]uint32, len(fresh))
	for i, id := range fresh {
		if commits[i], err = l.commit(id); err != nil {
			return nil, nil, err
		}
	}
	if err := l.scanBlobs(ctx, s.Scan.MaxBytes, detectFn); err != nil {
		return nil, nil, err
	}
	rec := &recording{}
	a := &attributor{st: l.st, ev: rec, emit: rec.emit, memo: make([]uint8, l.st.count()), removedSeen: map[uint32]bool{}}
	found := map[string][][]detect.Finding{}
	var skips []recorded
	for i, c := range commits {
		if err := a.commit(c); err != nil {
			return nil, nil, err
		}
		for _, r := range rec.calls {
			switch {
			case r.failed != nil:
				return nil, nil, fullScan("commit %s: %s: %v", fresh[i], r.path, r.failed)
			case r.skipped != "":
				skips = append(skips, r)
			default:
				found[fresh[i]] = append(found[fresh[i]], r.found)
			}
		}
		rec.calls = rec.calls[:0]
	}
	s.scanned = [2]int64{l.scanned, l.bytes}
	return found, skips, nil
}

// loader reads into a store what attributeNew needs, one object at a time.
type loader struct {
	st *store
	cf *gitplumb.CatFile
	// blobs are the blobs the attributor will reach; whole the trees
	// loaded with every tree under them (removed ones).
	blobs map[uint32]bool
	whole map[uint32]bool
	depth int
	// scanned counts the blobs scanned and their bytes.
	scanned, bytes int64
}

// object loads object idx (a commit or a tree) into the store, once.
func (l *loader) object(idx uint32, want string) error {
	st := l.st
	if st.kind[idx] != kindNone {
		if st.kind[idx] == map[string]uint8{"commit": kindCommit, "tree": kindTree}[want] {
			return nil
		}
		return fullScan("object %s is not a %s", st.hex(idx), want)
	}
	id := st.hex(idx)
	if err := l.cf.Request(id); err != nil {
		return err
	}
	obj, err := l.cf.Next(0, nil)
	switch {
	case errors.Is(err, gitplumb.ErrMissing):
		return fullScan("object %s is missing", id)
	case err != nil:
		return err
	case obj.Type != want:
		return fullScan("object %s is a %s, not a %s", id, obj.Type, want)
	}
	return st.add(idx, want, obj.Data)
}

// commit loads commit id, its parents and the trees its attribution walks.
func (l *loader) commit(id string) (uint32, error) {
	st := l.st
	c, ok := st.internHex([]byte(id))
	if !ok {
		return 0, fmt.Errorf("git rev-list printed %q, not an object id", gitplumb.Truncate(id, 80))
	}
	if err := l.object(c, "commit"); err != nil {
		return 0, err
	}
	var parents []uint32
	if !st.shallow[c] {
		for _, p := range st.commits[st.a[c]].parents {
			if err := l.object(p, "commit"); err != nil {
				return 0, err
			}
			parents = append(parents, st.commits[st.a[p]].tree)
		}
	}
	return c, l.walk(st.commits[st.a[c]].tree, parents)
}

// walk loads tree t and the parents' trees at its path, and what
// attributor.walk reaches from them, without its pruning.
func (l *loader) walk(t uint32, parents []uint32) error {
	st := l.st
	if l.depth++; l.depth > maxTreeDepth {
		return fullScan("trees nested over %d deep", maxTreeDepth)
	}
	defer func() { l.depth-- }()
	if err := l.object(t, "tree"); err != nil {
		return err
	}
	pent := make([]map[uint32]entry, len(parents))
	for i, p := range parents {
		if err := l.object(p, "tree"); err != nil {
			return err
		}
		pent[i] = map[uint32]entry{}
		for e := range st.entries(p) {
			pent[i][e.name()] = e
		}
	}
	names := map[uint32]bool{}
	for e := range st.entries(t) {
		names[e.name()] = true
		if err := l.entry(e, pent); err != nil {
			return err
		}
	}
	for _, m := range pent {
		for name, pe := range m {
			if !names[name] {
				if err := l.removed(pe); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// entry is attributor.entry's loading: what changed at one name.
func (l *loader) entry(e entry, pent []map[uint32]entry) error {
	var pes []entry
	for _, m := range pent {
		pe, ok := m[e.name()]
		if ok && pe.obj() == e.obj() && pe.mode() == e.mode() {
			return nil
		}
		if ok {
			pes = append(pes, pe)
		}
	}
	var sub []uint32
	for _, pe := range pes {
		switch {
		case e.mode() == entTree && pe.mode() == entTree:
			sub = append(sub, pe.obj())
		case e.mode() == entBlob && pe.mode() == entBlob:
			l.blobs[pe.obj()] = true
		default:
			if err := l.removed(pe); err != nil {
				return err
			}
		}
	}
	switch e.mode() {
	case entTree:
		return l.walk(e.obj(), sub)
	case entBlob:
		l.blobs[e.obj()] = true
	}
	return nil
}

// removed loads what attributor.removed reaches under a parent's entry.
func (l *loader) removed(pe entry) error {
	switch pe.mode() {
	case entBlob:
		l.blobs[pe.obj()] = true
	case entTree:
		t := pe.obj()
		if l.whole[t] {
			return nil
		}
		l.whole[t] = true // before descending: a forged cycle ends here
		if err := l.object(t, "tree"); err != nil {
			return err
		}
		for e := range l.st.entries(t) {
			if err := l.removed(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanBlobs reads and scans the blobs the attributor will reach, as
// PackScan.read does: too large, binary, or scanned whole.
func (l *loader) scanBlobs(ctx context.Context, maxBytes int64, detectFn source.DetectFunc) error {
	st := l.st
	var order []uint32
	for b := range l.blobs {
		order = append(order, b)
	}
	for _, b := range order {
		if err := l.cf.Request(st.hex(b)); err != nil {
			return err
		}
	}
	for _, b := range order {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		obj, err := l.cf.Next(maxBytes, nil)
		switch {
		case errors.Is(err, gitplumb.ErrMissing):
			return fullScan("blob %s is missing", st.hex(b))
		case err != nil:
			return err
		case obj.Type != "blob":
			return fullScan("object %s is a %s, not a blob", obj.ID, obj.Type)
		}
		st.kind[b] = kindBlob
		switch {
		case obj.TooLarge:
			st.blobState[b] = blobTooLarge
		case bytes.IndexByte(obj.Data[:min(len(obj.Data), source.BinarySniff)], 0) >= 0:
			st.blobState[b] = blobBinary
		default:
			l.scanned, l.bytes = l.scanned+1, l.bytes+int64(len(obj.Data))
			f := detect.Fragment{Content: obj.Data, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindHistory}}
			cands, err := detectFn(&f)
			if err != nil {
				return err
			}
			if len(cands) > 0 {
				st.found[b], st.blobState[b] = cands, blobFound
			}
		}
	}
	return nil
}
