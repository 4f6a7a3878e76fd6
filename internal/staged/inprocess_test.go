package staged

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/gogit"
	"github.com/leakhound/leakhound/internal/testkit"
)

// InProcess reads what is staged in the work tree dir in process
// (internal/gogit), so that the staged tests here run on both readers:
// git's plumbing and gogit's. closeFn releases the reader.
var InProcess = func(dir, indexFile string) (*gitplumb.StagedDiff, func(context.Context) (gitplumb.Blobs, error), func(), error) {
	repo, err := gogit.Open(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := repo.Store()
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := st.DiffStaged(indexFile)
	if err == nil {
		err = st.Ensure(d)
	}
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	blobs := func(context.Context) (gitplumb.Blobs, error) { return st.Blobs(), nil }
	return d, blobs, func() { st.Close() }, nil
}

// TestHostileInProcessRunsNothing: the in-process reader reads a
// repository whose hooks, fsmonitor, filters, diff drivers, textconv,
// pager and GIT_* variables each name a script, and runs none of them,
// answering as git's plumbing does; a configuration that includes another
// file is not read in process at all (git, run safely, reads it).
func TestHostileInProcessRunsNothing(t *testing.T) {
	r, markers := testkit.HostileRepo(t)
	dir := r.Dir
	tame := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
			"-c", "filter.evil.process=", "-c", "filter.evil.clean=", "-c", "filter.evil.smudge="}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(gitplumb.Env(os.Environ()), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com",
			"GIT_COMMITTER_NAME=c", "GIT_COMMITTER_EMAIL=c@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "new.txt"), []byte("new line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tame("update-index", "--add", "new.txt")
	tame("mv", "f", "moved") // an exact rename: no content scoring, so no attribute matters
	if err := os.RemoveAll(markers); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(markers, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	g, err := gitplumb.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := g.DiffStaged(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	d, blobs, closeFn, err := InProcess(dir, "")
	if err != nil {
		t.Fatalf("in-process reader gave up on the hostile repository: %v", err)
	}
	defer closeFn()
	if !reflect.DeepEqual(d, want) {
		t.Errorf("in process: %+v\ngit:        %+v", d, want)
	}
	var got []string
	err = (&Source{Git: g, Diff: d, Blobs: blobs}).Scan(ctx, func(f *detect.Fragment) error {
		got = append(got, f.Path+":"+string(f.Content[f.OwnedStart:f.OwnedEnd]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if w := []string{"new.txt:new line\n"}; !reflect.DeepEqual(got, w) {
		t.Errorf("fragments = %q, want %q", got, w)
	}

	// An include: the in-process reader does not follow it, git does.
	inc := filepath.Join(t.TempDir(), "included")
	if err := os.WriteFile(inc, []byte("[core]\n\tfsmonitor = "+filepath.Join(markers, "x")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tame("config", "include.path", inc)
	if _, _, _, err := InProcess(dir, ""); !errors.Is(err, gogit.ErrFallback) || !strings.Contains(err.Error(), "includes") {
		t.Errorf("with an include: %v, want a fallback naming the include", err)
	}
	testkit.AssertNoMarkers(t, markers)
}
