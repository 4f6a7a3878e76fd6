package staged

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/testkit"
)

// stagedEvents records what a staged scan skipped, failed and scanned.
type stagedEvents struct {
	mu      sync.Mutex
	skipped map[string]source.SkipReason
	failed  map[string]error
	scanned []string
}

func newStagedEvents() *stagedEvents {
	return &stagedEvents{skipped: map[string]source.SkipReason{}, failed: map[string]error{}}
}

func (e *stagedEvents) Skipped(p string, why source.SkipReason) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.skipped[p] = why
}

func (e *stagedEvents) Failed(p string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failed[p] = err
}

func (e *stagedEvents) Scanned(p string, _ int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.scanned = append(e.scanned, p)
}

// scanStaged runs Staged over r with TokRule and returns the findings as
// "secret path:line" strings, sorted, the findings themselves and the
// events. It runs the scan twice, once with git's plumbing (s as given)
// and once reading the index, HEAD and blobs in process (InProcess), and
// fails unless both list the same changes and give the same findings and
// events: every staged test here holds for both readers.
func scanStaged(t *testing.T, s *Source) ([]string, []detect.Finding, *stagedEvents) {
	t.Helper()
	got, all, ev := scanStagedOnce(t, s)
	if InProcess == nil {
		t.Fatal("InProcess is not set: inprocess_test.go is missing")
	}
	work := s.Git.Dir
	if filepath.Base(work) == ".git" {
		work = filepath.Dir(work)
	}
	d, blobs, closeFn, err := InProcess(work, s.IndexFile)
	if err != nil {
		if strings.Contains(t.Name(), "sha256") {
			return got, all, ev // go-git reads no SHA-256 repository: git is asked
		}
		t.Fatalf("in-process reader: %v", err)
	}
	defer closeFn()
	want := s.Diff
	if want == nil {
		if want, err = s.Git.DiffStaged(context.Background(), s.IndexFile); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("in-process changes differ from git's:\n  in process: %+v\n  git:        %+v", d, want)
	}
	in := *s
	in.Diff, in.Blobs = d, blobs
	got2, all2, ev2 := scanStagedOnce(t, &in)
	if !reflect.DeepEqual(got2, got) || !reflect.DeepEqual(all2, all) || !reflect.DeepEqual(ev2, ev) {
		t.Fatalf("in-process scan differs from git's:\n  in process: %q %+v\n  git:        %q %+v", got2, ev2, got, ev)
	}
	return got, all, ev
}

func scanStagedOnce(t *testing.T, s *Source) ([]string, []detect.Finding, *stagedEvents) {
	t.Helper()
	det := detect.New(testkit.Set(t, testkit.TokRule), nil)
	ev := newStagedEvents()
	s.Events = ev
	var got []string
	var all []detect.Finding
	err := s.Scan(context.Background(), func(f *detect.Fragment) error {
		fs, err := det.Detect(f)
		for _, x := range fs {
			got = append(got, fmt.Sprintf("%s %s:%d", x.Secret, x.Path, x.StartLine))
			all = append(all, x)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got, all, ev
}

func wantFound(t *testing.T, got []string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("found:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestStagedReportsOnlyAddedLines: a secret already in HEAD is not
// reported again, whether its line moves or is edited; a new one is, at
// its line in the staged file, with staged provenance.
func TestStagedReportsOnlyAddedLines(t *testing.T) {
	r := newRepo(t)
	r.Write("app.env", "A=1\nOLD="+testkit.TokA+"\nB=2\n")
	r.Write("moved.env", "X="+tokC+"\nY=1\nZ=2\n")
	r.Commit("one")
	r.Write("app.env", "A=1\nOLD="+testkit.TokA+" # edited\nNEW="+testkit.TokB+"\nB=2\n")
	r.Write("moved.env", "Y=1\nZ=2\nX="+tokC+"\n")
	r.Git("add", "-A")
	blob := r.Git("rev-parse", ":app.env")

	got, all, ev := scanStaged(t, &Source{Git: r.open()})
	wantFound(t, got, testkit.TokB+" app.env:3")
	if len(all) == 1 {
		f := all[0]
		if f.Kind != detect.KindStaged || f.Commit != "" || f.BlobID != blob || f.Author != "" {
			t.Errorf("provenance = %+v", f.Provenance)
		}
	}
	if len(ev.scanned) != 2 || len(ev.skipped) != 0 || len(ev.failed) != 0 {
		t.Errorf("events: scanned %v skipped %v failed %v", ev.scanned, ev.skipped, ev.failed)
	}
}

// TestStagedRenames: a renamed file is compared with the version it was
// renamed from, so only what the rename added is new; a deleted file adds
// nothing.
func TestStagedRenames(t *testing.T) {
	r := newRepo(t)
	body := "line one of a file long enough for rename detection\n" +
		"KEY=" + testkit.TokA + "\n" +
		"line three, more text\nline four, more text\nline five, more text\n"
	r.Write("old/name.cfg", body)
	r.Write("gone.cfg", "K="+tokC+"\n")
	r.Commit("one")
	r.Git("mv", "old/name.cfg", "new name.cfg")
	r.Write("new name.cfg", body+"EXTRA="+testkit.TokB+"\n")
	r.Git("rm", "-q", "gone.cfg")
	r.Git("add", "-A")

	g := r.open()
	d, err := g.DiffStaged(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var renamed *gitplumb.StagedChange
	for i := range d.Changes {
		if d.Changes[i].Path == "new name.cfg" {
			renamed = &d.Changes[i]
		}
	}
	if renamed == nil || renamed.Status != 'R' || renamed.From != "old/name.cfg" || renamed.Old.Blob != r.Blob("HEAD", "old/name.cfg") {
		t.Fatalf("changes = %+v", d.Changes)
	}
	got, _, _ := scanStaged(t, &Source{Git: g, Diff: d})
	wantFound(t, got, testkit.TokB+" new name.cfg:6")
}

// TestStagedSkips: binary files, symbolic links, submodules, files over
// MaxBytes and allowlisted paths are reported as skipped, not scanned;
// a symbolic link turned into a file is scanned whole.
func TestStagedSkips(t *testing.T) {
	r := newRepo(t)
	r.Write("typechange", "target")
	if err := os.Remove(filepath.Join(r.Dir, "typechange")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("somewhere", filepath.Join(r.Dir, "typechange")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	r.Commit("one")
	r.Write("bin.dat", "T="+testkit.TokA+"\x00\x01\n")
	if err := os.Symlink(testkit.TokA, filepath.Join(r.Dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.Write("big.txt", "T="+testkit.TokA+"\n"+strings.Repeat("filler line\n", 200))
	r.Remove("typechange")
	r.Write("typechange", "T="+testkit.TokB+"\n")
	r.Write("vendor/lib.go", "T="+testkit.TokA+"\n")
	r.Git("add", "-A")
	head := r.Git("rev-parse", "HEAD")
	r.Git("update-index", "--add", "--cacheinfo", "160000,"+head+",sub")

	skip := func(p string) bool { return strings.HasPrefix(p, "vendor/") }
	got, _, ev := scanStaged(t, &Source{Git: r.open(), MaxBytes: 1000, SkipPath: skip})
	wantFound(t, got, testkit.TokB+" typechange:1")
	want := map[string]source.SkipReason{
		"vendor/lib.go": source.SkipAllowlist,
		"bin.dat":       source.SkipBinary,
		"link":          source.SkipSymlink,
		"big.txt":       source.SkipTooLarge,
		"sub":           source.SkipSubmodule,
	}
	for p, why := range want {
		if ev.skipped[p] != why {
			t.Errorf("%s: skipped %q, want %q", p, ev.skipped[p], why)
		}
	}
	if len(ev.skipped) != len(want) || len(ev.failed) != 0 {
		t.Errorf("skipped %v, failed %v", ev.skipped, ev.failed)
	}
}

// TestStagedConflict: a path with an unresolved conflict is skipped.
func TestStagedConflict(t *testing.T) {
	r := newRepo(t)
	r.Write("c", "base\n")
	r.Commit("base")
	r.Git("checkout", "-q", "-b", "side")
	r.Write("c", "side "+testkit.TokA+"\n")
	r.Commit("side")
	r.Git("checkout", "-q", "main")
	r.Write("c", "main\n")
	r.Commit("main")
	if out, err := gitCommand(r, "merge", "side"); err == nil {
		t.Fatalf("merge did not conflict:\n%s", out)
	}
	got, _, ev := scanStaged(t, &Source{Git: r.open()})
	wantFound(t, got)
	if ev.skipped["c"] != SkipUnmerged {
		t.Errorf("skipped = %v", ev.skipped)
	}
}

// gitCommand runs git in r and returns its output and error, for commands
// expected to fail.
func gitCommand(r *testRepo, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = r.Dir, r.Env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestStagedNoCommitYet: in a repository without commits everything
// staged is new, compared with the empty tree of the repository's object
// format; with nothing staged there is nothing to scan.
func TestStagedNoCommitYet(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			r := &testRepo{&testkit.Repo{T: t, Dir: t.TempDir()}}
			if out, err := gitCommand(r, "init", "-q", "-b", "main", "--object-format="+format); err != nil {
				t.Skipf("git cannot make a %s repository: %v\n%s", format, err, out)
			}
			g := r.open()
			d, err := g.DiffStaged(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			wantBase := map[string]string{"sha1": gitplumb.EmptyTreeSHA1, "sha256": gitplumb.EmptyTreeSHA256}[format]
			if !d.Unborn || d.Base != wantBase || len(d.Changes) != 0 {
				t.Fatalf("empty index: %+v", d)
			}
			if got := r.Git("hash-object", "-t", "tree", "/dev/null"); got != wantBase {
				t.Fatalf("git's empty tree is %s, the package's %s", got, wantBase)
			}
			r.Write("a/first.env", "X=1\nT="+testkit.TokA+"\n")
			r.Git("add", "-A")
			got, _, _ := scanStaged(t, &Source{Git: g})
			wantFound(t, got, testkit.TokA+" a/first.env:2")
		})
	}
}

// TestStagedBare: a bare repository has no index; that is an error
// saying so, not an empty scan.
func TestStagedBare(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "x\n")
	r.Commit("one")
	bare := filepath.Join(t.TempDir(), "b.git")
	testkit.RunGit(t, r.Dir, r.Env(), "clone", "-q", "--bare", r.Dir, bare)
	g, err := gitplumb.Open(context.Background(), bare, "")
	if err != nil {
		t.Fatal(err)
	}
	err = (&Source{Git: g}).Scan(context.Background(), func(*detect.Fragment) error { return nil })
	if !errors.Is(err, gitplumb.ErrBare) {
		t.Fatalf("bare repository: %v, want ErrBare", err)
	}
}

// TestStagedIndexFile: the index named by IndexFile (GIT_INDEX_FILE in a
// hook for `git commit -a`) is read instead of the repository's.
func TestStagedIndexFile(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "a\n")
	r.Commit("one")
	r.Write("f", "a\nT="+testkit.TokA+"\n")
	// Staged in another index only, as `git commit -a` does.
	alt := filepath.Join(t.TempDir(), "index")
	testkit.RunGit(t, r.Dir, append(r.Env(), "GIT_INDEX_FILE="+alt), "read-tree", "HEAD")
	testkit.RunGit(t, r.Dir, append(r.Env(), "GIT_INDEX_FILE="+alt), "add", "f")

	got, _, _ := scanStaged(t, &Source{Git: r.open()})
	wantFound(t, got)
	got, _, _ = scanStaged(t, &Source{Git: r.open(), IndexFile: alt})
	wantFound(t, got, testkit.TokA+" f:2")
}

// TestStagedAwkwardPaths: paths with spaces, newlines, quotes and
// non-ASCII bytes come through -z output intact.
func TestStagedAwkwardPaths(t *testing.T) {
	r := newRepo(t)
	r.Write("keep", "x\n")
	r.Commit("one")
	paths := []string{"dir with space/a b.txt", "new\nline", `quote"d`, "ünïcødé/文件", "-dash"}
	for _, p := range paths {
		r.Write(p, "T="+testkit.TokA+"\n")
	}
	r.Git("add", "-A")
	got, _, _ := scanStaged(t, &Source{Git: r.open()})
	var want []string
	for _, p := range paths {
		want = append(want, testkit.TokA+" "+p+":1")
	}
	wantFound(t, got, want...)
}

// TestStagedEmitErrorStops: an error from emit ends the scan with it.
func TestStagedEmitErrorStops(t *testing.T) {
	r := newRepo(t)
	r.Write("a", "1\n")
	r.Write("b", "2\n")
	r.Git("add", "-A")
	stop := errors.New("stop")
	n := 0
	err := (&Source{Git: r.open()}).Scan(context.Background(), func(*detect.Fragment) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d fragments", err, n)
	}
}
