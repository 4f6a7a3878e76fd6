package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/leakhound/leakhound/detect"
)

// streamThreshold is the size above which a file is scanned as a stream
// of overlapping chunks instead of being read whole, bounding memory.
const streamThreshold = 16 << 20

// keepBuffer is the largest read buffer a worker keeps between files.
const keepBuffer = 4 << 20

// BinarySniff is how much of a file or blob is inspected for NUL bytes to
// call it binary, as git does.
const BinarySniff = 8000

// Dir walks directory trees (or single files) and emits each regular file.
// It never follows symbolic links (so never leaves the root and never
// loops), never opens FIFOs or devices, and skips binary files and files
// over the size cap, reporting each through Events.
type Dir struct {
	Roots    []string
	MaxBytes int64 // 0: no cap
	Threads  int
	// SkipPath, if set, is asked before a file is read; true skips it
	// (a path allowlist that would drop everything found in it).
	SkipPath func(rel string) bool
	Events   Events
}

type fileJob struct {
	abs, rel string
}

// Scan implements Source.
func (d *Dir) Scan(ctx context.Context, emit Emit) error {
	events := d.Events
	if events == nil {
		events = NopEvents{}
	}
	threads := d.Threads
	if threads < 1 {
		threads = 1
	}
	jobs := make(chan fileJob, 256)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var fatal error
	fail := func(err error) {
		once.Do(func() { fatal = err; cancel() })
	}
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &reader{events: events, maxBytes: d.MaxBytes}
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				if err := r.scanFile(ctx, j, emit); err != nil {
					fail(err)
				}
			}
		}()
	}
	var walkErr error
	for _, root := range d.Roots {
		if walkErr = d.walkRoot(ctx, root, len(d.Roots) > 1, jobs, events); walkErr != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if fatal != nil {
		return fatal
	}
	if walkErr != nil && !errors.Is(walkErr, context.Canceled) {
		return walkErr
	}
	return ctx.Err()
}

// walkRoot sends the files under root to jobs, in lexical order.
func (d *Dir) walkRoot(ctx context.Context, root string, multi bool, jobs chan<- fileJob, events Events) error {
	// The roots are what the user named: follow a link there (only there).
	info, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("%s: %w", root, unwrapPath(err))
	}
	abs, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("%s: %w", root, unwrapPath(err))
	}
	relName := func(rel string) string {
		if multi {
			return filepath.ToSlash(filepath.Join(root, rel))
		}
		return filepath.ToSlash(rel)
	}
	if !info.IsDir() {
		name := filepath.ToSlash(filepath.Clean(root))
		if !info.Mode().IsRegular() {
			events.Skipped(name, SkipSpecial)
			return nil
		}
		jobs <- fileJob{abs: abs, rel: name}
		return nil
	}
	return d.walk(ctx, abs, "", relName, jobs, events)
}

func (d *Dir) walk(ctx context.Context, abs, rel string, relName func(string) string, jobs chan<- fileJob, events Events) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		name := relName(rel)
		if name == "" {
			name = "." // the root itself, named relative to itself
		}
		events.Failed(name, unwrapPath(err))
		if len(entries) == 0 {
			return nil
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		childAbs := filepath.Join(abs, e.Name())
		childRel := e.Name()
		if rel != "" {
			childRel = rel + "/" + e.Name()
		}
		name := relName(childRel)
		mode := e.Type()
		switch {
		case mode&fs.ModeSymlink != 0:
			events.Skipped(name, SkipSymlink)
		case mode.IsDir():
			if e.Name() == ".git" {
				events.Skipped(name, SkipGitDir)
				continue
			}
			if d.SkipPath != nil && d.SkipPath(name+"/") {
				events.Skipped(name+"/", SkipAllowlist)
				continue
			}
			if err := d.walk(ctx, childAbs, childRel, relName, jobs, events); err != nil {
				return err
			}
		case !mode.IsRegular():
			events.Skipped(name, SkipSpecial)
		case d.SkipPath != nil && d.SkipPath(name):
			events.Skipped(name, SkipAllowlist)
		default:
			select {
			case jobs <- fileJob{abs: childAbs, rel: name}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// reader reads files for one worker, reusing its buffer.
type reader struct {
	events   Events
	maxBytes int64
	buf      []byte
}

// scanFile scans one file: opened (or skipped, as special, vanished or
// too large), sniffed for binary content, then streamed when large or
// read whole into the worker's buffer.
func (r *reader) scanFile(ctx context.Context, j fileJob, emit Emit) error {
	fh, size, ok := r.open(j.abs, j.rel)
	if !ok {
		return nil
	}
	defer fh.Close()
	if r.maxBytes > 0 && size > r.maxBytes {
		r.events.Skipped(j.rel, SkipTooLarge)
		return nil
	}
	prov := detect.Provenance{Kind: detect.KindDir, Path: j.rel}
	head, ok := r.sniff(fh, j.rel)
	if !ok {
		return nil
	}
	if size > streamThreshold {
		return r.stream(ctx, io.MultiReader(bytes.NewReader(head), fh), prov, emit)
	}
	if !r.readRest(fh, head, j.rel) {
		return nil
	}
	if err := emit(&detect.Fragment{Content: r.buf, StartLine: 1, Provenance: prov}); err != nil {
		return err
	}
	r.events.Scanned(j.rel, int64(len(r.buf)))
	if cap(r.buf) > keepBuffer {
		r.buf = nil // do not pin a big buffer per worker for the rest of the walk
	}
	return nil
}

// open opens a regular file and returns its size; ok is false when it
// is not one, is gone or cannot be opened, which Events is told.
func (r *reader) open(abs, rel string) (fh *os.File, size int64, ok bool) {
	fh, info, err := openRegular(abs)
	if err != nil {
		switch {
		case errors.Is(err, errNotRegular):
			r.events.Skipped(rel, SkipSpecial)
		case errors.Is(err, fs.ErrNotExist):
			// Listed, then deleted before it was opened: there is
			// nothing left to leak, and nothing was missed.
			r.events.Skipped(rel, SkipVanished)
		default:
			r.events.Failed(rel, unwrapPath(err))
		}
		return nil, 0, false
	}
	return fh, info.Size(), true
}

// sniff reads the file's first BinarySniff bytes; ok is false when they
// cannot be read or hold a NUL (a binary file), which Events is told.
func (r *reader) sniff(fh *os.File, rel string) (head []byte, ok bool) {
	head = make([]byte, BinarySniff)
	n, err := io.ReadFull(fh, head)
	head = head[:n]
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		r.events.Failed(rel, unwrapPath(err))
		return nil, false
	}
	if bytes.IndexByte(head, 0) >= 0 {
		r.events.Skipped(rel, SkipBinary)
		return nil, false
	}
	return head, true
}

// stream scans a large file from src in overlapping chunks. A read error
// is the file's failure, told to Events; only a cancelled scan or emit's
// error is returned.
func (r *reader) stream(ctx context.Context, src io.Reader, prov detect.Provenance, emit Emit) error {
	total, err := scanStream(ctx, src, prov, 1, defaultChunkSize, defaultOverlap, emit)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			r.events.Failed(prov.Path, unwrapPath(err))
			return nil
		}
		return err
	}
	r.events.Scanned(prov.Path, total)
	return nil
}

// readRest reads the file after head into r.buf, to EOF rather than to
// the size stat gave, since the file may have grown or shrunk since; ok
// is false when it cannot be read or grows past twice the streaming
// threshold, which Events is told.
func (r *reader) readRest(fh *os.File, head []byte, rel string) (ok bool) {
	r.buf = append(r.buf[:0], head...)
	for {
		if len(r.buf) == cap(r.buf) {
			r.buf = append(r.buf, 0)[:len(r.buf)]
		}
		n, err := fh.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+n]
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			r.events.Failed(rel, unwrapPath(err))
			return false
		}
		if int64(len(r.buf)) > streamThreshold*2 {
			r.events.Failed(rel, errors.New("file grew while being read"))
			return false
		}
	}
}

var errNotRegular = errors.New("not a regular file")

// unwrapPath drops the *PathError wrapper, whose path is absolute; the
// caller names the file relative to the scanned root instead.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
