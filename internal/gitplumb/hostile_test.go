package gitplumb

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
)

// hostileRepo returns a repository with two commits whose config, hooks
// and attributes each name a script that leaves a file in markers, and
// sets the GIT_* variables a user might have to the same effect.
func hostileRepo(t *testing.T) (r *testRepo, markers string) {
	r = newRepo(t)
	r.write(".gitattributes", "* diff=evil filter=evil\n")
	r.write("f", "one\n")
	r.commit("one")
	r.write("f", "one\ntwo\n")
	r.commit("two")

	markers = t.TempDir()
	evil := filepath.Join(t.TempDir(), "evil.sh")
	script := "#!/bin/sh\ntouch '" + markers + "/'\"$(basename \"$0\")-$$\"\ncat >/dev/null 2>&1 </dev/null\nexit 0\n"
	if err := os.WriteFile(evil, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	gitDir := filepath.Join(r.dir, ".git")
	hookDirs := []string{filepath.Join(gitDir, "hooks"), filepath.Join(r.dir, "myhooks")}
	hooks := []string{"pre-commit", "post-checkout", "post-merge", "post-rewrite", "reference-transaction",
		"post-index-change", "pre-auto-gc", "fsmonitor-watchman", "post-commit", "pre-push"}
	for _, d := range hookDirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, h := range hooks {
			if err := os.WriteFile(filepath.Join(d, h), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(gitDir, "info", "attributes"), []byte("* diff=evil\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{
		{"core.fsmonitor", evil},
		{"core.hooksPath", hookDirs[1]},
		{"core.sshCommand", evil},
		{"core.pager", evil},
		{"core.editor", evil},
		{"core.askPass", evil},
		{"core.alternateRefsCommand", evil},
		{"diff.external", evil},
		{"diff.evil.textconv", evil},
		{"diff.evil.command", evil},
		{"filter.evil.clean", evil},
		{"filter.evil.smudge", evil},
		{"filter.evil.process", evil},
		{"pager.diff-tree", evil},
		{"pager.rev-list", evil},
		{"pager.cat-file", evil},
		{"uploadpack.packObjectsHook", evil},
		{"protocol.ext.allow", "always"},
		{"protocol.allow", "always"},
		{"remote.origin.url", "ext::" + evil + " x"},
		{"remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"},
		{"i18n.logOutputEncoding", "UTF-16"},
		{"gc.auto", "1"},
		{"maintenance.auto", "true"},
	} {
		r.git("config", kv[0], kv[1])
	}
	for _, kv := range [][2]string{
		{"GIT_EXTERNAL_DIFF", evil},
		{"GIT_SSH_COMMAND", evil},
		{"GIT_PAGER", evil},
		{"GIT_CONFIG_COUNT", "1"},
		{"GIT_CONFIG_KEY_0", "core.fsmonitor"},
		{"GIT_CONFIG_VALUE_0", evil},
		{"GIT_CONFIG_PARAMETERS", "'diff.external'='" + evil + "'"},
	} {
		t.Setenv(kv[0], kv[1])
	}
	return r, markers
}

func assertNoMarkers(t *testing.T, markers string) {
	t.Helper()
	ents, err := os.ReadDir(markers)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("the repository made git run a command: %s", e.Name())
	}
}

func TestHostileConfigRunsNothing(t *testing.T) {
	r, markers := hostileRepo(t)

	// Control: the same repository does run the script under plain git,
	// so the test is not vacuous.
	ctl := exec.Command("git", "diff", "HEAD~1")
	ctl.Dir = r.dir
	_ = ctl.Run() // git may fail after running the script; only the marker matters
	ents, _ := os.ReadDir(markers)
	if len(ents) == 0 {
		t.Fatal("control: plain git diff ran no script; the hostile repository is not hostile")
	}
	for _, e := range ents {
		t.Logf("control: plain git diff ran %s", e.Name())
	}
	if err := os.RemoveAll(markers); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(markers, 0o755); err != nil {
		t.Fatal(err)
	}

	g, err := Open(context.Background(), r.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	commits, order := diffAll(t, g)
	if len(order) != 2 {
		t.Fatalf("commits = %v", order)
	}
	last := commits[order[1]]
	if len(last.Changes) != 1 || last.Changes[0].Path != "f" {
		t.Fatalf("changes = %+v", last.Changes)
	}
	if last.Subject != "two" || last.Author != "Ann Author" {
		t.Errorf("metadata not UTF-8: %q %q", last.Subject, last.Author)
	}
	cf, err := g.CatFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cf.Request(last.Changes[0].Blob)
	cf.Request(strings.Repeat("2", 40))
	if obj, err := cf.Next(0, nil); err != nil || string(obj.Data) != "one\ntwo\n" {
		t.Fatal(obj, err)
	}
	if _, err := cf.Next(0, nil); err == nil {
		t.Error("missing object: no error")
	}
	if err := cf.Close(); err != nil {
		t.Fatal(err)
	}
	if p, err := g.Promisor(context.Background()); err != nil || p {
		t.Errorf("Promisor = %v, %v", p, err)
	}
	if ids, err := g.Present(context.Background()); err != nil || len(ids) == 0 {
		t.Errorf("Present = %d ids, %v", len(ids), err)
	}
	frags := 0
	err = (&History{Git: g}).Scan(context.Background(), func(*detect.Fragment) error { frags++; return nil })
	if err != nil || frags == 0 {
		t.Errorf("History: %d fragments, %v", frags, err)
	}
	scanned := 0
	detectAll := func(f *detect.Fragment) ([]detect.Finding, error) { scanned++; return nil, nil }
	err = (&PackScan{Git: g}).Find(context.Background(), detectAll, func([]detect.Finding) error { return nil })
	if err != nil || scanned == 0 {
		t.Errorf("PackScan: %d blobs, %v", scanned, err)
	}
	assertNoMarkers(t, markers)
}

// TestHostilePromisorRunsNothing asks for a missing object in a repository
// that claims to be a partial clone of a hostile remote: git must not
// fetch it (which would run the remote's ext:: command), and the error must
// be an error, not a hang or a crash.
func TestHostilePromisorRunsNothing(t *testing.T) {
	r, markers := hostileRepo(t)
	r.git("config", "core.repositoryformatversion", "1")
	r.git("config", "extensions.partialClone", "origin")
	r.git("config", "remote.origin.promisor", "true")
	g, err := Open(context.Background(), r.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := g.CatFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cf.Request(strings.Repeat("3", 40))
	if _, err := cf.Next(0, nil); err == nil {
		t.Error("missing object in a promisor repository: no error")
	} else {
		t.Logf("missing object: %v", err)
	}
	cf.Close()
	if p, err := g.Promisor(context.Background()); err != nil || !p {
		t.Errorf("Promisor = %v, %v", p, err)
	}
	err = (&History{Git: g}).Scan(context.Background(), func(*detect.Fragment) error { return nil })
	if err != nil {
		t.Errorf("History: %v", err)
	}
	dt, err := g.DiffTree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// git skips an id it cannot find, silently; the next one still works.
	dt.Request(strings.Repeat("4", 40))
	head := r.git("rev-parse", "HEAD")
	dt.Request(head)
	dt.CloseRequests()
	if c, err := dt.Next(); err != nil || c.ID != head {
		t.Errorf("after a missing commit: %v %v", c, err)
	}
	if _, err := dt.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	dt.Close()
	assertNoMarkers(t, markers)
}

// TestHostileStagedRunsNothing runs what the pre-commit and pre-push hooks
// use (DiffStaged and Staged with its renames, ResolveCommits, PushRevs,
// HooksDir) on the hostile repository with changes staged: an added file,
// a modified one and a rename, all carrying the evil diff driver and
// filter attributes. None of it may run anything.
func TestHostileStagedRunsNothing(t *testing.T) {
	r, markers := hostileRepo(t)
	// The test's own git, tamed: the repository's commands off, no
	// filters (the evil clean filter would empty the content).
	env := Env(os.Environ())
	for _, kv := range r.env() {
		if strings.HasPrefix(kv, "GIT_AUTHOR_") || strings.HasPrefix(kv, "GIT_COMMITTER_") {
			env = append(env, kv)
		}
	}
	tame := func(args ...string) string {
		t.Helper()
		return runGit(t, r.dir, env, append([]string{"-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
			"-c", "filter.evil.process=", "-c", "filter.evil.clean=", "-c", "filter.evil.smudge="}, args...)...)
	}
	stage := func(path, content string) {
		t.Helper()
		r.write(path, content)
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
	ctl.Dir = r.dir
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
	g, err := Open(ctx, r.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.DiffStaged(ctx, filepath.Join(r.dir, ".git", "index"))
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
	err = (&Staged{Git: g}).Scan(ctx, func(f *detect.Fragment) error {
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
	if _, _, err := g.PushRevs(ctx, []PushUpdate{{"refs/heads/main", head, "refs/heads/main", zeroID()}}); err != nil {
		t.Error(err)
	}
	if _, err := HooksDir(ctx, r.dir, ""); err != nil {
		t.Error(err)
	}
	assertNoMarkers(t, markers)
}
