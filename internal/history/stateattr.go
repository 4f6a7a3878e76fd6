package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/attrib"
	"github.com/leakhound/leakhound/internal/gitobj"
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
func (s *StateScan) attributeNew(ctx context.Context, v repoView, fresh []string, detectFn source.DetectFunc) (map[string][][]detect.Finding, []attrib.Recorded, error) {
	if len(fresh) == 0 {
		return nil, nil, nil
	}
	s.scanned = [2]int64{}
	cf, err := s.Scan.Git.CatFile(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer cf.Close()
	l := &loader{st: gitobj.NewStore(v.hashLen), cf: cf, blobs: map[uint32]bool{}, whole: map[uint32]bool{}}
	l.st.MarkShallow(v.shallow)
	commits := make([]uint32, len(fresh))
	for i, id := range fresh {
		if commits[i], err = l.commit(id); err != nil {
			return nil, nil, err
		}
	}
	if err := l.scanBlobs(ctx, s.Scan.MaxBytes, detectFn); err != nil {
		return nil, nil, err
	}
	rec := &attrib.Recording{}
	a := attrib.New(l.st, rec, rec.Emit)
	found := map[string][][]detect.Finding{}
	var skips []attrib.Recorded
	for i, c := range commits {
		if err := a.Commit(c); err != nil {
			return nil, nil, err
		}
		for _, r := range rec.Calls {
			switch {
			case r.Failed != nil:
				return nil, nil, fullScan("commit %s: %s: %v", fresh[i], r.Path, r.Failed)
			case r.Skipped != "":
				skips = append(skips, r)
			default:
				found[fresh[i]] = append(found[fresh[i]], r.Found)
			}
		}
		rec.Calls = rec.Calls[:0]
	}
	s.scanned = [2]int64{l.scanned, l.bytes}
	return found, skips, nil
}

// loader reads into a store what attributeNew needs, one object at a time.
type loader struct {
	st *gitobj.Store
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
	if st.Kind(idx) != gitobj.KindNone {
		if st.Kind(idx) == map[string]uint8{"commit": gitobj.KindCommit, "tree": gitobj.KindTree}[want] {
			return nil
		}
		return fullScan("object %s is not a %s", st.Hex(idx), want)
	}
	id := st.Hex(idx)
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
	return st.Add(idx, want, obj.Data)
}

// commit loads commit id, its parents and the trees its attribution walks.
func (l *loader) commit(id string) (uint32, error) {
	st := l.st
	c, ok := st.InternHex([]byte(id))
	if !ok {
		return 0, fmt.Errorf("git rev-list printed %q, not an object id", gitplumb.Truncate(id, 80))
	}
	if err := l.object(c, "commit"); err != nil {
		return 0, err
	}
	var parents []uint32
	if !st.Shallow(c) {
		for _, p := range st.Commit(c).Parents {
			if err := l.object(p, "commit"); err != nil {
				return 0, err
			}
			parents = append(parents, st.Commit(p).Tree)
		}
	}
	return c, l.walk(st.Commit(c).Tree, parents)
}

// walk loads tree t and the parents' trees at its path, and what
// attributor.walk reaches from them, without its pruning.
func (l *loader) walk(t uint32, parents []uint32) error {
	st := l.st
	if l.depth++; l.depth > attrib.MaxTreeDepth {
		return fullScan("trees nested over %d deep", attrib.MaxTreeDepth)
	}
	defer func() { l.depth-- }()
	if err := l.object(t, "tree"); err != nil {
		return err
	}
	pent := make([]map[uint32]gitobj.Entry, len(parents))
	for i, p := range parents {
		if err := l.object(p, "tree"); err != nil {
			return err
		}
		pent[i] = map[uint32]gitobj.Entry{}
		for e := range st.Entries(p) {
			pent[i][e.Name()] = e
		}
	}
	names := map[uint32]bool{}
	for e := range st.Entries(t) {
		names[e.Name()] = true
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
func (l *loader) entry(e gitobj.Entry, pent []map[uint32]gitobj.Entry) error {
	var pes []gitobj.Entry
	for _, m := range pent {
		pe, ok := m[e.Name()]
		if ok && pe.Obj() == e.Obj() && pe.Mode() == e.Mode() {
			return nil
		}
		if ok {
			pes = append(pes, pe)
		}
	}
	var sub []uint32
	for _, pe := range pes {
		switch {
		case e.Mode() == gitobj.EntTree && pe.Mode() == gitobj.EntTree:
			sub = append(sub, pe.Obj())
		case e.Mode() == gitobj.EntBlob && pe.Mode() == gitobj.EntBlob:
			l.blobs[pe.Obj()] = true
		default:
			if err := l.removed(pe); err != nil {
				return err
			}
		}
	}
	switch e.Mode() {
	case gitobj.EntTree:
		return l.walk(e.Obj(), sub)
	case gitobj.EntBlob:
		l.blobs[e.Obj()] = true
	}
	return nil
}

// removed loads what attributor.removed reaches under a parent's entry.
func (l *loader) removed(pe gitobj.Entry) error {
	switch pe.Mode() {
	case gitobj.EntBlob:
		l.blobs[pe.Obj()] = true
	case gitobj.EntTree:
		t := pe.Obj()
		if l.whole[t] {
			return nil
		}
		l.whole[t] = true // before descending: a forged cycle ends here
		if err := l.object(t, "tree"); err != nil {
			return err
		}
		for e := range l.st.Entries(t) {
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
		if err := l.cf.Request(st.Hex(b)); err != nil {
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
			return fullScan("blob %s is missing", st.Hex(b))
		case err != nil:
			return err
		case obj.Type != "blob":
			return fullScan("object %s is a %s, not a blob", obj.ID, obj.Type)
		}
		switch {
		case obj.TooLarge:
			st.SetBlob(b, gitobj.BlobTooLarge, nil)
		case bytes.IndexByte(obj.Data[:min(len(obj.Data), source.BinarySniff)], 0) >= 0:
			st.SetBlob(b, gitobj.BlobBinary, nil)
		default:
			st.SetBlob(b, gitobj.BlobClean, nil)
			l.scanned, l.bytes = l.scanned+1, l.bytes+int64(len(obj.Data))
			f := detect.Fragment{Content: obj.Data, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindHistory}}
			cands, err := detectFn(&f)
			if err != nil {
				return err
			}
			if len(cands) > 0 {
				st.SetBlob(b, gitobj.BlobFound, cands)
			}
		}
	}
	return nil
}
