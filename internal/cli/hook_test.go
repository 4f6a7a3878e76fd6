package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// hookRepo is a repository whose git runs the hooks leakhound installs:
// its commands run with the test binary standing in for leakhound (see
// TestMain) and the test rule set, and with no user or system config.
type hookRepo struct {
	t   *testing.T
	dir string
	env []string
}

func newHookRepo(t *testing.T) *hookRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	// `hook install` reads the user's and the system's git config (a
	// core.hooksPath there is where git looks): keep the machine's out.
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	r := &hookRepo{t: t, dir: t.TempDir()}
	r.env = append(os.Environ(), asMainEnv+"=1", "LEAKHOUND_CONFIG="+writeConfig(t, tokRuleNamed("test-token")),
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.invalid",
		"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.invalid")
	r.run("init", "-q", "-b", "main")
	return r
}

// try runs git in the repository and returns its combined output.
func (r *hookRepo) try(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// run is try for commands that must succeed; it returns the trimmed output.
func (r *hookRepo) run(args ...string) string {
	r.t.Helper()
	out, err := r.try(args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

func (r *hookRepo) write(path, content string) {
	r.t.Helper()
	testkit.WriteTree(r.t, r.dir, map[string]string{path: content})
}

// commit commits everything without running hooks and returns the id.
func (r *hookRepo) commit(msg string) string {
	r.t.Helper()
	r.run("add", "-A")
	r.run("commit", "-q", "--no-verify", "--allow-empty", "-m", msg)
	return r.run("rev-parse", "HEAD")
}

func (r *hookRepo) head() string {
	r.t.Helper()
	return r.run("rev-parse", "HEAD")
}

// blocked checks that a git command a hook ran was refused because of a
// finding, and that git's output (the report) names the rule without
// showing a secret whole.
func blocked(t *testing.T, what, out string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: not blocked:\n%s", what, out)
	}
	if !strings.Contains(out, "test-token") {
		t.Errorf("%s: no finding in the output:\n%s", what, out)
	}
	for _, s := range []string{testkit.TokA, testkit.TokB} {
		if strings.Contains(out, s) {
			t.Errorf("%s: the output shows a secret whole:\n%s", what, out)
		}
	}
}

// TestPreCommitHook installs the plain git hook and commits through it:
// a commit that adds a secret is refused (whether staged with git add,
// with commit -a or commit PATH), a clean one goes through, and so do an
// allowed line and --no-verify.
func TestPreCommitHook(t *testing.T) {
	r := newHookRepo(t)
	r.write("app.env", "NAME=shop\n")
	r.commit("initial")
	if res := runEnv(t, Env{}, "hook", "install", r.dir); res.code != ExitClean || !strings.Contains(res.stdout, "pre-commit") {
		t.Fatalf("install: %s", res)
	}

	r.write("app.env", "NAME=shop\nPORT=80\n")
	r.run("add", "app.env")
	if out, err := r.try("commit", "-q", "-m", "clean"); err != nil {
		t.Fatalf("clean commit refused: %v\n%s", err, out)
	}
	for _, c := range [][]string{
		{"add"},             // staged, then commit
		{"commit", "-a"},    // a temporary index (GIT_INDEX_FILE)
		{"commit", "paths"}, // another temporary index
	} {
		before := r.head()
		r.write("app.env", "NAME=shop\nPORT=80\nTOKEN="+testkit.TokB+"\n")
		var out string
		var err error
		switch c[0] {
		case "add":
			r.run("add", "app.env")
			out, err = r.try("commit", "-m", "leak")
		case "commit":
			if c[1] == "-a" {
				out, err = r.try("commit", "-a", "-m", "leak")
			} else {
				out, err = r.try("commit", "-m", "leak", "app.env")
			}
		}
		blocked(t, "commit "+strings.Join(c, " "), out, err)
		if r.head() != before {
			t.Fatalf("commit %v: the commit was made", c)
		}
		r.run("reset", "-q", "--hard")
	}

	r.write("app.env", "NAME=shop\nPORT=80\nTOKEN="+testkit.TokB+" # leakhound:allow\n")
	if out, err := r.try("commit", "-qam", "allowed"); err != nil {
		t.Fatalf("allowed line refused: %v\n%s", err, out)
	}
	r.write("other.env", "T="+testkit.TokA+"\n")
	r.run("add", "other.env")
	if out, err := r.try("commit", "-q", "--no-verify", "-m", "skip"); err != nil {
		t.Fatalf("--no-verify: %v\n%s", err, out)
	}
}

// TestHookInstall: an existing hook leakhound did not write is left alone
// without --force; leakhound's own is updated; core.hooksPath is where
// the hook goes.
func TestHookInstall(t *testing.T) {
	r := newHookRepo(t)
	r.commit("initial")
	hook := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho mine\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := runEnv(t, Env{}, "hook", "install", r.dir)
	if res.code != ExitError || !strings.Contains(res.stderr, "--force") || !strings.Contains(res.stderr, hook) {
		t.Fatalf("install over a foreign hook: %s", res)
	}
	if b, _ := os.ReadFile(hook); string(b) != "#!/bin/sh\necho mine\n" {
		t.Fatalf("foreign hook changed: %q", b)
	}
	if res := runEnv(t, Env{}, "hook", "install", "--force", r.dir); res.code != ExitClean {
		t.Fatalf("--force: %s", res)
	}
	if res := runEnv(t, Env{}, "hook", "install", r.dir); res.code != ExitClean {
		t.Fatalf("reinstall over leakhound's own hook: %s", res)
	}
	info, err := os.Stat(hook)
	if err != nil || info.Mode().Perm()&0o100 == 0 {
		t.Fatalf("hook not executable: %v %v", info, err)
	}
	exe := runEnv(t, Env{Executable: func() (string, error) { return "/opt/it's here/leakhound", nil }}, "hook", "install", "--pre-push", r.dir)
	script, _ := os.ReadFile(filepath.Join(r.dir, ".git", "hooks", "pre-push"))
	if exe.code != ExitClean || !strings.Contains(string(script), `leakhound='/opt/it'\''s here/leakhound'`) ||
		!strings.Contains(string(script), `exec "$leakhound" hook pre-push "$@"`) {
		t.Fatalf("pre-push hook: %s\n%s", exe, script)
	}

	r.run("config", "core.hooksPath", ".githooks")
	if res := runEnv(t, Env{}, "hook", "install", r.dir); res.code != ExitClean ||
		!strings.Contains(res.stdout, filepath.Join(".githooks", "pre-commit")) {
		t.Fatalf("install with core.hooksPath: %s", res)
	}
	r.write("f", "T="+testkit.TokA+"\n")
	r.run("add", "f")
	out, err := r.try("commit", "-m", "leak")
	blocked(t, "commit with core.hooksPath", out, err)

	if res := runEnv(t, Env{}, "hook", "install", t.TempDir()); res.code != ExitError {
		t.Errorf("install outside a repository: %s", res)
	}
	if res := runEnv(t, Env{}, "hook", "install", "a", "b"); res.code != ExitError {
		t.Errorf("two repositories: %s", res)
	}
	if res := runEnv(t, Env{}, "hook"); res.code != ExitError {
		t.Errorf("hook without a command: %s", res)
	}
	if res := runEnv(t, Env{}, "hook", "nope"); res.code != ExitError {
		t.Errorf("unknown hook command: %s", res)
	}
}

// TestPrePushHook installs the plain pre-push hook and pushes to a local
// bare remote: only the commits the remote lacks are scanned, so a
// secret blocks the push that would send it (to an existing branch or a
// new one) and nothing else; deletions go through.
func TestPrePushHook(t *testing.T) {
	r := newHookRepo(t)
	origin := filepath.Join(t.TempDir(), "origin.git")
	r.run("init", "-q", "--bare", origin)
	r.run("remote", "add", "origin", origin)
	r.write("app.env", "NAME=shop\n")
	r.commit("initial")
	if res := runEnv(t, Env{}, "hook", "install", "--pre-push", r.dir); res.code != ExitClean {
		t.Fatalf("install: %s", res)
	}
	push := func(args ...string) (string, error) {
		return r.try(append([]string{"push", "-q", "origin"}, args...)...)
	}
	remoteHead := func(ref string) string { return r.run("--git-dir="+origin, "rev-parse", "-q", "--verify", ref) }
	if out, err := push("main"); err != nil {
		t.Fatalf("first push of a clean branch: %v\n%s", err, out)
	}

	// A secret on main: the push is refused, the remote unchanged.
	pushed := r.head()
	r.write("app.env", "NAME=shop\nTOKEN="+testkit.TokA+"\n")
	r.commit("leak")
	r.write("app.env", "NAME=shop\n")
	r.commit("remove it again (still in history)")
	out, err := push("main")
	blocked(t, "push of a secret", out, err)
	if remoteHead("main") != pushed {
		t.Fatal("the push went through")
	}
	r.run("reset", "-q", "--hard", "origin/main")

	// A new branch: only its own commits are scanned.
	r.run("checkout", "-q", "-b", "feature")
	r.write("b.txt", "clean\n")
	r.commit("clean feature")
	if out, err := push("feature"); err != nil {
		t.Fatalf("new clean branch: %v\n%s", err, out)
	}
	r.run("checkout", "-q", "-b", "leaky")
	r.write("c.txt", "T="+testkit.TokB+"\n")
	r.commit("leaky feature")
	out, err = push("leaky")
	blocked(t, "new branch with a secret", out, err)

	// Deleting a remote branch sends nothing.
	if out, err := push("--delete", "feature"); err != nil {
		t.Fatalf("deletion: %v\n%s", err, out)
	}

	// A secret the remote already has is not the push's doing.
	if out, err := push("--no-verify", "leaky"); err != nil {
		t.Fatalf("--no-verify: %v\n%s", err, out)
	}
	r.write("d.txt", "clean\n")
	r.commit("clean on top")
	if out, err := push("leaky"); err != nil {
		t.Fatalf("clean commit on top of a pushed secret: %v\n%s", err, out)
	}
}

// prePush runs `leakhound hook pre-push` in-process in dir, as the
// pre-commit framework does (variables) or git (stdin).
func prePush(t *testing.T, dir string, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	t.Chdir(dir)
	env := Env{Stdin: strings.NewReader(stdin), Getenv: func(k string) string { return vars[k] }}
	return runEnv(t, env, append([]string{"hook", "pre-push", "--report-format", "json"}, args...)...)
}

// commitsOf returns the commits of the findings in a JSON report.
func commitsOf(t *testing.T, res result) []string {
	t.Helper()
	var fs []struct {
		Commit string `json:"commit"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &fs); err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.Commit)
	}
	return out
}

// TestPrePushFramework simulates the pre-commit framework, which reads
// git's input itself and passes the range in PRE_COMMIT_FROM_REF and
// PRE_COMMIT_TO_REF (or, for a push with the root commit, only
// PRE_COMMIT_LOCAL_BRANCH), and git's own input to a plain hook.
func TestPrePushFramework(t *testing.T) {
	r := newHookRepo(t)
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	r.write("app.env", "NAME=shop\n")
	c1 := r.commit("one")
	r.write("app.env", "NAME=shop\nTOKEN="+testkit.TokA+"\n")
	c2 := r.commit("leak")
	r.write("app.env", "NAME=shop\n")
	c3 := r.commit("fix")
	z := strings.Repeat("0", 40)
	vars := func(kv ...string) map[string]string {
		m := map[string]string{"LEAKHOUND_CONFIG": cfg}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		vars  map[string]string
		stdin string
		code  int
		want  string // commit of the one finding
	}{
		{"range with the leak", vars("PRE_COMMIT_FROM_REF", c1, "PRE_COMMIT_TO_REF", c3), "", ExitFindings, c2},
		{"range after the leak", vars("PRE_COMMIT_FROM_REF", c2, "PRE_COMMIT_TO_REF", c3), "", ExitClean, ""},
		{"ref names", vars("PRE_COMMIT_FROM_REF", "main~2", "PRE_COMMIT_TO_REF", "HEAD"), "", ExitFindings, c2},
		{"root commit pushed", vars("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main", "PRE_COMMIT_REMOTE_NAME", "origin"), "", ExitFindings, c2},
		{"framework, no range", vars("PRE_COMMIT", "1"), "", ExitFindings, c2},
		{"unknown from", vars("PRE_COMMIT_FROM_REF", strings.Repeat("7", 40), "PRE_COMMIT_TO_REF", c3), "", ExitFindings, c2},
		{"option as a ref", vars("PRE_COMMIT_FROM_REF", c1, "PRE_COMMIT_TO_REF", "--output=x"), "", ExitError, ""},
		{"unknown to", vars("PRE_COMMIT_FROM_REF", c1, "PRE_COMMIT_TO_REF", "nope"), "", ExitError, ""},
		{"git: update", vars(), "refs/heads/main " + c3 + " refs/heads/main " + c1 + "\n", ExitFindings, c2},
		{"git: update after the leak", vars(), "refs/heads/main " + c3 + " refs/heads/main " + c2 + "\n", ExitClean, ""},
		{"git: new branch", vars(), "refs/heads/main " + c3 + " refs/heads/new " + z + "\n", ExitFindings, c2},
		{"git: deletion", vars(), "(delete) " + z + " refs/heads/main " + c3 + "\n", ExitClean, ""},
		{"git: nothing", vars(), "", ExitClean, ""},
		{"git: malformed", vars(), "refs/heads/main HEAD refs/heads/main " + c1 + "\n", ExitError, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := prePush(t, r.dir, tc.vars, tc.stdin, "origin", "file:///nowhere")
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, tc.code, res)
			}
			if tc.code == ExitError {
				return
			}
			got := commitsOf(t, res)
			if (tc.want == "" && len(got) != 0) || (tc.want != "" && (len(got) != 1 || got[0] != tc.want)) {
				t.Errorf("findings in commits %v, want %q", got, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(r.dir, "x")); err == nil {
		t.Error("--output=x reached git")
	}

	// Once main is on the remote, a new branch sends only its own commits.
	r.run("update-ref", "refs/remotes/origin/main", c3)
	r.write("b.txt", "clean\n")
	c4 := r.commit("clean")
	res := prePush(t, r.dir, vars(), "refs/heads/f "+c4+" refs/heads/f "+z+"\n")
	if res.code != ExitClean {
		t.Errorf("new branch after main was pushed: %s", res)
	}
	if res := prePush(t, r.dir, vars(), "", "a", "b", "c"); res.code != ExitError {
		t.Errorf("three arguments: %s", res)
	}
}

// TestPreCommitHooksFile checks .pre-commit-hooks.yaml against the CLI:
// each hook's entry is a leakhound command that exists, built from this
// repository with Go, run once per commit or push (no file names), at
// the stage it is for. (pre-commit itself is not available to the tests;
// TestPrePushFramework simulates what it passes.)
func TestPreCommitHooksFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hooks := map[string]map[string]string{}
	var cur map[string]string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		key, val, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "- "), ":")
		if !ok {
			t.Fatalf("unexpected line %q", line)
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if strings.HasPrefix(line, "- ") {
			cur = map[string]string{}
			hooks[val] = cur
		}
		cur[key] = val
	}
	want := map[string]struct{ entry, stage string }{
		"leakhound":      {"leakhound git --staged", "[pre-commit]"},
		"leakhound-push": {"leakhound hook pre-push", "[pre-push]"},
	}
	if len(hooks) != len(want) {
		t.Errorf("hooks %v, want %v", hooks, want)
	}
	for id, w := range want {
		h := hooks[id]
		if h["entry"] != w.entry || h["stages"] != w.stage || h["language"] != "golang" || h["pass_filenames"] != "false" {
			t.Errorf("hook %s: %v", id, h)
		}
		args := append(strings.Fields(h["entry"])[1:], "--help")
		if res := runEnv(t, Env{}, args...); res.code != ExitClean || !strings.Contains(res.stdout, "Usage: leakhound") {
			t.Errorf("hook %s: %q does not run: %s", id, h["entry"], res)
		}
	}
}
