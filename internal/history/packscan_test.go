package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/attrib"
	"github.com/leakhound/leakhound/internal/gitobj"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/testkit"
)

// scanPack runs PackScan over g with TokRule and returns the findings,
// sorted, and the events.
func scanPack(t *testing.T, p *PackScan) ([]found, []detect.Finding, *recorder) {
	t.Helper()
	det := detect.New(testkit.Set(t, testkit.TokRule), nil)
	rec := &recorder{skipped: map[string]source.SkipReason{}, failed: map[string]error{}}
	p.Events = rec
	if p.Threads == 0 {
		p.Threads = 2
	}
	var got []found
	var all []detect.Finding
	err := p.Find(context.Background(), det.Detect, func(fs []detect.Finding) error {
		for _, x := range fs {
			got = append(got, found{x.Secret, x.Commit, x.Path, x.StartLine})
			all = append(all, x)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sortFound(got)
	return got, all, rec
}

func TestPackScanReportsEachLeakOnce(t *testing.T) {
	l := buildLeakRepo(t)
	got, all, rec := scanPack(t, &PackScan{Git: l.r.open()})
	// Unlike Walk, which scans a (new blob, parent blobs) pair once, a
	// secret committed on two branches is reported for each commit that
	// introduced it (DESIGN §3): both are places to look when rotating.
	want := []found{
		{testkit.TokA, l.c1, "a.txt", 2},
		{testkit.TokB, l.c2, "b.txt", 3},
		{testkit.TokB, l.c4, "c.txt", 2},
		{tokC, l.evil, "m.txt", 3},
		{tokD, l.x, "e.txt", 1},
		{tokD, l.y, "e.txt", 1},
		{tokE, l.c6, "notes.txt", 3},
	}
	sortFound(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings:\n%v\nwant:\n%v", strings.ReplaceAll(fmt.Sprint(got), "} {", "}\n{"), strings.ReplaceAll(fmt.Sprint(want), "} {", "}\n{"))
	}
	for _, f := range all {
		if f.Kind != detect.KindHistory || f.Author != "Ann Author" || f.Email != "ann@example.com" || f.Date.IsZero() || f.BlobID != l.r.Blob(f.Commit, f.Path) {
			t.Errorf("provenance of %s: %+v", f.Path, f.Provenance)
		}
		if f.Fingerprint != detect.Fingerprint(&f) || !strings.HasPrefix(f.Fingerprint, f.Commit+":"+f.Path+":") {
			t.Errorf("fingerprint %q", f.Fingerprint)
		}
		if f.Commit == l.evil && f.Message != "evil merge" {
			t.Errorf("message %q", f.Message)
		}
	}
	if len(rec.failed) != 0 || len(rec.skipped) != 0 || rec.scanned == 0 {
		t.Errorf("events: failed %v skipped %v scanned %d", rec.failed, rec.skipped, rec.scanned)
	}
}

// TestPackScanMoves: a secret that moves to another file or folder in one
// commit is not new; one that is copied while the original stays is.
func TestPackScanMoves(t *testing.T) {
	tokA, tokB := testkit.TokA, testkit.TokB
	r := newRepo(t)
	r.Write("cfg/a.env", "A="+tokA+"\n")
	r.Write("keep.txt", "B="+tokB+"\n")
	c1 := r.Commit("1")
	r.Git("mv", "cfg", "settings") // a folder renamed
	r.Commit("rename folder")
	r.Write("settings/a.env", "# moved\nA="+tokA+"\nX=1\n") // edited in place
	r.Commit("edit")
	r.Git("mv", "settings/a.env", "prod.env") // renamed and moved up
	r.Commit("move file")
	r.Write("other.txt", "B="+tokB+"\n") // copied: the original stays
	c5 := r.Commit("copy")
	r.Remove("prod.env")
	r.Commit("delete")
	r.Write("prod.env", "A="+tokA+"\n") // back after a deletion: new again
	c7 := r.Commit("restore")

	got, _, rec := scanPack(t, &PackScan{Git: r.open()})
	want := []found{
		{tokA, c1, "cfg/a.env", 1},
		{tokB, c1, "keep.txt", 1},
		{tokB, c5, "other.txt", 1},
		{tokA, c7, "prod.env", 1},
	}
	sortFound(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings:\n%v\nwant:\n%v", got, want)
	}
	if len(rec.failed) != 0 {
		t.Errorf("failed %v", rec.failed)
	}
}

// TestPackScanSharedBlobs: one blob at two paths is reported at both.
func TestPackScanSharedBlobs(t *testing.T) {
	tokA := testkit.TokA
	r := newRepo(t)
	r.Write("p", "same\n")
	r.Commit("1")
	r.Write("q1", "new "+tokA+"\n")
	r.Write("q2", "new "+tokA+"\n")
	c2 := r.Commit("2")
	got, _, _ := scanPack(t, &PackScan{Git: r.open()})
	want := []found{{tokA, c2, "q1", 1}, {tokA, c2, "q2", 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

func TestPackScanSkips(t *testing.T) {
	tokA := testkit.TokA
	r, c1 := skipsRepo(t)

	got, _, rec := scanPack(t, &PackScan{Git: r.open(), MaxBytes: 1 << 10})
	want := []found{{tokA, c1, "ok.txt", 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	bin := "blob " + r.Blob(c1, "bin.dat")
	wantSkipped := map[string]source.SkipReason{bin: source.SkipBinary, "big.txt": source.SkipTooLarge}
	if fmt.Sprint(rec.skipped) != fmt.Sprint(wantSkipped) {
		t.Errorf("skipped %v, want %v", rec.skipped, wantSkipped)
	}
	if len(rec.failed) != 0 {
		t.Errorf("a submodule is not a missing object: failed %v", rec.failed)
	}
}

func TestPackScanShallowAndMissing(t *testing.T) {
	tokA, tokB := testkit.TokA, testkit.TokB
	r := newRepo(t)
	r.Write("f", tokA+"\n")
	r.Commit("1")
	r.Write("f", tokA+"\n"+tokB+"\n")
	r.Write("g", "gone "+tokB+"\n")
	c2 := r.Commit("2")
	g := shallowClone(t, r)
	// The boundary is a root: everything in it is new, and nothing failed.
	got, _, rec := scanPack(t, &PackScan{Git: g})
	want := []found{{tokA, c2, "f", 1}, {tokB, c2, "f", 2}, {tokB, c2, "g", 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(rec.failed) != 0 {
		t.Errorf("shallow: findings %v, want %v; failed %v", got, want, rec.failed)
	}

	// Delete a loose blob: reported as failed, naming the path, commit
	// and blob; the rest is still scanned.
	gid := r.Blob(c2, "g")
	if err := os.Remove(filepath.Join(r.Dir, ".git", "objects", gid[:2], gid[2:])); err != nil {
		t.Fatal(err)
	}
	got, _, rec = scanPack(t, &PackScan{Git: r.open()})
	if len(got) != 2 {
		t.Errorf("findings %v", got)
	}
	if err := rec.failed["g"]; err == nil || !strings.Contains(err.Error(), gid) || !strings.Contains(err.Error(), c2) {
		t.Errorf("failed = %v", rec.failed)
	}

	// A missing parent commit that is not a shallow boundary.
	r2 := newRepo(t)
	r2.Write("f", "x\n")
	p1 := r2.Commit("1")
	r2.Write("f", tokA+"\n")
	c := r2.Commit("2")
	if err := os.Remove(filepath.Join(r2.Dir, ".git", "objects", p1[:2], p1[2:])); err != nil {
		t.Fatal(err)
	}
	got, _, rec = scanPack(t, &PackScan{Git: r2.open()})
	if want := []found{{tokA, c, "f", 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if err := rec.failed["commit "+c]; err == nil || !strings.Contains(err.Error(), p1) {
		t.Errorf("failed = %v", rec.failed)
	}
}

func TestPackScanPartialClone(t *testing.T) {
	g, origin, c2 := partialClone(t)
	// Nothing may be fetched: take the origin away.
	if err := os.RemoveAll(origin.Dir); err != nil {
		t.Fatal(err)
	}
	got, _, rec := scanPack(t, &PackScan{Git: g})
	want := []found{{testkit.TokB, c2, "f", 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if err := rec.failed["old"]; err == nil || !strings.Contains(err.Error(), "partial") {
		t.Errorf("failed = %v", rec.failed)
	}
}

func TestPackScanErrors(t *testing.T) {
	r := newRepo(t)
	for i := range 3 {
		r.Write(fmt.Sprintf("f%d", i), testkit.TokA+"\n")
		r.Commit(fmt.Sprint(i))
	}
	det := detect.New(testkit.Set(t, testkit.TokRule), nil)
	stop := errors.New("stop")
	n := 0
	err := (&PackScan{Git: r.open()}).Find(context.Background(), det.Detect, func([]detect.Finding) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("err = %v after %d emits", err, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&PackScan{Git: r.open()}).Find(ctx, det.Detect, func([]detect.Finding) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}

	// A corrupt pack: a clear error, no panic.
	r.Git("gc", "-q")
	packs, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs %v", packs)
	}
	if err := os.Truncate(packs[0], 200); err != nil {
		t.Fatal(err)
	}
	err = (&PackScan{Git: r.open()}).Find(context.Background(), det.Detect, func([]detect.Finding) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "cat-file") {
		t.Errorf("corrupt pack: err = %v", err)
	}
}

// TestPackScanWorktreeHeads: a commit reachable only from another
// worktree's detached HEAD is history too, as for rev-list --all.
func TestPackScanWorktreeHeads(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "x\n")
	r.Commit("1")
	wt := filepath.Join(t.TempDir(), "wt")
	r.Git("worktree", "add", "-q", "-b", "other", wt)
	r.Git("checkout", "-q", "--detach")
	r.Write("f", testkit.TokA+"\n")
	c2 := r.Commit("detached")
	g, err := gitplumb.Open(context.Background(), wt, "")
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := scanPack(t, &PackScan{Git: g})
	if want := []found{{testkit.TokA, c2, "f", 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

// TestEditedLineKeepsOldSecret: a line that changes around a secret the
// parent already had reports nothing new, with both history scans.
func TestEditedLineKeepsOldSecret(t *testing.T) {
	r := newRepo(t)
	r.Write("cfg", "a = 1\nkey = "+testkit.TokA+"\n")
	c1 := r.Commit("1")
	r.Write("cfg", "a = 2\nkey = "+testkit.TokA+" # production\n")
	r.Commit("2")
	r.Write("cfg", "a = 2\nkey = "+testkit.TokA+" # production\nother = "+testkit.TokB+"\n")
	c3 := r.Commit("3")
	want := fmt.Sprint([]found{{testkit.TokA, c1, "cfg", 2}, {testkit.TokB, c3, "cfg", 3}})
	if got, _, _ := scanPack(t, &PackScan{Git: r.open()}); fmt.Sprint(got) != want {
		t.Errorf("PackScan: %v, want %v", got, want)
	}
	if got, _, _ := scanHistory(t, &Walk{Git: r.open()}); fmt.Sprint(got) != want {
		t.Errorf("History: %v, want %v", got, want)
	}
}

// TestPackScanForgedTreeCycle: a forged pack can claim a tree holds itself
// (nothing checks an object against its id on read). Attribution must end
// with a failure, not recurse until the stack runs out.
func TestPackScanForgedTreeCycle(t *testing.T) {
	st := gitobj.NewStore(20)
	c := st.Intern(bytes.Repeat([]byte{1}, 20))
	tr := st.Intern(bytes.Repeat([]byte{2}, 20))
	blob := st.Intern(bytes.Repeat([]byte{4}, 20)) // referenced, never seen: missing
	_ = blob
	tree := append([]byte("40000 loop\x00"), bytes.Repeat([]byte{2}, 20)...)
	tree = append(tree, append([]byte("100644 f\x00"), bytes.Repeat([]byte{4}, 20)...)...)
	if err := st.Add(tr, "tree", tree); err != nil {
		t.Fatal(err)
	}
	if err := st.Add(c, "commit", []byte("tree "+strings.Repeat("02", 20)+"\nauthor A <a@x> 1 +0000\n\nx\n")); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{skipped: map[string]source.SkipReason{}, failed: map[string]error{}}
	a := attrib.New(st, rec, func([]detect.Finding) error { return nil })
	if err := a.Run(context.Background(), []string{strings.Repeat("01", 20)}); err != nil {
		t.Fatal(err)
	}
	deep := false
	for p, err := range rec.failed {
		if strings.Contains(err.Error(), "contains itself") {
			deep = true
		} else if !strings.HasSuffix(p, "f") {
			t.Errorf("unexpected failure %s: %v", p, err)
		}
	}
	if !deep || len(rec.failed) > 3 {
		t.Errorf("want one cycle failure (and the missing blob): %v", rec.failed)
	}
}
