package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/testkit"
)

// Fake tokens for TokRule beyond testkit's two, built at run time.
var (
	tokC = "tok_" + "c3c3c3c3c3c3"
	tokD = "tok_" + "d4d4d4d4d4d4"
	tokE = "tok_" + "e5e5e5e5e5e5"
)

// found is one finding as a history test checks it.
type found struct {
	secret, commit, path string
	line                 int
}

func (f found) String() string {
	return fmt.Sprintf("%s at %.7s %q:%d", f.secret, f.commit, f.path, f.line)
}

// recorder collects what Walk reports.
type recorder struct {
	mu      sync.Mutex
	skipped map[string]source.SkipReason
	failed  map[string]error
	scanned int
}

func (r *recorder) Skipped(p string, why source.SkipReason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped[p] = why
}

func (r *recorder) Failed(p string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed[p] = err
}

func (r *recorder) Scanned(string, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scanned++
}

// scanHistory runs History over g with TokRule and returns the findings,
// sorted, and the events.
func scanHistory(t *testing.T, h *Walk) ([]found, []detect.Finding, *recorder) {
	t.Helper()
	det := detect.New(testkit.Set(t, testkit.TokRule), nil)
	rec := &recorder{skipped: map[string]source.SkipReason{}, failed: map[string]error{}}
	h.Events = rec
	var got []found
	var all []detect.Finding
	err := h.Scan(context.Background(), func(f *detect.Fragment) error {
		fs, err := det.Detect(f)
		for _, x := range fs {
			got = append(got, found{x.Secret, x.Commit, x.Path, x.StartLine})
			all = append(all, x)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sortFound(got)
	return got, all, rec
}

func sortFound(fs []found) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].String() < fs[j].String() })
}

// leakRepo holds a repository with leaks planted in known commits.
type leakRepo struct {
	r                          *testRepo
	c1, c2, c4, evil, x, y, c6 string
}

func TestHistoryReportsEachLeakOnce(t *testing.T) {
	l := buildLeakRepo(t)
	for _, cache := range []int64{0, 1} { // 1 byte: nothing is cached
		t.Run(fmt.Sprint("cache=", cache), func(t *testing.T) {
			checkEachLeakOnce(t, l.r, &Walk{Git: l.r.open(), CacheBytes: cache},
				l.c1, l.c2, l.c4, l.evil, l.x, l.y, l.c6)
		})
	}
}

// buildLeakRepo plants secrets: some later deleted, moved within a file,
// copied, added by an evil merge, committed identically on two branches.
func buildLeakRepo(t *testing.T) leakRepo {
	tokA, tokB := testkit.TokA, testkit.TokB
	r := newRepo(t)
	r.Write("a.txt", "header\nkey = "+tokA+"\n")
	r.Write("notes.txt", "nothing here\n")
	c1 := r.Commit("add a")

	r.Write("b.txt", "one\ntwo\nb = "+tokB+"\nthree\n")
	r.Remove("a.txt") // deleted later: still reported once, at c1
	c2 := r.Commit("add b, drop a")

	r.Write("b.txt", "b = "+tokB+"\none\ntwo\nthree\n") // moved within the file: not new
	r.Commit("move b")

	r.Write("c.txt", "copied\nb = "+tokB+"\n") // copied into another file: new there
	c4 := r.Commit("copy b")

	// Two branches: the side branch edits m.txt; the merge's result adds a
	// line that neither parent has (an evil merge).
	r.Write("m.txt", "m1\n")
	r.Commit("m")
	r.Git("checkout", "-q", "-b", "side")
	r.Write("m.txt", "m1\nside\n")
	r.Commit("side")
	r.Git("checkout", "-q", "main")
	r.Write("notes.txt", "nothing here\nstill nothing\n")
	r.Commit("main notes")
	r.Git("merge", "-q", "--no-ff", "--no-commit", "side")
	r.Write("m.txt", "m1\nside\nevil = "+tokC+"\n")
	evil := r.Commit("evil merge")
	r.Git("merge", "-q", "--no-ff", "--no-edit", "side") // nothing to merge: no-op
	r.Git("checkout", "-q", "-b", "plain", evil+"~1")
	r.Git("merge", "-q", "--no-ff", "--no-edit", "side") // a plain merge adds nothing
	r.Git("checkout", "-q", "main")

	// The same change committed on two branches: one (new, parent) pair,
	// reported for the first commit only.
	r.Git("checkout", "-q", "-b", "x", evil)
	r.Write("e.txt", "e = "+tokD+"\n")
	x := r.Commit("x adds e")
	r.Git("checkout", "-q", "-b", "y", evil)
	r.Write("e.txt", "e = "+tokD+"\n")
	y := r.Commit("y adds e too")
	r.Git("checkout", "-q", "main")

	// A line in an old, untouched context must not be reported again
	// when a neighbouring line changes.
	r.Write("notes.txt", "nothing here\nstill nothing\nk = "+tokE+"\n")
	c6 := r.Commit("add e")
	r.Write("notes.txt", "nothing here\nstill nothing changed\nk = "+tokE+"\n")
	r.Commit("edit near e")
	return leakRepo{r, c1, c2, c4, evil, x, y, c6}
}

func checkEachLeakOnce(t *testing.T, r *testRepo, h *Walk, c1, c2, c4, evil, x, y, c6 string) {
	tokA, tokB := testkit.TokA, testkit.TokB
	got, all, rec := scanHistory(t, h)

	firstXY := x
	var order []string
	r.open().RevList(context.Background(), nil, func(id string) error { order = append(order, id); return nil })
	for _, id := range order {
		if id == y {
			firstXY = y
			break
		}
		if id == x {
			break
		}
	}
	want := []found{
		{tokA, c1, "a.txt", 2},
		{tokB, c2, "b.txt", 3},
		{tokB, c4, "c.txt", 2},
		{tokC, evil, "m.txt", 3},
		{tokD, firstXY, "e.txt", 1},
		{tokE, c6, "notes.txt", 3},
	}
	sortFound(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings:\n%v\nwant:\n%v", strings.ReplaceAll(fmt.Sprint(got), "} {", "}\n{"), strings.ReplaceAll(fmt.Sprint(want), "} {", "}\n{"))
	}
	for _, f := range all {
		if f.Kind != detect.KindHistory || f.Author != "Ann Author" || f.Email != "ann@example.com" || f.Date.IsZero() || f.BlobID != r.Blob(f.Commit, f.Path) {
			t.Errorf("provenance of %s: %+v", f.Path, f.Provenance)
		}
		if f.Commit == evil && f.Message != "evil merge" {
			t.Errorf("message %q", f.Message)
		}
	}
	if len(rec.failed) != 0 || len(rec.skipped) != 0 || rec.scanned == 0 {
		t.Errorf("events: failed %v skipped %v scanned %d", rec.failed, rec.skipped, rec.scanned)
	}
}

// TestHistorySharedBlobs has changes in one commit share blobs: two
// paths edited from the same old content, and two paths given the same
// new content, with and without a cache.
func TestHistorySharedBlobs(t *testing.T) {
	tokA, tokB := testkit.TokA, testkit.TokB
	r := newRepo(t)
	r.Write("p1", "same\n")
	r.Write("p2", "same\n")
	r.Write("p3", "other\n")
	r.Commit("1")
	r.Write("p1", "same\n"+tokA+"\n")
	r.Write("p2", "same\n"+tokB+"\n")
	r.Write("q1", "new "+tokA+"\n")
	r.Write("q2", "new "+tokA+"\n") // same blob, same (empty) parent: scanned once
	r.Write("p3", "other\nsame\n")
	c2 := r.Commit("2")
	for _, cache := range []int64{0, 1} {
		got, _, rec := scanHistory(t, &Walk{Git: r.open(), CacheBytes: cache})
		want := []found{{tokA, c2, "p1", 2}, {tokB, c2, "p2", 2}, {tokA, c2, "q1", 1}}
		sortFound(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("cache %d: findings %v, want %v", cache, got, want)
		}
		if len(rec.failed) != 0 {
			t.Errorf("failed %v", rec.failed)
		}
	}
}

// skipsRepo commits, in c1, content a scan must skip (a binary file, one
// over 1 KiB, a symbolic link, a submodule) next to ok.txt holding TokA.
func skipsRepo(t *testing.T) (r *testRepo, c1 string) {
	sub := newRepo(t)
	sub.Write("s", "s\n")
	subID := sub.Commit("sub")

	r = newRepo(t)
	r.Write("bin.dat", "a\x00b "+testkit.TokA+"\n")
	r.Write("big.txt", strings.Repeat("filler line\n", 200)+testkit.TokA+"\n")
	r.Write("ok.txt", testkit.TokA+"\n")
	if err := os.Symlink(testkit.TokB, filepath.Join(r.Dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.Git("add", "-A")
	r.Git("update-index", "--add", "--cacheinfo", "160000,"+subID+",mod")
	r.Git("commit", "-q", "-m", "c1")
	return r, r.Git("rev-parse", "HEAD")
}

func TestHistorySkipsAndRanges(t *testing.T) {
	tokA, tokB := testkit.TokA, testkit.TokB
	r, c1 := skipsRepo(t)
	r.Write("ok.txt", tokA+"\n"+tokB+"\n")
	r.Git("add", "ok.txt")
	r.Git("commit", "-q", "-m", "c2")
	c2 := r.Git("rev-parse", "HEAD")

	got, _, rec := scanHistory(t, &Walk{Git: r.open(), MaxBytes: 1 << 10})
	want := []found{{tokA, c1, "ok.txt", 1}, {tokB, c2, "ok.txt", 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	wantSkipped := map[string]source.SkipReason{
		"bin.dat": source.SkipBinary, "big.txt": source.SkipTooLarge,
		"link": source.SkipSymlink, "mod": source.SkipSubmodule,
	}
	if fmt.Sprint(rec.skipped) != fmt.Sprint(wantSkipped) {
		t.Errorf("skipped %v, want %v", rec.skipped, wantSkipped)
	}

	got, _, _ = scanHistory(t, &Walk{Git: r.open(), Args: []string{c1 + "..main"}})
	want = []found{{tokB, c2, "ok.txt", 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("range: findings %v, want %v", got, want)
	}

	h := &Walk{Git: r.open(), Args: []string{"no-such-ref"}}
	if err := h.Scan(context.Background(), func(*detect.Fragment) error { return nil }); err == nil {
		t.Error("bad revision: no error")
	}
}

func TestHistoryShallowAndMissing(t *testing.T) {
	tokA, tokB := testkit.TokA, testkit.TokB
	r := newRepo(t)
	r.Write("f", tokA+"\n")
	r.Commit("1")
	r.Write("f", tokA+"\n"+tokB+"\n")
	r.Write("g", "gone\n")
	c2 := r.Commit("2")
	g := shallowClone(t, r)
	// The boundary is a root: everything in it is new.
	got, _, _ := scanHistory(t, &Walk{Git: g})
	want := []found{{tokA, c2, "f", 1}, {tokB, c2, "f", 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("shallow: findings %v, want %v", got, want)
	}

	// Delete a loose blob: reported as Failed, the rest is still scanned.
	gid := r.Blob(c2, "g")
	if err := os.Remove(filepath.Join(r.Dir, ".git", "objects", gid[:2], gid[2:])); err != nil {
		t.Fatal(err)
	}
	got, _, rec := scanHistory(t, &Walk{Git: r.open()})
	if len(got) != 2 {
		t.Errorf("findings %v", got)
	}
	if err := rec.failed["g"]; err == nil || !strings.Contains(err.Error(), gid) {
		t.Errorf("failed = %v", rec.failed)
	}
}

func TestHistoryEmitErrorStops(t *testing.T) {
	r := newRepo(t)
	for i := range 5 {
		r.Write(fmt.Sprintf("f%d", i), testkit.TokA+"\n")
		r.Commit(fmt.Sprint(i))
	}
	stop := fmt.Errorf("stop")
	n := 0
	err := (&Walk{Git: r.open()}).Scan(context.Background(), func(*detect.Fragment) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("err = %v after %d fragments", err, n)
	}
}

func TestBlobCache(t *testing.T) {
	c := newBlobCache(10)
	c.add("a", []byte("aaaa"))
	c.add("b", []byte("bbbb"))
	c.get("a")
	c.add("c", []byte("cccc")) // evicts b, the least recently used
	c.add("huge", make([]byte, 11))
	for id, want := range map[string]bool{"a": true, "b": false, "c": true, "huge": false} {
		if _, ok := c.get(id); ok != want {
			t.Errorf("%s cached = %v", id, ok)
		}
	}
	if c.size != 8 {
		t.Errorf("size = %d", c.size)
	}
}

// partialClone makes a blob:none clone of a repository whose first commit
// has "old" (TokA, never fetched into the clone) and whose second, c2,
// deletes it and adds "f" (TokB, fetched by the checkout). origin is the
// source repository.
func partialClone(t *testing.T) (g *gitplumb.Git, origin *testRepo, c2 string) {
	r := newRepo(t)
	r.Git("config", "uploadpack.allowFilter", "true")
	r.Write("old", testkit.TokA+"\n")
	r.Commit("1")
	r.Remove("old")
	r.Write("f", testkit.TokB+"\n")
	c2 = r.Commit("2")
	dst := filepath.Join(t.TempDir(), "partial")
	testkit.RunGit(t, r.Dir, r.Env(), "clone", "-q", "--filter=blob:none", "file://"+r.Dir, dst)
	g, err := gitplumb.Open(context.Background(), dst, "")
	if err != nil {
		t.Fatal(err)
	}
	return g, r, c2
}

func TestHistoryPartialClone(t *testing.T) {
	tokB := testkit.TokB
	g, r, c2 := partialClone(t)
	if p, err := g.Promisor(context.Background()); err != nil || !p {
		t.Fatalf("Promisor = %v, %v", p, err)
	}
	if p, err := r.open().Promisor(context.Background()); err != nil || p {
		t.Fatalf("full clone: Promisor = %v, %v", p, err)
	}
	got, _, rec := scanHistory(t, &Walk{Git: g})
	want := []found{{tokB, c2, "f", 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if err := rec.failed["old"]; err == nil || !strings.Contains(err.Error(), "partial clone") {
		t.Errorf("failed = %v", rec.failed)
	}
}

func TestHistoryCancel(t *testing.T) {
	r := newRepo(t)
	for i := range 5 {
		r.Write(fmt.Sprintf("f%d", i), testkit.TokA+"\n")
		r.Commit(fmt.Sprint(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := (&Walk{Git: r.open()}).Scan(ctx, func(*detect.Fragment) error {
		cancel()
		return nil
	})
	if err != context.Canceled {
		t.Errorf("err = %v", err)
	}
}
