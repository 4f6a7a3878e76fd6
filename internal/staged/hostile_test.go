package staged

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/testkit"
)

// TestHostileStagedRunsNothing runs what the pre-commit and pre-push hooks
// use (DiffStaged and Staged with its renames, ResolveCommits, PushRevs,
// HooksDir) on the hostile repository with changes staged: an added file,
// a modified one and a rename, all carrying the evil diff driver and
// filter attributes. None of it may run anything.
func TestHostileStagedRunsNothing(t *testing.T) {
	r, markers := testkit.HostileRepo(t)
	// The test's own git, tamed: the repository's commands off, no
	// filters (the evil clean filter would empty the content).
	env := gitplumb.Env(os.Environ())
	for _, kv := range r.Env() {
		if strings.HasPrefix(kv, "GIT_AUTHOR_") || strings.HasPrefix(kv, "GIT_COMMITTER_") {
			env = append(env, kv)
		}
	}
	tame := func(args ...string) string {
		t.Helper()
		return testkit.RunGit(t, r.Dir, env, append([]string{"-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
			"-c", "filter.evil.process=", "-c", "filter.evil.clean=", "-c", "filter.evil.smudge="}, args...)...)
	}
	stage := func(path, content string) {
		t.Helper()
		r.Write(path, content)
		id := tame("hash-object", "-w", "--no-filters", path)
		tame("update-index", "--add", "--cacheinfo", "100644,"+id+","+path)
	}
	stage("f", "one\ntwo\nthree\n")
	stage("added.txt", "new content\n")
	body := "a file long enough to be detected as renamed\nsecond line\nthird line\n"
	stage("before", body)
	tame("commit", "-q", "-m", "three")
	tame("rm", "-q", "--cached", "before")
	stage("after", body+"fourth line\n")

	// Control: plain git runs the repository's commands here.
	ctl := exec.Command("git", "diff", "--cached", "-M")
	ctl.Dir = r.Dir
	_ = ctl.Run()
	if ents, _ := os.ReadDir(markers); len(ents) == 0 {
		t.Fatal("control: plain git diff --cached ran no script; the hostile repository is not hostile")
	}
	if err := os.RemoveAll(markers); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(markers, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	g, err := gitplumb.Open(ctx, r.Dir, "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.DiffStaged(ctx, filepath.Join(r.Dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	renamed := false
	for _, c := range d.Changes {
		renamed = renamed || (c.Status == 'R' && c.From == "before" && c.Path == "after")
	}
	if !renamed {
		t.Errorf("changes = %+v, want the rename", d.Changes)
	}
	var got []string
	err = (&Source{Git: g}).Scan(ctx, func(f *detect.Fragment) error {
		got = append(got, f.Path+":"+string(f.Content[f.OwnedStart:f.OwnedEnd]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "after:fourth line\n"; len(got) != 1 || got[0] != want {
		t.Errorf("fragments = %q, want %q", got, want)
	}
	head := tame("rev-parse", "HEAD")
	if _, err := g.ResolveCommits(ctx, []string{"HEAD", "main~1", head}); err != nil {
		t.Error(err)
	}
	if _, _, err := g.PushRevs(ctx, []gitplumb.PushUpdate{{LocalRef: "refs/heads/main", LocalID: head, RemoteRef: "refs/heads/main", RemoteID: zeroID()}}); err != nil {
		t.Error(err)
	}
	if _, err := gitplumb.HooksDir(ctx, r.Dir, ""); err != nil {
		t.Error(err)
	}
	testkit.AssertNoMarkers(t, markers)
}
