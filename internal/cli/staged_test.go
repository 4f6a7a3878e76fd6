package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// staged runs `leakhound git --staged` on r with the test rules, once with
// git's plumbing and once reading in process (go-git), and fails unless
// both give the same exit code and output: every staged test here holds
// for both readers. Where the in-process reader cannot read the
// repository as git would, the second run is the default one, which falls
// back to git.
func staged(t *testing.T, r *hookRepo, env Env, args ...string) result {
	t.Helper()
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	argv := append([]string{"git", "--staged", r.dir, "--config", cfg}, args...)
	run := func(reader string) result {
		e := env
		get := env.Getenv
		if get == nil {
			get = os.Getenv
		}
		e.Getenv = func(k string) string {
			if k == stagedReaderEnv {
				return reader
			}
			return get(k)
		}
		return runEnv(t, e, argv...)
	}
	plumb := run("git")
	in := run("go-git")
	if in.code == ExitError && strings.Contains(in.stderr, "go-git cannot read it as git would") {
		in = run("")
	}
	if normalizeRun(in) != normalizeRun(plumb) {
		t.Errorf("the in-process reader and git's plumbing disagree:\n=== in process:\n%s\n=== git:\n%s", in, plumb)
	}
	return plumb
}

// normalizeRun is a run's result without its timings.
func normalizeRun(r result) string {
	return durations.ReplaceAllString(r.String(), "in T")
}

var durations = regexp.MustCompile(`in [0-9.]+(ns|µs|ms|s|m[0-9.]+s)\b`)

// TestStagedCommand: only what the index adds to HEAD is reported, at
// its line in the staged file, with no commit; the summary counts what
// was skipped; JSON has no commit fields.
func TestStagedCommand(t *testing.T) {
	r := newHookRepo(t)
	r.write("app.env", "NAME=shop\nOLD="+testkit.TokA+"\n")
	r.commit("one")
	if res := staged(t, r, Env{}); res.code != ExitClean || !strings.Contains(res.stderr, "nothing is staged") {
		t.Fatalf("nothing staged: %s", res)
	}
	r.write("app.env", "NAME=shop\nOLD="+testkit.TokA+"\nPORT=80\nNEW="+testkit.TokB+"\n")
	r.write("bin.dat", "T="+testkit.TokB+"\x00\n")
	r.write("big.txt", "T="+testkit.TokB+"\n"+strings.Repeat("x", 2<<20))
	r.run("add", "-A")

	res := staged(t, r, Env{}, "--report-format", "json", "--max-target-megabytes", "1")
	if res.code != ExitFindings {
		t.Fatalf("exit %d\n%s", res.code, res)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0]["file"] != "app.env" || got[0]["start_line"] != 4.0 || got[0]["secret"] != testkit.TokB {
		t.Fatalf("findings: %v", got)
	}
	for _, k := range []string{"commit", "author", "email", "date", "message"} {
		if _, ok := got[0][k]; ok {
			t.Errorf("staged finding has %q", k)
		}
	}
	for _, want := range []string{"1 finding(s) in 1 staged files", "1 binary", "1 larger than --max-target-megabytes"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.stderr)
		}
	}
	text := staged(t, r, Env{})
	if text.code != ExitFindings || !strings.Contains(text.stdout, "staged       in the index, not committed yet") {
		t.Errorf("text report:\n%s", text)
	}
}

// TestStagedCommandAwkward: a repository with no commit yet, a bare one,
// flags that cannot go with --staged, and GIT_INDEX_FILE.
func TestStagedCommandAwkward(t *testing.T) {
	r := newHookRepo(t)
	if res := staged(t, r, Env{}); res.code != ExitClean || !strings.Contains(res.stderr, "no commit yet") {
		t.Fatalf("empty repository: %s", res)
	}
	r.write("first.env", "T="+testkit.TokA+"\n")
	r.run("add", "-A")
	if res := staged(t, r, Env{}); res.code != ExitFindings {
		t.Fatalf("first commit with a secret: %s", res)
	}
	r.commit("one")

	bare := filepath.Join(t.TempDir(), "b.git")
	r.run("clone", "-q", "--bare", r.dir, bare)
	res := runEnv(t, Env{}, "git", "--staged", bare)
	if res.code != ExitError || !strings.Contains(res.stderr, "bare repository") || strings.Contains(res.stderr, "panic") {
		t.Fatalf("bare repository: %s", res)
	}

	for _, flag := range [][]string{{"--range", "HEAD~1..HEAD"}, {"--branch", "main"}, {"--since", "2020-01-01"}, {"--until", "2030-01-01"}} {
		res := staged(t, r, Env{}, flag...)
		if res.code != ExitError || !strings.Contains(res.stderr, flag[0]) {
			t.Errorf("--staged %s: %s", flag[0], res)
		}
	}

	// The index a hook of `git commit -a` sees is a temporary one.
	r.write("first.env", "T="+testkit.TokA+"\nU="+testkit.TokB+"\n")
	alt := filepath.Join(t.TempDir(), "index")
	cmd := exec.Command("git", "add", "first.env")
	cmd.Dir, cmd.Env = r.dir, append(r.env, "GIT_INDEX_FILE="+alt)
	if err := exec.Command("cp", filepath.Join(r.dir, ".git", "index"), alt).Run(); err != nil {
		t.Fatal(err)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res := staged(t, r, Env{}); res.code != ExitClean {
		t.Errorf("repository's index: %s", res)
	}
	getenv := func(k string) string {
		if k == "GIT_INDEX_FILE" {
			return alt
		}
		return ""
	}
	if res := staged(t, r, Env{Getenv: getenv}); res.code != ExitFindings {
		t.Errorf("GIT_INDEX_FILE: %s", res)
	}
}

// TestHostileHooksRunNothing scans, with --staged and through both hook
// commands, a repository whose config and hooks name a command that
// leaves a file behind (fsmonitor, a diff driver and textconv, filters,
// every hook, an external diff), with the user's environment asking for
// the same: nothing of it may run.
func TestHostileHooksRunNothing(t *testing.T) {
	r := newHookRepo(t)
	markers := t.TempDir()
	evil := filepath.Join(t.TempDir(), "evil.sh")
	script := "#!/bin/sh\ntouch '" + markers + "/'\"$(basename \"$0\")-$$\"\ncat >/dev/null 2>&1 </dev/null\nexit 0\n"
	if err := os.WriteFile(evil, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r.write(".gitattributes", "* diff=evil filter=evil\n")
	r.write("app.env", "NAME=shop\nlong enough for rename detection\nthird line\n")
	r.commit("one")
	hookDirs := []string{filepath.Join(r.dir, ".git", "hooks"), filepath.Join(r.dir, "myhooks")}
	for _, d := range hookDirs {
		for _, h := range []string{"pre-commit", "pre-push", "post-index-change", "reference-transaction", "fsmonitor-watchman", "post-checkout"} {
			testkit.WriteTree(t, d, map[string]string{h: script})
			if err := os.Chmod(filepath.Join(d, h), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, kv := range [][2]string{
		{"core.fsmonitor", evil}, {"core.hooksPath", hookDirs[1]}, {"diff.external", evil},
		{"diff.evil.textconv", evil}, {"diff.evil.command", evil},
		{"filter.evil.clean", evil}, {"filter.evil.smudge", evil}, {"filter.evil.process", evil},
		{"core.pager", evil}, {"pager.diff-index", evil},
	} {
		r.run("config", kv[0], kv[1])
	}
	// Stage a secret and a rename with the repository's commands off.
	tame := []string{"-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
		"-c", "filter.evil.process=", "-c", "filter.evil.clean=", "-c", "filter.evil.smudge="}
	stage := func(path, content string) {
		r.write(path, content)
		id := r.run(append(tame, "hash-object", "-w", "--no-filters", path)...)
		r.run(append(tame, "update-index", "--add", "--cacheinfo", "100644,"+id+","+path)...)
	}
	r.run(append(tame, "rm", "-q", "--cached", "app.env")...)
	stage("renamed.env", "NAME=shop\nlong enough for rename detection\nthird line\nT="+testkit.TokA+"\n")
	r.run(append(tame, "commit", "-q", "-m", "leak")...)
	stage("next.env", "U="+testkit.TokB+"\n")
	head := r.run("rev-parse", "HEAD")

	// Control: plain git runs them.
	ctl := exec.Command("git", "diff", "--cached")
	ctl.Dir = r.dir
	_ = ctl.Run()
	if ents, _ := os.ReadDir(markers); len(ents) == 0 {
		t.Fatal("control: plain git diff --cached ran nothing; the repository is not hostile")
	}
	if err := os.RemoveAll(markers); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(markers, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{
		{"GIT_EXTERNAL_DIFF", evil}, {"GIT_PAGER", evil},
		{"GIT_CONFIG_COUNT", "1"}, {"GIT_CONFIG_KEY_0", "core.fsmonitor"}, {"GIT_CONFIG_VALUE_0", evil},
	} {
		t.Setenv(kv[0], kv[1])
	}

	if res := staged(t, r, Env{}); res.code != ExitFindings {
		t.Errorf("--staged: %s", res)
	}
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	vars := map[string]string{"LEAKHOUND_CONFIG": cfg, "PRE_COMMIT_FROM_REF": "HEAD~1", "PRE_COMMIT_TO_REF": head}
	if res := prePush(t, r.dir, vars, ""); res.code != ExitFindings {
		t.Errorf("hook pre-push (pre-commit framework): %s", res)
	}
	z := strings.Repeat("0", 40)
	if res := prePush(t, r.dir, map[string]string{"LEAKHOUND_CONFIG": cfg}, "refs/heads/main "+head+" refs/heads/main "+z+"\n"); res.code != ExitFindings {
		t.Errorf("hook pre-push (git): %s", res)
	}
	if res := runEnv(t, Env{}, "hook", "install", "--force", r.dir); res.code != ExitClean {
		t.Errorf("hook install: %s", res)
	}
	ents, err := os.ReadDir(markers)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("the repository made git run a command: %s", e.Name())
	}
}

// TestStagedStartsNoGit: on ordinary repositories the hook starts no git
// process at all. With no git on PATH, leakhound git --staged still
// reports what is staged (in a repository whose history is packed, with
// loose objects staged; and in a linked worktree), SARIF origin included,
// and says at debug level that it read in process.
func TestStagedStartsNoGit(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := newHookRepo(t)
	r.write("app.env", "NAME=shop\n")
	r.write("lib/util.go", "package lib\n")
	r.commit("one")
	r.run("remote", "add", "origin", "https://user:pw@git.example.invalid/team/shop.git")
	r.run("gc", "-q")
	r.write("app.env", "NAME=shop\nKEY="+testkit.TokA+"\n")
	r.run("add", "-A")
	wt := filepath.Join(t.TempDir(), "wt")
	r.run("worktree", "add", "-q", "-b", "side", wt)
	testkit.WriteTree(t, wt, map[string]string{"lib/util.go": "package lib\n\nconst k = \"" + testkit.TokB + "\"\n"})
	cmd := exec.Command("git", "add", "-A")
	cmd.Dir, cmd.Env = wt, r.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git add in the worktree: %v\n%s", err, out)
	}
	noGit := t.TempDir() // PATH: a folder with nothing in it
	for _, c := range []struct{ dir, file, secret string }{{r.dir, "app.env", testkit.TokA}, {wt, "lib/util.go", testkit.TokB}} {
		out := filepath.Join(t.TempDir(), "report.sarif")
		cmd := exec.Command(exe, "git", "--staged", c.dir, "--report-format", "sarif", "--report-path", out, "--log-level", "debug")
		cmd.Env = append(r.env, "PATH="+noGit)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitFindings {
			t.Fatalf("%s: %v, want exit %d\n%s", c.dir, err, ExitFindings, stderr.String())
		}
		if !strings.Contains(stderr.String(), "reading the index, HEAD and blobs in process") {
			t.Errorf("%s: no word of the in-process reader:\n%s", c.dir, stderr.String())
		}
		report, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{c.file, "https://git.example.invalid/team/shop.git", r.head()} {
			if !strings.Contains(string(report), want) {
				t.Errorf("%s: the SARIF report lacks %q", c.dir, want)
			}
		}
		if strings.Contains(string(report), "pw@") {
			t.Errorf("%s: the SARIF report carries the remote URL's password", c.dir)
		}
	}
}
