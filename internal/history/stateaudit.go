package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitobj"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
)

// auditFromFacts records what a later audit needs of f: its head, the
// files of the head's tree that hold candidates, and the removals.
func auditFromFacts(f *Facts) *AuditState {
	if f == nil {
		return &AuditState{}
	}
	a := &AuditState{Head: f.Head, Removed: maps.Clone(f.removed)}
	if f.Head == "" {
		return a
	}
	st := f.st
	hc, _ := st.InternHex([]byte(f.Head))
	f.collect(st.Commit(hc).Tree, "", func(path string, blob uint32) {
		a.Paths = append(a.Paths, PathSecrets{Path: path, Blob: st.Hex(blob), Secrets: lineSecrets(st.Found(blob))})
	})
	return a
}

func lineSecrets(found []detect.Finding) []LineSecret {
	out := make([]LineSecret, len(found))
	for i, c := range found {
		out[i] = LineSecret{Rule: c.RuleID, Secret: c.Secret, Line: c.StartLine}
	}
	return out
}

// prepareAudit gives Scan.Facts for the repository now, the history
// being st's commits: the refs and the default branch are asked of git
// again; the head's facts are st's (Prior's) if the head has not moved,
// else carried along the first-parent line from the old head to the new
// one. A head that moved anywhere else needs a full scan.
//
// With lazy (the refs unchanged since st was recorded, st's commits maybe
// not read yet), the commit graph is built only if the default branch
// moved or RefsReaching is asked what st did not record.
func (s *StateScan) prepareAudit(ctx context.Context, v repoView, st *ScanState, detectFn source.DetectFunc, lazy bool) error {
	if !s.Scan.WantFacts {
		return nil
	}
	prior := s.Prior.Audit
	f := &Facts{refs: map[string]uint32{}, inHead: map[string][]Location{}}
	f.readRefs(ctx, s.Scan.Git)
	if lazy && f.Head == prior.Head {
		// The head recorded was a commit of this same graph.
		f.recorded = prior.Reach
		f.graph = func() (*gitobj.Store, error) {
			if err := st.LoadCommits(); err != nil {
				return nil, err
			}
			return commitGraph(v.hashLen, st), nil
		}
	} else {
		if err := st.LoadCommits(); err != nil {
			return fullScan("%v", err)
		}
		f.st = commitGraph(v.hashLen, st)
		f.resolveRefs()
		if hc, ok := f.st.InternHex([]byte(f.Head)); !ok || f.st.Kind(hc) != gitobj.KindCommit {
			f.Head = ""
		}
	}
	a, err := s.moveHead(ctx, v, prior, f.Head, st, detectFn)
	if err != nil {
		return err
	}
	if a != prior {
		s.Changed = true
	}
	st.Audit = a
	f.removed = maps.Clone(a.Removed)
	for _, p := range a.Paths {
		for _, c := range p.Secrets {
			k := SecretKey(c.Rule, c.Secret)
			f.inHead[k] = append(f.inHead[k], Location{Path: p.Path, Line: c.Line})
		}
	}
	s.Scan.Facts = f
	return nil
}

// commitGraph is a store of st's commits and their parents only: what
// RefsReaching asks.
func commitGraph(hashLen int, st *ScanState) *gitobj.Store {
	return gitobj.CommitGraph(hashLen, len(st.Commits), func(i int) (string, []int32) {
		return st.Commits[i].ID, st.Commits[i].Parents
	})
}

// moveHead returns the audit state for head, from prior's.
func (s *StateScan) moveHead(ctx context.Context, v repoView, prior *AuditState, head string, st *ScanState, detectFn source.DetectFunc) (*AuditState, error) {
	switch {
	case head == prior.Head:
		return prior, nil
	case head == "":
		return &AuditState{}, nil
	case prior.Head == "":
		return nil, fullScan("the default branch was unborn")
	}
	// The first-parent line from head back to the old head.
	index := st.index()
	var line []string
	for c, ok := index[head]; ; {
		if !ok {
			return nil, fullScan("the default branch's head %s is not in the history", head)
		}
		id := st.Commits[c].ID
		if id == prior.Head {
			break
		}
		line = append(line, id)
		ps := st.Commits[c].Parents
		if len(ps) == 0 {
			return nil, fullScan("the default branch's head moved to %s, not a first-parent descendant of %s", head, prior.Head)
		}
		c, ok = ps[0], true
	}
	slices.Reverse(line)
	return s.walkHead(ctx, v, prior, line, detectFn)
}

// walkHead carries prior's facts along line (oldest first): each commit's
// tree is its first parent's with the files git diff-tree says changed,
// and a secret its parent's tree has and its own has not was removed by
// it, as buildFacts finds walking the whole line.
func (s *StateScan) walkHead(ctx context.Context, v repoView, prior *AuditState, line []string, detectFn source.DetectFunc) (*AuditState, error) {
	cf, err := s.Scan.Git.CatFile(ctx)
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	h := &headWalk{cf: cf, maxBytes: s.Scan.MaxBytes, detect: detectFn, scratch: gitobj.NewStore(v.hashLen),
		files: map[string]PathSecrets{}, blobs: map[string][]LineSecret{}}
	for _, p := range prior.Paths {
		h.files[p.Path] = p
	}
	out := &AuditState{Head: line[len(line)-1], Removed: maps.Clone(prior.Removed)}
	parent := prior.Head
	before := h.keys()
	for _, c := range line {
		if err := h.step(ctx, s.Scan.Git, parent, c); err != nil {
			return nil, err
		}
		now := h.keys()
		for k := range before {
			if !now[k] {
				who, err := h.commit(c)
				if err != nil {
					return nil, err
				}
				out.Removed[k] = who
			}
		}
		before, parent = now, c
	}
	for _, path := range sortedKeys(h.files) {
		out.Paths = append(out.Paths, h.files[path])
	}
	return out, nil
}

// headWalk is walkHead's state: the files of the current commit's tree
// that hold candidates, and the candidates of blobs read so far.
type headWalk struct {
	cf       *gitplumb.CatFile
	maxBytes int64
	detect   source.DetectFunc
	scratch  *gitobj.Store
	files    map[string]PathSecrets
	blobs    map[string][]LineSecret
}

// keys returns the secrets (SecretKey) the current tree holds.
func (h *headWalk) keys() map[string]bool {
	out := map[string]bool{}
	for _, f := range h.files {
		for _, c := range f.Secrets {
			out[SecretKey(c.Rule, c.Secret)] = true
		}
	}
	return out
}

// step moves the files from commit parent's tree to commit c's.
func (h *headWalk) step(ctx context.Context, g *gitplumb.Git, parent, c string) error {
	cmd := g.Command(ctx, "diff-tree", "-r", "-z", "--no-renames", parent, c)
	var stderr gitplumb.Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fullScan("git diff-tree %s %s: %v", parent, c, stderr.Wrap(err))
	}
	fields := bytes.Split(bytes.TrimSuffix(out, []byte{0}), []byte{0})
	for i := 0; i+1 < len(fields); i += 2 {
		meta := strings.Fields(string(fields[i]))
		path := string(fields[i+1])
		if len(meta) < 5 {
			return fmt.Errorf("git diff-tree: unexpected line %q", gitplumb.Truncate(string(fields[i]), 120))
		}
		delete(h.files, path)
		mode, blob := meta[1], meta[3]
		if mode == "000000" || mode == "120000" || mode == "160000" {
			continue
		}
		secrets, err := h.blob(blob)
		if err != nil {
			return err
		}
		if len(secrets) > 0 {
			h.files[path] = PathSecrets{Path: path, Blob: blob, Secrets: secrets}
		}
	}
	return nil
}

// blob returns a blob's candidates, scanning it as PackScan does.
func (h *headWalk) blob(id string) ([]LineSecret, error) {
	if s, ok := h.blobs[id]; ok {
		return s, nil
	}
	if err := h.cf.Request(id); err != nil {
		return nil, err
	}
	obj, err := h.cf.Next(h.maxBytes, nil)
	switch {
	case errors.Is(err, gitplumb.ErrMissing):
		return nil, fullScan("blob %s is missing", id)
	case err != nil:
		return nil, err
	}
	var out []LineSecret
	if !obj.TooLarge && bytes.IndexByte(obj.Data[:min(len(obj.Data), source.BinarySniff)], 0) < 0 {
		f := detect.Fragment{Content: obj.Data, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindHistory}}
		cands, err := h.detect(&f)
		if err != nil {
			return nil, err
		}
		out = lineSecrets(cands)
	}
	h.blobs[id] = out
	return out, nil
}

// commit returns what a report says of commit id.
func (h *headWalk) commit(id string) (*gitplumb.Commit, error) {
	if err := h.cf.Request(id); err != nil {
		return nil, err
	}
	obj, err := h.cf.Next(0, nil)
	if err != nil || obj.Type != "commit" {
		return nil, fullScan("commit %s cannot be read: %v", id, err)
	}
	info, err := h.scratch.ParseCommit(obj.Data)
	if err != nil {
		return nil, fullScan("commit %s: %v", id, err)
	}
	return &gitplumb.Commit{ID: id, Author: info.Author, Email: info.Email, Subject: info.Subject, Date: info.Date}, nil
}
