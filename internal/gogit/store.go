package gogit

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	ghash "github.com/go-git/go-git/v5/plumbing/hash"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"

	"github.com/leakhound/leakhound/internal/gitplumb"
)

// useSHA1 has go-git hash what it reads with crypto/sha1 rather than its
// collision-detecting SHA-1, which is several times slower: reading
// trusts the object store's names as git does, and nothing here writes
// an object or decides anything by a hash it computes.
var useSHA1 = sync.OnceFunc(func() { _ = ghash.RegisterHash(crypto.SHA1, sha1.New) })

// maxAlternates is how deep git follows objects/info/alternates.
const maxAlternates = 5

// Store reads a repository's refs and objects with go-git's filesystem
// storage: loose objects, packs (with their deltas) and alternates. It is
// not safe for concurrent use. Close it when done.
type Store struct {
	repo *Repo
	refs storer.ReferenceStorer
	// dbs are the object folders: the repository's, then those
	// objects/info/alternates names, in git's order, followed
	// recursively.
	dbs []*objectDB
	// headCommit and headBranch are HEAD's commit and branch once read.
	headCommit, headBranch string
	// found are the objects looked up so far, so that the blobs Ensure
	// finds are not looked for again when read.
	found map[plumbing.Hash]*object
	// attrFiles are the .gitattributes paths the index or HEAD hold.
	attrFiles map[string]bool
	// skipped are the folders DiffStaged found unchanged through the
	// index's cache-tree, in path order.
	skipped []skippedDir
}

// Store opens r's refs and objects. Refs are read with go-git's
// filesystem storage; objects with go-git's loose-object and pack readers
// over pack indexes mapped in place (packIndex), since go-git's storage
// decodes every pack index whole before reading one object.
func (r *Repo) Store() (*Store, error) {
	useSHA1()
	var fs billy.Filesystem = osfs.New(r.GitDir)
	if r.CommonDir != r.GitDir {
		// A linked worktree: HEAD and the index are its own, refs and
		// packed-refs are the common directory's.
		fs = dotgit.NewRepositoryFilesystem(fs, osfs.New(r.CommonDir))
	}
	st := filesystem.NewStorageWithOptions(fs, cache.NewObjectLRU(1<<20), filesystem.Options{})
	s := &Store{repo: r, refs: st, attrFiles: map[string]bool{}, found: map[plumbing.Hash]*object{}}
	objects := filepath.Join(r.CommonDir, "objects")
	alts, err := alternates(objects, 0)
	if err != nil {
		return nil, err
	}
	for _, dir := range append([]string{objects}, alts...) {
		s.dbs = append(s.dbs, &objectDB{dir: dir})
	}
	return s, nil
}

// objectDB is one object folder: its loose objects and its packs, whose
// indexes are opened the first time an object is looked for there.
type objectDB struct {
	dir    string
	opened bool
	packs  []*pack
}

type pack struct {
	idx  *packIndex
	file *packfile.Packfile
}

// openPacks maps the folder's pack indexes and opens their packs.
func (db *objectDB) openPacks() error {
	db.opened = true
	idxs, err := filepath.Glob(filepath.Join(db.dir, "pack", "pack-*.idx"))
	if err != nil {
		return fallbackf("packs of %s: %v", db.dir, err)
	}
	packDir := osfs.New(filepath.Join(db.dir, "pack"))
	for _, ip := range idxs {
		name := strings.TrimSuffix(filepath.Base(ip), ".idx") + ".pack"
		f, err := packDir.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			continue // an index left behind; git ignores it too
		}
		if err != nil {
			return fallbackf("pack %s: %v", name, err)
		}
		x, err := openPackIndex(ip)
		if err != nil {
			f.Close()
			return err
		}
		p := packfile.NewPackfileWithCache(x, packDir, f, cache.NewObjectLRU(8<<20), 0)
		db.packs = append(db.packs, &pack{idx: x, file: p})
	}
	return nil
}

func (db *objectDB) close() error {
	var err error
	for _, p := range db.packs {
		err = errors.Join(err, p.file.Close(), p.idx.close())
	}
	return err
}

// object is an object found in a store: its type, size, and a way to
// read its content.
type object struct {
	typ  plumbing.ObjectType
	size int64
	open func() (io.ReadCloser, error)
}

// get finds h in the folder: loose first, then in the packs.
func (db *objectDB) get(h plumbing.Hash) (*object, error) {
	o, err := db.looseObject(h)
	if !errors.Is(err, os.ErrNotExist) {
		return o, err
	}
	if !db.opened {
		if err := db.openPacks(); err != nil {
			return nil, err
		}
	}
	for _, p := range db.packs {
		if ok, _ := p.idx.Contains(h); !ok {
			continue
		}
		o, err := p.file.Get(h)
		if err != nil {
			return nil, err
		}
		return &object{typ: o.Type(), size: o.Size(), open: o.Reader}, nil
	}
	return nil, plumbing.ErrObjectNotFound
}

// maxLooseInMemory is the largest loose object file kept in memory once
// read, rather than opened again for its content.
const maxLooseInMemory = 1 << 20

// objfileHeader opens a loose object's zlib stream r with go-git's
// objfile reader and reads its header, returning the reader positioned at
// the content.
func objfileHeader(r io.Reader) (*objfile.Reader, plumbing.ObjectType, int64, error) {
	or, err := objfile.NewReader(r)
	if err != nil {
		return nil, 0, 0, err
	}
	typ, size, err := or.Header()
	if err != nil {
		or.Close()
		return nil, 0, 0, err
	}
	return or, typ, size, nil
}

// looseObject reads a loose object's header with go-git's objfile
// reader. A small object's file (the usual staged file) is read once and
// kept; a larger one is opened again to read its content.
func (db *objectDB) looseObject(h plumbing.Hash) (*object, error) {
	hex := h.String()
	path := filepath.Join(db.dir, hex[:2], hex[2:])
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("loose object %s is not a regular file", hex)
	}
	if st.Size() <= maxLooseInMemory {
		raw, err := io.ReadAll(io.LimitReader(f, maxLooseInMemory+1))
		if err != nil {
			return nil, err
		}
		or, typ, size, err := objfileHeader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		or.Close()
		return &object{typ: typ, size: size, open: func() (io.ReadCloser, error) {
			or, _, _, err := objfileHeader(bytes.NewReader(raw))
			if err != nil {
				return nil, err
			}
			return or, nil
		}}, nil
	}
	or, typ, size, err := objfileHeader(f)
	if err != nil {
		return nil, err
	}
	or.Close()
	return &object{typ: typ, size: size, open: func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		or, _, _, err := objfileHeader(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		return readCloser{or, func() error { return errors.Join(or.Close(), f.Close()) }}, nil
	}}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// alternates returns the object folders objects/info/alternates names
// (relative ones taken from objects, as git takes them), followed
// recursively. go-git's own reading takes relative ones from elsewhere
// and allows only folders named "objects", so Store asks these itself.
func alternates(objects string, depth int) ([]string, error) {
	f, err := os.Open(filepath.Join(objects, "info", "alternates"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fallbackf("alternates of %s: %v", objects, err)
	}
	defer f.Close()
	if depth >= maxAlternates {
		return nil, fallbackf("alternates nested deeper than git follows")
	}
	var out []string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "\"") {
			return nil, fallbackf("a quoted alternate")
		}
		if !filepath.IsAbs(line) {
			line = filepath.Join(objects, line)
		}
		if real, err := filepath.EvalSymlinks(line); err == nil {
			line = real
		}
		if filepath.Base(line) != "objects" {
			return nil, fallbackf("an alternate object folder not named objects")
		}
		if st, err := os.Stat(line); err != nil || !st.IsDir() {
			// git warns and goes on without it.
			continue
		}
		out = append(out, line)
		more, err := alternates(line, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	if err := sc.Err(); err != nil {
		return nil, fallbackf("alternates of %s: %v", objects, err)
	}
	return out, nil
}

// Close releases the files the store keeps open.
func (s *Store) Close() error {
	var err error
	for _, db := range s.dbs {
		err = errors.Join(err, db.close())
	}
	return err
}

// object finds id in the repository or one of its alternates.
func (s *Store) object(id string) (*object, error) {
	if len(id) != 40 || !isHex(id) {
		return nil, fallbackf("object id %q", id)
	}
	h := plumbing.NewHash(id)
	if o, ok := s.found[h]; ok {
		return o, nil
	}
	for _, db := range s.dbs {
		o, err := db.get(h)
		if !errors.Is(err, plumbing.ErrObjectNotFound) {
			if err == nil {
				s.found[h] = o
			}
			return o, err
		}
	}
	return nil, plumbing.ErrObjectNotFound
}

// read returns an object's type and content. An object larger than max
// bytes (when max > 0), missing or unreadable gives ErrFallback.
func (s *Store) read(id string, max int64) (plumbing.ObjectType, []byte, error) {
	obj, err := s.object(id)
	if err != nil {
		return 0, nil, fallbackf("object %s: %v", id, err)
	}
	if max > 0 && obj.size > max {
		return 0, nil, fallbackf("object %s is larger than expected", id)
	}
	data, err := readAll(obj, nil)
	if err != nil {
		return 0, nil, fallbackf("object %s: %v", id, err)
	}
	return obj.typ, data, nil
}

func readAll(obj *object, dst []byte) ([]byte, error) {
	n := obj.size
	if n < 0 || n > 1<<40 {
		return nil, fmt.Errorf("size %d", n)
	}
	rc, err := obj.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if int64(cap(dst)) >= n {
		dst = dst[:n]
	} else {
		dst = make([]byte, n)
	}
	if _, err := io.ReadFull(rc, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// Ensure returns ErrFallback unless every blob a scan of d reads is in
// the store: an object go-git cannot find may be one git finds (or, in a
// partial clone, one git reports missing), so git is asked instead.
func (s *Store) Ensure(d *gitplumb.StagedDiff) error {
	for _, ch := range d.Changes {
		for _, side := range []gitplumb.Side{{Mode: ch.Mode, Blob: ch.Blob}, ch.Old} {
			if !side.Mode.Regular() || gitplumb.IsZero(side.Blob) {
				continue
			}
			if _, err := s.object(side.Blob); err != nil {
				return fallbackf("object %s: %v", side.Blob, err)
			}
		}
	}
	return nil
}

// Head returns HEAD's commit and branch as DiffStaged read them; empty
// when unborn or detached (branch).
func (s *Store) Head() (commit, branch string) { return s.headCommit, s.headBranch }

// Blobs returns a gitplumb.Blobs over the store, for staged.Source.
// Close on it leaves the store open.
func (s *Store) Blobs() gitplumb.Blobs { return &blobs{s: s} }

// blobs answers requests in order, as gitplumb.CatFile does.
type blobs struct {
	s     *Store
	queue []string
}

func (b *blobs) Request(id string) error {
	b.queue = append(b.queue, id)
	return nil
}

func (b *blobs) Next(limit int64, dst []byte) (gitplumb.Object, error) {
	if len(b.queue) == 0 {
		return gitplumb.Object{}, errors.New("in-process reader: Next without a pending request")
	}
	id := b.queue[0]
	b.queue = b.queue[1:]
	obj, err := b.s.object(id)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return gitplumb.Object{ID: id}, &gitplumb.MissingError{ID: id, Answer: "missing"}
	}
	if err != nil {
		return gitplumb.Object{}, fmt.Errorf("object %s: %w", id, err)
	}
	o := gitplumb.Object{ID: id, Type: obj.typ.String(), Size: obj.size}
	if limit > 0 && o.Size > limit {
		o.TooLarge = true
		return o, nil
	}
	if o.Data, err = readAll(obj, dst[:0]); err != nil {
		return gitplumb.Object{}, fmt.Errorf("object %s: %w", id, err)
	}
	return o, nil
}

func (b *blobs) Close() error {
	b.queue = nil
	return nil
}
