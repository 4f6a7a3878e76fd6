package gitplumb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/linediff"
	"github.com/leakhound/leakhound/internal/source"
)

// Empty tree ids: what a repository with no commits yet is compared with.
const (
	EmptyTreeSHA1   = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
	EmptyTreeSHA256 = "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
)

// SkipUnmerged is the reason a path with an unresolved merge conflict in
// the index is not scanned: the commit cannot be made until it is staged
// again, and that staging is scanned then.
const SkipUnmerged source.SkipReason = "unmerged (conflict not resolved)"

// ErrBare is matched (errors.Is) by the error for a staged scan of a bare
// repository, which has no index.
var ErrBare = errors.New("a bare repository has no index, so nothing is staged")

// StagedDiff is what the index changes relative to HEAD: the changes a
// commit made now would record.
type StagedDiff struct {
	// Base is the tree the index is compared with: HEAD's, or the empty
	// tree when HEAD has no commit yet.
	Base string
	// Unborn is set when HEAD has no commit yet.
	Unborn bool
	// Changes are the changed paths, in git's (path) order.
	Changes []StagedChange
}

// StagedChange is one path the index changes.
type StagedChange struct {
	// Path is the path in the index ('/'-separated, any bytes but NUL).
	Path string
	// From is the path in HEAD the index version was renamed or copied
	// from; empty otherwise.
	From string
	// Mode and Blob are the index version; ModeNone and the zero id when
	// the index deletes the path (or, for Status 'U', holds a conflict).
	Mode Mode
	Blob string
	// Old is HEAD's version of Path (of From when renamed); ModeNone and
	// the zero id when HEAD has none.
	Old Side
	// Status is git's status letter: A, C, D, M, R, T or U.
	Status byte
}

// DiffStaged compares the index with HEAD (or with the empty tree when
// the repository has no commit yet), with `git diff-index --cached -M`,
// which reads only the index and objects: no work-tree file, filter,
// diff driver, textconv or hook is involved. indexFile, if not empty, is
// the index to read instead of the repository's own: git names a
// temporary one in GIT_INDEX_FILE when a pre-commit hook runs for `git
// commit -a` or `git commit PATH...`. A bare repository gives an error
// matching ErrBare.
func (g *Git) DiffStaged(ctx context.Context, indexFile string) (*StagedDiff, error) {
	base, unborn, err := g.stagedBase(ctx)
	if err != nil {
		return nil, err
	}
	d := &StagedDiff{Base: base, Unborn: unborn}
	args := []string{"diff-index", "--cached", "-z", "--raw", "--no-abbrev", "--no-relative",
		"--no-ext-diff", "--no-textconv"}
	if !unborn {
		args = append(args, "-M") // nothing to rename from in an empty tree
	}
	cmd := g.Command(ctx, append(args, base, "--")...)
	if indexFile != "" {
		abs, err := filepath.Abs(indexFile)
		if err != nil {
			return nil, fmt.Errorf("index file %s: %w", indexFile, err)
		}
		cmd.Env = append(cmd.Env, "GIT_INDEX_FILE="+abs)
	}
	var stderr tail
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git diff-index --cached: %w", stderr.wrap(err))
	}
	if d.Changes, err = parseDiffIndex(out); err != nil {
		return nil, fmt.Errorf("git diff-index --cached: %w", err)
	}
	return d, nil
}

// stagedBase returns the tree the index is compared with, from one `git
// rev-parse`: whether the repository is bare, its object format (for the
// empty tree's id) and HEAD's tree, which is absent (exit status 1) when
// HEAD has no commit yet.
func (g *Git) stagedBase(ctx context.Context) (tree string, unborn bool, err error) {
	cmd := g.Command(ctx, "rev-parse", "--is-bare-repository", "--show-object-format", "-q", "--verify", "HEAD^{tree}")
	var stderr tail
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		return "", false, fmt.Errorf("git rev-parse: %w", stderr.wrap(err))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		return "", false, fmt.Errorf("git rev-parse: unexpected output %q: %w", truncate(string(out), 100), stderr.wrap(err))
	}
	if strings.TrimSpace(lines[0]) == "true" {
		return "", false, fmt.Errorf("%s: %w", g.Dir, ErrBare)
	}
	if err == nil && len(lines) >= 3 {
		if id := strings.TrimSpace(lines[2]); validID(id) {
			return id, false, nil
		}
		return "", false, fmt.Errorf("git rev-parse HEAD: unexpected output %q", truncate(lines[2], 100))
	}
	switch format := strings.TrimSpace(lines[1]); format {
	case "sha1":
		return EmptyTreeSHA1, true, nil
	case "sha256":
		return EmptyTreeSHA256, true, nil
	default:
		return "", false, fmt.Errorf("unsupported object format %q", truncate(format, 20))
	}
}

// parseDiffIndex parses `diff-index --raw -z` output (git-diff-index(1),
// "Raw output format"): for each path
//
//	:<old mode> <new mode> <old id> <new id> <status>[score]\0<path>\0
//
// and for a rename or copy (status R or C) a second path, the new one.
func parseDiffIndex(out []byte) ([]StagedChange, error) {
	var changes []StagedChange
	next := func() (string, bool) {
		i := bytes.IndexByte(out, 0)
		if i < 0 {
			return "", false
		}
		tok := string(out[:i])
		out = out[i+1:]
		return tok, true
	}
	for len(bytes.TrimLeft(out, "\n")) > 0 {
		out = bytes.TrimLeft(out, "\n")
		rec, ok := next()
		if !ok {
			return nil, fmt.Errorf("truncated record %q", truncate(string(out), 200))
		}
		ch, err := parseIndexRecord(rec)
		if err != nil {
			return nil, err
		}
		first, ok := next()
		if !ok {
			return nil, fmt.Errorf("record %q has no path", truncate(rec, 200))
		}
		ch.Path = first
		if ch.Status == 'R' || ch.Status == 'C' {
			second, ok := next()
			if !ok {
				return nil, fmt.Errorf("record %q has no new path", truncate(rec, 200))
			}
			ch.From, ch.Path = first, second
		}
		changes = append(changes, ch)
	}
	return changes, nil
}

func parseIndexRecord(rec string) (StagedChange, error) {
	bad := func() (StagedChange, error) {
		return StagedChange{}, fmt.Errorf("malformed raw diff record %q", truncate(rec, 200))
	}
	f := strings.Fields(strings.TrimPrefix(rec, ":"))
	if !strings.HasPrefix(rec, ":") || len(f) != 5 || f[4] == "" {
		return bad()
	}
	var modes [2]Mode
	for i := range modes {
		m, err := strconv.ParseUint(f[i], 8, 32)
		if err != nil {
			return bad()
		}
		modes[i] = Mode(m)
	}
	if !validID(f[2]) || !validID(f[3]) {
		return bad()
	}
	ch := StagedChange{Old: Side{Mode: modes[0], Blob: f[2]}, Mode: modes[1], Blob: f[3], Status: f[4][0]}
	if !strings.ContainsRune("ACDMRTUX", rune(ch.Status)) {
		return bad()
	}
	return ch, nil
}

// Staged is a source.Source over what a commit made now would add
// (DESIGN §1, the pre-commit hook): for each path the index changes
// relative to HEAD, the lines of the index version that are not in
// HEAD's version of that path (or of the path it was renamed from), with
// a few context lines, as fragments whose provenance is KindStaged, the
// index path and no commit. Line numbers are those of the staged file.
// Deleted paths add nothing; symbolic links, submodules, binary blobs,
// blobs over MaxBytes, paths SkipPath names and unresolved conflicts are
// skipped and reported through Events.
type Staged struct {
	Git *Git
	// Diff is what to scan; nil means Scan runs DiffStaged itself.
	Diff *StagedDiff
	// Blobs, if set, opens the reader the blobs come from; nil means a
	// `git cat-file --batch` (Git.CatFile).
	Blobs func(ctx context.Context) (Blobs, error)
	// IndexFile is the index to read when Diff is nil (see DiffStaged).
	IndexFile string
	// MaxBytes skips blobs larger than this many bytes; 0 means no limit.
	MaxBytes int64
	// SkipPath, if set, names paths never to read (a global path
	// allowlist drops whatever they hold: lock files, vendored code).
	SkipPath func(path string) bool
	// Context is how many lines around new lines each fragment holds;
	// 0 means DefaultContext.
	Context int
	// Events receives skipped and unreadable blobs; nil ignores them.
	Events source.Events
	// Logger receives debug detail; nil is silent.
	Logger *slog.Logger
}

var _ source.Source = (*Staged)(nil)

// Blobs reads objects by id: answers come back from Next in the order
// Request asked for them, with CatFile's semantics (TooLarge past the
// limit, a *MissingError for an object the repository lacks, the content
// appended to dst[:0] when it fits). *CatFile is one; an in-process
// reader is another.
type Blobs interface {
	Request(id string) error
	Next(limit int64, dst []byte) (Object, error)
	Close() error
}

var _ Blobs = (*CatFile)(nil)

// Scan emits the fragments, from one goroutine, in path order. A blob
// that cannot be read is reported through Events and the scan goes on;
// an error is returned only when git fails or emit does.
func (s *Staged) Scan(ctx context.Context, emit source.Emit) error {
	ev := s.Events
	if ev == nil {
		ev = source.NopEvents{}
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	diff := s.Diff
	if diff == nil {
		var err error
		if diff, err = s.Git.DiffStaged(ctx, s.IndexFile); err != nil {
			return err
		}
	}
	todo := s.plan(diff.Changes, ev)
	if len(todo) == 0 {
		return nil
	}
	var cf Blobs
	var err error
	if s.Blobs != nil {
		cf, err = s.Blobs(ctx)
	} else {
		cf, err = s.Git.CatFile(ctx)
	}
	if err != nil {
		return err
	}
	defer cf.Close()
	// Every blob is requested up front so that git reads ahead while the
	// first ones are diffed; answers come back in request order.
	for _, ch := range todo {
		if err := cf.Request(ch.Blob); err != nil {
			return err
		}
		if usable(ch.Old) {
			if err := cf.Request(ch.Old.Blob); err != nil {
				return err
			}
		}
	}
	sc := stagedScan{s: s, cf: cf, emit: emit, ev: ev, log: log}
	for _, ch := range todo {
		if err := sc.change(ch); err != nil {
			return err
		}
	}
	return nil
}

// plan returns the changes whose index version is a file to scan,
// reporting the others.
func (s *Staged) plan(changes []StagedChange, ev source.Events) []*StagedChange {
	var todo []*StagedChange
	for i := range changes {
		ch := &changes[i]
		switch {
		case ch.Status == 'U':
			ev.Skipped(ch.Path, SkipUnmerged)
		case ch.Mode == ModeNone || IsZero(ch.Blob):
			// Deleted: nothing is added.
		case ch.Mode == ModeSymlink:
			ev.Skipped(ch.Path, source.SkipSymlink)
		case ch.Mode == ModeGitlink:
			ev.Skipped(ch.Path, SkipSubmodule)
		case !ch.Mode.Regular():
			ev.Skipped(ch.Path, source.SkipSpecial)
		case s.SkipPath != nil && s.SkipPath(ch.Path):
			ev.Skipped(ch.Path, source.SkipAllowlist)
		default:
			todo = append(todo, ch)
		}
	}
	return todo
}

// stagedScan is the state of one Staged.Scan.
type stagedScan struct {
	s    *Staged
	cf   Blobs
	emit source.Emit
	ev   source.Events
	log  *slog.Logger
	diff linediff.Differ
	// buf is reused for the index version: emit copies what it keeps.
	buf []byte
}

// change reads ch's blobs (the answers to its requests, in order) and
// emits what the index version adds.
func (sc *stagedScan) change(ch *StagedChange) error {
	nb, err := sc.cf.Next(sc.s.MaxBytes, sc.buf)
	var missing error
	switch {
	case errors.Is(err, ErrMissing):
		missing = err
	case err != nil:
		return err
	case nb.Type != "blob":
		missing = fmt.Errorf("object %s is a %s, not a blob", nb.ID, nb.Type)
	}
	if nb.Data != nil && cap(nb.Data) > cap(sc.buf) {
		sc.buf = nb.Data[:0]
	}
	var older []byte
	oldOK := false
	if usable(ch.Old) {
		// The old version may be as large as the new one may be.
		ob, err := sc.cf.Next(sc.s.MaxBytes, nil)
		switch {
		case errors.Is(err, ErrMissing):
		case err != nil:
			return err
		case ob.Type == "blob" && !ob.TooLarge:
			older, oldOK = ob.Data, true
		}
		if !oldOK {
			// A HEAD version we cannot read makes every line count as
			// new: better to report an old secret again than to miss one.
			sc.log.Debug("HEAD version unreadable; scanning the whole staged version",
				"path", ch.Path, "blob", ch.Old.Blob, "err", err)
		}
	}
	switch {
	case missing != nil:
		sc.ev.Failed(ch.Path, fmt.Errorf("staged version: %w", missing))
		return nil
	case nb.TooLarge:
		sc.ev.Skipped(ch.Path, source.SkipTooLarge)
		return nil
	case bytes.IndexByte(nb.Data[:min(len(nb.Data), binarySniff)], 0) >= 0:
		sc.ev.Skipped(ch.Path, source.SkipBinary)
		return nil
	}
	var olders [][]byte
	if oldOK {
		olders = [][]byte{older}
	}
	ctxLines := sc.s.Context
	if ctxLines == 0 {
		ctxLines = DefaultContext
	}
	prov := detect.Provenance{Kind: detect.KindStaged, Path: ch.Path, BlobID: ch.Blob}
	// HEAD's version is read into a buffer of its own and never changed,
	// so fragments may keep it: a secret it already holds is not new,
	// even on an edited line.
	for _, r := range sc.diff.Added(nb.Data, olders, ctxLines) {
		f := detect.Fragment{Content: nb.Data[r.Start:r.End], StartLine: r.Line,
			OwnedStart: r.OwnedStart, OwnedEnd: r.OwnedEnd, Prior: olders, Provenance: prov}
		if err := sc.emit(&f); err != nil {
			return err
		}
	}
	sc.ev.Scanned(ch.Path, int64(len(nb.Data)))
	return nil
}
