package gogit

import (
	"bytes"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/gitrename"
)

const zeroID = "0000000000000000000000000000000000000000"

// entry is one path of a flattened tree or of the index.
type entry struct {
	path string
	mode gitplumb.Mode
	id   plumbing.Hash
}

// DiffStaged compares the index with HEAD's tree (the empty tree when HEAD
// has no commit yet) and returns what `git diff-index --cached -M` would
// list (gitplumb.Git.DiffStaged), in the same order. indexFile, if not
// empty, is the index to read instead of the repository's own
// (GIT_INDEX_FILE; a relative path is taken from the current folder, as
// git takes it).
func (s *Store) DiffStaged(indexFile string) (*gitplumb.StagedDiff, error) {
	// HEAD's commit is found and read while the index is mapped and
	// walked: they share nothing (mapIndex reads no field headTree
	// writes), and a hook waits for both.
	type headRead struct {
		tree   string
		unborn bool
		err    error
	}
	heads := make(chan headRead, 1)
	go func() {
		var h headRead
		h.tree, h.unborn, h.err = s.headTree()
		heads <- h
	}()
	raw, unmap, err := s.mapIndex(indexFile)
	h := <-heads
	defer unmap()
	if err != nil {
		return nil, err
	}
	base, unborn := h.tree, h.unborn
	if h.err != nil {
		return nil, h.err
	}
	d := &gitplumb.StagedDiff{Base: base, Unborn: unborn}
	var head []entry
	if !unborn {
		if head, err = s.flatten(base, "", raw.cache, nil, 0); err != nil {
			return nil, err
		}
	}
	idx, err := s.readIndex(raw, s.skipped)
	if err != nil {
		return nil, err
	}
	if d.Changes, err = s.compare(head, idx); err != nil {
		return nil, err
	}
	return d, nil
}

// headTree returns HEAD's tree, or the empty tree with unborn set when
// HEAD names a branch that does not exist yet.
func (s *Store) headTree() (tree string, unborn bool, err error) {
	ref, err := storer.ResolveReference(s.refs, plumbing.HEAD)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		// Only a symbolic HEAD whose branch is missing is unborn; a HEAD
		// that cannot be read at all is for git to judge.
		head, herr := s.refs.Reference(plumbing.HEAD)
		if herr == nil && head.Type() == plumbing.SymbolicReference {
			return gitplumb.EmptyTreeSHA1, true, nil
		}
		return "", false, fallbackf("HEAD cannot be resolved")
	}
	if err != nil || ref.Type() != plumbing.HashReference {
		return "", false, fallbackf("HEAD cannot be resolved")
	}
	s.headCommit = ref.Hash().String()
	if name, err := s.refs.Reference(plumbing.HEAD); err == nil && name.Type() == plumbing.SymbolicReference {
		s.headBranch = name.Target().Short()
	}
	typ, data, err := s.read(ref.Hash().String(), 1<<20)
	if err != nil {
		return "", false, err
	}
	if typ != plumbing.CommitObject {
		// HEAD at a tag or a tree: rare, and git peels it its own way.
		return "", false, fallbackf("HEAD is a %s, not a commit", typ)
	}
	line, _, _ := bytes.Cut(data, []byte{'\n'})
	id, ok := bytes.CutPrefix(line, []byte("tree "))
	if !ok || len(id) != 40 || !isHex(string(id)) {
		return "", false, fallbackf("HEAD's commit has no tree line")
	}
	return string(id), false, nil
}

// flatten appends the files, symbolic links and submodules of tree id,
// recursively, in git's order (which, paths being flattened, is byte
// order of the full paths), with modes canonical as git reads them.
//
// A folder whose tree is the one the index's cache-tree holds for it
// stages nothing: it is not read, and recorded in s.skipped so that its
// index entries are left out too.
func (s *Store) flatten(id, prefix string, cache cacheTree, out []entry, depth int) ([]entry, error) {
	if depth > 4096 {
		return nil, fallbackf("trees nested too deeply")
	}
	dir := strings.TrimSuffix(prefix, "/")
	if n, ok := cache[dir]; ok && n.id == id {
		s.skipped = append(s.skipped, skippedDir{dir: dir, entries: n.entries, prefix: []byte(prefix)})
		return out, nil
	}
	typ, data, err := s.read(id, 0)
	if err != nil {
		return nil, err
	}
	if typ != plumbing.TreeObject {
		return nil, fallbackf("object %s is a %s, not a tree", id, typ)
	}
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp <= 0 || nul < sp+2 || len(data) < nul+21 {
			return nil, fallbackf("tree %s does not parse", id)
		}
		m, err := strconv.ParseUint(string(data[:sp]), 8, 32)
		if err != nil {
			return nil, fallbackf("tree %s has a bad mode", id)
		}
		name := string(data[sp+1 : nul])
		hash := plumbing.Hash(data[nul+1 : nul+21])
		data = data[nul+21:]
		if strings.Contains(name, "/") || name == "." || name == ".." {
			return nil, fallbackf("tree %s has a bad name", id)
		}
		mode := canonMode(uint32(m))
		if mode == modeDir {
			if out, err = s.flatten(hash.String(), prefix+name+"/", cache, out, depth+1); err != nil {
				return nil, err
			}
			continue
		}
		if name == ".gitattributes" {
			s.attrFiles[prefix+name] = true
		}
		out = append(out, entry{path: prefix + name, mode: mode, id: hash})
	}
	return out, nil
}

const modeDir gitplumb.Mode = 0o040000

// canonMode is git's canon_mode: the mode git reads a tree entry as.
func canonMode(m uint32) gitplumb.Mode {
	switch m & 0o170000 {
	case 0o100000:
		if m&0o100 != 0 {
			return gitplumb.ModeExec
		}
		return gitplumb.ModeFile
	case 0o120000:
		return gitplumb.ModeSymlink
	case 0o040000:
		return modeDir
	default:
		return gitplumb.ModeGitlink
	}
}

// indexed is the index outside the skipped folders: its stage-0
// entries and the paths in conflict.
type indexed struct {
	entries  []entry
	unmerged map[string]bool
}

// skippedDir is a folder the cache-tree showed unchanged: the number of
// index entries under it, from the cache-tree.
type skippedDir struct {
	dir     string
	entries int
	// prefix is dir and a slash; empty for the top folder.
	prefix []byte
}

// mapIndex maps and checks the index (parseIndex); a missing index is an
// empty one, as for git. Call unmap when done with it.
func (s *Store) mapIndex(indexFile string) (x *rawIndex, unmap func() error, err error) {
	unmap = func() error { return nil }
	path := filepath.Join(s.repo.GitDir, "index")
	if indexFile != "" {
		abs, err := filepath.Abs(indexFile)
		if err != nil {
			return nil, unmap, fallbackf("index file %s: %v", indexFile, err)
		}
		path = abs
	}
	if st, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return &rawIndex{}, unmap, nil
	} else if err == nil && st.Size() == 0 {
		return nil, unmap, fallbackf("%s is empty", path)
	}
	raw, unmap, err := mapFile(path)
	if err != nil {
		return nil, func() error { return nil }, fallbackf("%s: %v", path, err)
	}
	if x, err = parseIndex(raw); err != nil {
		unmap()
		return nil, func() error { return nil }, fallbackf("%s: %v", path, err)
	}
	return x, unmap, nil
}

// readIndex decodes the index's entries outside the folders flatten did
// not read, checking on the way that the index is sorted and not sparse,
// and that the cache-tree's count of each skipped folder's entries is
// right and that none of them is in conflict or only intended to be added
// (otherwise the cache-tree is not what git keeps, and git is asked).
func (s *Store) readIndex(x *rawIndex, skipped []skippedDir) (*indexed, error) {
	out := &indexed{unmerged: map[string]bool{}}
	counts := make([]int, len(skipped))
	in := skippedAt(skipped)
	var prev []byte
	first := true
	err := x.each(func(e *indexEntry) error {
		if !first && bytes.Compare(e.name, prev) < 0 {
			return fallbackf("the index is not sorted")
		}
		first = false
		prev = append(prev[:0], e.name...)
		mode := canonMode(e.mode)
		if mode == modeDir {
			return fallbackf("the index is a sparse index")
		}
		if isAttributesPath(e.name) {
			s.attrFiles[string(e.name)] = true
		}
		if k, ok := in(e.name); ok {
			if e.stage != 0 || e.ita {
				return fallbackf("the cache-tree of %q covers an entry in conflict or intended to be added", skipped[k].dir)
			}
			counts[k]++
			return nil
		}
		if e.stage != 0 {
			out.unmerged[string(e.name)] = true
			return nil
		}
		out.entries = append(out.entries, entry{path: string(e.name), mode: mode, id: e.id})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, sk := range skipped {
		if counts[k] != sk.entries {
			return nil, fallbackf("the cache-tree of %q counts %d entries, the index has %d", sk.dir, sk.entries, counts[k])
		}
	}
	return out, nil
}

func isAttributesPath(p []byte) bool {
	const name = ".gitattributes"
	return bytes.HasSuffix(p, []byte(name)) && (len(p) == len(name) || p[len(p)-len(name)-1] == '/')
}

// skippedAt returns a function telling which of skipped (disjoint
// folders, in path order) holds each path of a sequence in path order.
func skippedAt(skipped []skippedDir) func(path []byte) (int, bool) {
	k := 0
	return func(p []byte) (int, bool) {
		for k < len(skipped) {
			d := skipped[k].prefix
			if len(d) == 0 || bytes.HasPrefix(p, d) {
				return k, true
			}
			if bytes.Compare(p, d) < 0 {
				return 0, false
			}
			k++ // p is past every path under d
		}
		return 0, false
	}
}

// compare lists what the index changes relative to head, as diff-index
// --cached -M does: a path in conflict is 'U' (HEAD's side kept), a path
// whose object type changes is 'T', another change 'M', and a deleted path
// an added one was renamed from becomes that added path's 'R'.
func (s *Store) compare(head []entry, idx *indexed) ([]gitplumb.StagedChange, error) {
	var cl changeList
	unmerged := make([]string, 0, len(idx.unmerged))
	for p := range idx.unmerged {
		unmerged = append(unmerged, p)
	}
	slices.Sort(unmerged)
	i, j, u := 0, 0, 0
	for i < len(head) || j < len(idx.entries) || u < len(unmerged) {
		// The next path in byte order among the three lists.
		next := ""
		first := true
		for _, p := range []struct {
			ok   bool
			path string
		}{{i < len(head), pathAt(head, i)}, {j < len(idx.entries), pathAt(idx.entries, j)}, {u < len(unmerged), strAt(unmerged, u)}} {
			if p.ok && (first || p.path < next) {
				next, first = p.path, false
			}
		}
		var h, x *entry
		if i < len(head) && head[i].path == next {
			h = &head[i]
			i++
		}
		if j < len(idx.entries) && idx.entries[j].path == next {
			x = &idx.entries[j]
			j++
		}
		if u < len(unmerged) && unmerged[u] == next {
			u++
			cl.emit(next, h, nil, 'U')
			continue
		}
		switch {
		case h == nil:
			cl.emit(next, nil, x, 'A')
		case x == nil:
			cl.emit(next, h, nil, 'D')
		case h.mode == x.mode && h.id == x.id:
		case h.mode&0o170000 != x.mode&0o170000:
			cl.emit(next, h, x, 'T')
		default:
			cl.emit(next, h, x, 'M')
		}
	}
	if len(cl.deleted) == 0 || len(cl.added) == 0 {
		return cl.changes, nil
	}
	return s.renames(cl.changes, cl.deleted, cl.added)
}

// changeList collects the changes compare finds, remembering which are
// deletions and additions: the candidates for renames.
type changeList struct {
	changes        []gitplumb.StagedChange
	deleted, added []int // indexes into changes
}

// emit appends the change of path from head entry h to index entry x
// (either nil when absent) with status.
func (cl *changeList) emit(path string, h, x *entry, status byte) {
	ch := gitplumb.StagedChange{Path: path, Old: sideOf(h), Status: status}
	n := sideOf(x)
	ch.Mode, ch.Blob = n.Mode, n.Blob
	cl.changes = append(cl.changes, ch)
	switch status {
	case 'D':
		cl.deleted = append(cl.deleted, len(cl.changes)-1)
	case 'A':
		cl.added = append(cl.added, len(cl.changes)-1)
	}
}

// sideOf is one side of a change: entry e, or none when e is nil.
func sideOf(e *entry) gitplumb.Side {
	if e == nil {
		return gitplumb.Side{Mode: gitplumb.ModeNone, Blob: zeroID}
	}
	return gitplumb.Side{Mode: e.mode, Blob: e.id.String()}
}

// renames pairs added paths with the deleted paths they were renamed
// from, with git's rules (internal/gitrename), and rewrites changes as
// diff-index prints them: the pair at the added path's place, with status
// 'R' and From set, and the deleted path gone.
func (s *Store) renames(changes []gitplumb.StagedChange, deleted, added []int) ([]gitplumb.StagedChange, error) {
	files := func(ix []int, side func(*gitplumb.StagedChange) (gitplumb.Mode, string)) []gitrename.File {
		out := make([]gitrename.File, len(ix))
		for k, c := range ix {
			m, id := side(&changes[c])
			out[k] = gitrename.File{Path: changes[c].Path, Mode: uint32(m), ID: id}
		}
		return out
	}
	src := files(deleted, func(c *gitplumb.StagedChange) (gitplumb.Mode, string) { return c.Old.Mode, c.Old.Blob })
	dst := files(added, func(c *gitplumb.StagedChange) (gitplumb.Mode, string) { return c.Mode, c.Blob })
	opt := gitrename.Options{RenameLimit: s.repo.RenameLimit, Load: s.loadBlob, Size: s.blobSize}
	if s.hasAttributes(src, dst) {
		// git scores a pair by its content unless attributes say the
		// file is binary; only exact renames are certain then.
		opt.Load = func(string) ([]byte, error) {
			return nil, fallbackf("inexact rename detection where attributes may apply")
		}
	}
	res, err := gitrename.Detect(src, dst, opt)
	if err != nil {
		if errors.Is(err, ErrFallback) {
			return nil, err
		}
		return nil, fallbackf("rename detection: %v", err)
	}
	gone := map[int]bool{}
	for _, p := range res.Pairs {
		from := &changes[deleted[p.Src]]
		to := &changes[added[p.Dst]]
		to.Status, to.From, to.Old = 'R', from.Path, from.Old
		gone[deleted[p.Src]] = true
	}
	out := changes[:0:0]
	for k := range changes {
		if !gone[k] {
			out = append(out, changes[k])
		}
	}
	return out, nil
}

// hasAttributes reports whether a gitattributes file could apply to one
// of files: the repository's info/attributes, a core.attributesFile, or a
// .gitattributes in the work tree, the index or HEAD in any folder above
// one of them.
func (s *Store) hasAttributes(lists ...[]gitrename.File) bool {
	if s.repo.AttributesFile {
		return true
	}
	if _, err := os.Lstat(filepath.Join(s.repo.CommonDir, "info", "attributes")); err == nil {
		return true
	}
	seen := map[string]bool{}
	for _, files := range lists {
		for _, f := range files {
			for dir := path.Dir(f.Path); !seen[dir]; dir = path.Dir(dir) {
				seen[dir] = true
				name := path.Join(dir, ".gitattributes")
				if s.attrFiles[name] {
					return true
				}
				if _, err := os.Lstat(filepath.Join(s.repo.WorkTree, filepath.FromSlash(name))); err == nil {
					return true
				}
				if dir == "." {
					break
				}
			}
		}
	}
	return false
}

func (s *Store) blobSize(id string) (int64, error) {
	o, err := s.object(id)
	if err != nil {
		return 0, fallbackf("object %s: %v", id, err)
	}
	return o.size, nil
}

func (s *Store) loadBlob(id string) ([]byte, error) {
	typ, data, err := s.read(id, 0)
	if err != nil {
		return nil, err
	}
	if typ != plumbing.BlobObject {
		return nil, fallbackf("object %s is a %s, not a blob", id, typ)
	}
	return data, nil
}

func pathAt(es []entry, i int) string {
	if i < len(es) {
		return es[i].path
	}
	return ""
}

func strAt(ss []string, i int) string {
	if i < len(ss) {
		return ss[i]
	}
	return ""
}
