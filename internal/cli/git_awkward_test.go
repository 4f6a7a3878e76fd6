package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// The repositories users point `leakhound git` at are not all complete,
// well-formed clones owned by them. These tests build each awkward kind
// with real git and check what a user would: the exit code, the findings
// (commit, path, line) and what stderr says, which never shows a secret
// (runEnv checks that).

// awkRepo is a repository built with the tests' own git, with no user or
// system configuration and fixed identities and dates.
type awkRepo struct {
	t   *testing.T
	dir string
}

func newAwkRepo(t *testing.T) *awkRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &awkRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

// gitIn runs git in dir and returns its trimmed output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitCmd(dir, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.invalid",
		"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.invalid")
	return cmd
}

func (r *awkRepo) git(args ...string) string {
	r.t.Helper()
	return gitIn(r.t, r.dir, args...)
}

func (r *awkRepo) write(path, content string) {
	r.t.Helper()
	testkit.WriteTree(r.t, r.dir, map[string]string{path: content})
}

// commit commits everything on the given day of January 2024 and
// returns the commit's id.
func (r *awkRepo) commit(msg string, day int) string {
	r.t.Helper()
	date := fmt.Sprintf("2024-01-%02dT10:00:00Z", day)
	r.git("add", "-A")
	cmd := gitCmd(r.dir, "commit", "-q", "--allow-empty", "-m", msg)
	cmd.Env = append(cmd.Env, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git commit: %v\n%s", err, out)
	}
	return r.git("rev-parse", "HEAD")
}

// origin is the history most tests scan: notes.txt brings TokB in c1 and
// is deleted in c2, which brings TokA to line 2 of app/config.env; c3
// adds a clean README.
type origin struct {
	*awkRepo
	c1, c2, c3 string
}

func newOrigin(t *testing.T) *origin {
	r := newAwkRepo(t)
	o := &origin{awkRepo: r}
	r.write("app/config.env", "NAME=shop\n")
	r.write("notes.txt", "key "+testkit.TokB+"\n")
	o.c1 = r.commit("initial", 1)
	if err := os.Remove(filepath.Join(r.dir, "notes.txt")); err != nil {
		t.Fatal(err)
	}
	r.write("app/config.env", "NAME=shop\nTOKEN="+testkit.TokA+"\n")
	o.c2 = r.commit("add token", 2)
	r.write("README", "hello\n")
	o.c3 = r.commit("readme", 3)
	return o
}

// finding is what a user checks of a finding.
type finding struct {
	Commit string `json:"commit"`
	File   string `json:"file"`
	Line   int    `json:"start_line"`
	Secret string `json:"secret"`
}

func (f finding) String() string {
	return fmt.Sprintf("%.7s %s:%d %s", f.Commit, f.File, f.Line, f.Secret)
}

// scanResult is one `leakhound git` run.
type scanResult struct {
	result
	findings []finding
}

// scanModes are the two ways `leakhound git` reads history: every ref (one
// pass over every object) and a revision (commit by commit).
var scanModes = []struct {
	name string
	args []string
}{
	{"all refs", nil},
	{"--branch HEAD", []string{"--branch", "HEAD"}},
}

// scanGit runs `leakhound git PATH` (no PATH when path is "") with the
// test rule and a JSON report, and decodes the findings.
func scanGit(t *testing.T, path string, extra ...string) scanResult {
	t.Helper()
	args := []string{"git"}
	if path != "" {
		args = append(args, path)
	}
	args = append(args, "--config", writeConfig(t, tokRule), "--report-format", "json")
	args = append(args, extra...)
	r := scanResult{result: runEnv(t, Env{}, args...)}
	if r.code == ExitFindings || r.code == ExitClean || r.stdout != "" {
		if err := json.Unmarshal([]byte(r.stdout), &r.findings); err != nil {
			t.Fatalf("stdout is not a JSON report (%v):\n%s", err, r)
		}
	}
	return r
}

// wantFindings checks the findings, in the report's order (by path).
func wantFindings(t *testing.T, r scanResult, want ...finding) {
	t.Helper()
	if fmt.Sprint(r.findings) != fmt.Sprint(want) {
		t.Errorf("findings:\n  %v\nwant:\n  %v\n%s", r.findings, want, r)
	}
}

func (o *origin) all() []finding {
	return []finding{
		{o.c2, "app/config.env", 2, testkit.TokA},
		{o.c1, "notes.txt", 1, testkit.TokB},
	}
}

func TestGitShallowClone(t *testing.T) {
	o := newOrigin(t)
	clone := filepath.Join(t.TempDir(), "shallow")
	gitIn(t, o.dir, "clone", "-q", "--depth", "1", "file://"+o.dir, clone)
	// Then a clean one: the token removed at the tip.
	o.write("app/config.env", "NAME=shop\n")
	clean := o.commit("remove token", 4)
	cleanClone := filepath.Join(t.TempDir(), "shallow-clean")
	gitIn(t, o.dir, "clone", "-q", "--depth", "1", "file://"+o.dir, cleanClone)

	note := "leakhound: shallow clone: history before 1 boundary commit(s) not scanned"
	for _, m := range scanModes {
		t.Run(m.name, func(t *testing.T) {
			// The boundary commit has no parents here: what it holds, it
			// introduced. The token removed before it is out of reach.
			r := scanGit(t, clone, m.args...)
			if r.code != ExitFindings {
				t.Fatalf("exit %d, want %d (a shallow clone is no error)\n%s", r.code, ExitFindings, r)
			}
			wantFindings(t, r, finding{o.c3, "app/config.env", 2, testkit.TokA})
			if !strings.Contains(r.stderr, note) {
				t.Errorf("stderr does not say the clone is shallow:\n%s", r.stderr)
			}

			r = scanGit(t, cleanClone, m.args...)
			if r.code != ExitClean || len(r.findings) != 0 {
				t.Fatalf("clean shallow clone (%.7s): exit %d, want 0\n%s", clean, r.code, r)
			}
			if !strings.Contains(r.stderr, note) {
				t.Errorf("stderr does not say the clone is shallow:\n%s", r.stderr)
			}
		})
	}
	// A complete repository says nothing of the kind.
	if r := scanGit(t, o.dir); strings.Contains(r.stderr, "shallow") {
		t.Errorf("full clone called shallow:\n%s", r.stderr)
	}
}

// objectCount is how many objects a repository holds, counted by git.
func objectCount(t *testing.T, dir string) int {
	t.Helper()
	out := gitIn(t, dir, "cat-file", "--batch-all-objects", "--batch-check")
	return len(strings.Split(out, "\n"))
}

var partialNote = regexp.MustCompile(`leakhound: partial clone: (\d+) blob\(s\) could not be read`)

func TestGitPartialClone(t *testing.T) {
	o := newOrigin(t)
	o.git("config", "uploadpack.allowFilter", "true")
	clone := filepath.Join(t.TempDir(), "partial")
	gitIn(t, o.dir, "clone", "-q", "--filter=blob:none", "--no-checkout", "file://"+o.dir, clone)
	// Fetch one blob, as a user reading one file would: the tip's
	// app/config.env, which c2 introduced with the token.
	gitIn(t, clone, "cat-file", "-p", "HEAD:app/config.env")
	before := objectCount(t, clone)

	check := func(t *testing.T, r scanResult) {
		t.Helper()
		if r.code != ExitError {
			t.Errorf("exit %d, want %d: blobs were not scanned\n%s", r.code, ExitError, r)
		}
		// What could be read is still reported.
		wantFindings(t, r, finding{o.c2, "app/config.env", 2, testkit.TokA})
		m := partialNote.FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("stderr does not say how many blobs could not be read:\n%s", r.stderr)
		}
		// c1's app/config.env and notes.txt, c3's README.
		if m[1] != "3" {
			t.Errorf("%s blobs could not be read, want 3\n%s", m[1], r.stderr)
		}
		for _, path := range []string{"notes.txt", "README"} {
			if !strings.Contains(r.stderr, "path="+path) {
				t.Errorf("stderr does not name %s:\n%s", path, r.stderr)
			}
		}
	}
	for _, m := range scanModes {
		t.Run(m.name, func(t *testing.T) {
			// With the origin there, nothing may be fetched from it.
			check(t, scanGit(t, clone, m.args...))
			if after := objectCount(t, clone); after != before {
				t.Errorf("the scan fetched: %d objects before, %d after", before, after)
			}
		})
	}
	// And without it, the same.
	if err := os.Rename(o.dir, o.dir+".gone"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Rename(o.dir+".gone", o.dir) })
	for _, m := range scanModes {
		t.Run(m.name+", origin gone", func(t *testing.T) {
			check(t, scanGit(t, clone, m.args...))
		})
	}
}

func TestGitMissingLooseObject(t *testing.T) {
	o := newOrigin(t)
	if !strings.Contains(o.git("count-objects", "-v"), "\nin-pack: 0\n") {
		t.Fatal("the test repository is packed; want loose objects")
	}
	readme := o.git("rev-parse", o.c3+":README")
	if err := os.Remove(filepath.Join(o.dir, ".git", "objects", readme[:2], readme[2:])); err != nil {
		t.Fatal(err)
	}
	for _, m := range scanModes {
		t.Run(m.name, func(t *testing.T) {
			r := scanGit(t, o.dir, m.args...)
			if r.code != ExitError {
				t.Errorf("exit %d, want %d\n%s", r.code, ExitError, r)
			}
			wantFindings(t, r, o.all()...)
			if !strings.Contains(r.stderr, "README") || !strings.Contains(r.stderr, o.c3) {
				t.Errorf("stderr does not name the path and commit (%s) of the missing blob:\n%s", o.c3, r.stderr)
			}
			if strings.Contains(r.stderr, "partial clone:") {
				t.Errorf("a damaged repository is called a partial clone:\n%s", r.stderr)
			}
		})
	}
}

// packedOrigin is newOrigin with its objects in one pack, whose path it
// returns.
func packedOrigin(t *testing.T) (*origin, string) {
	t.Helper()
	o := newOrigin(t)
	o.git("gc", "-q")
	packs, _ := filepath.Glob(filepath.Join(o.dir, ".git", "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs: %v", packs)
	}
	return o, packs[0]
}

func TestGitCorruptRepository(t *testing.T) {
	t.Run("truncated pack", func(t *testing.T) {
		o, pack := packedOrigin(t)
		info, err := os.Stat(pack)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(pack, info.Size()/2); err != nil {
			t.Fatal(err)
		}
		for _, m := range scanModes {
			t.Run(m.name, func(t *testing.T) {
				r := scanGit(t, o.dir, m.args...)
				if r.code != ExitError {
					t.Errorf("exit %d, want %d\n%s", r.code, ExitError, r)
				}
				if !strings.Contains(r.stderr, filepath.Base(pack)) {
					t.Errorf("stderr does not name the damaged pack:\n%s", r.stderr)
				}
			})
		}
	})
	t.Run("damaged entry in a whole pack", func(t *testing.T) {
		// The pack opens, its index agrees, but an object's compressed
		// bytes are damaged: the in-process reader reports that object,
		// and every object built on it, naming the pack.
		o, pack := packedOrigin(t)
		b, err := os.ReadFile(pack)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{len(b) / 3, len(b) / 2, 2 * len(b) / 3} {
			b[at] ^= 0x55
		}
		if err := os.Chmod(pack, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pack, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r := scanGit(t, o.dir)
		if r.code != ExitError {
			t.Errorf("exit %d, want %d\n%s", r.code, ExitError, r)
		}
		if !strings.Contains(r.stderr, "could not be read") || !strings.Contains(r.stderr, filepath.Base(pack)) {
			t.Errorf("stderr does not say which objects of which pack could not be read:\n%s", r.stderr)
		}
	})
	t.Run("garbage HEAD", func(t *testing.T) {
		o := newOrigin(t)
		if err := os.WriteFile(filepath.Join(o.dir, ".git", "HEAD"), []byte("garbage\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := scanGit(t, o.dir)
		if r.code != ExitError {
			t.Errorf("exit %d, want %d\n%s", r.code, ExitError, r)
		}
		if !strings.Contains(r.stderr, o.dir) || !strings.Contains(r.stderr, "damaged") {
			t.Errorf("stderr does not say the repository is damaged:\n%s", r.stderr)
		}
	})
	t.Run("garbage HEAD inside another repository", func(t *testing.T) {
		// git would walk up past the damaged .git to the outer
		// repository; scanning that instead would be a silent mistake.
		o := newOrigin(t)
		inner := filepath.Join(o.dir, "vendor", "inner")
		gitIn(t, o.dir, "init", "-q", inner)
		if err := os.WriteFile(filepath.Join(inner, ".git", "HEAD"), []byte("garbage\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := scanGit(t, inner)
		if r.code != ExitError || len(r.findings) != 0 {
			t.Errorf("exit %d, want %d\n%s", r.code, ExitError, r)
		}
		if !strings.Contains(r.stderr, inner) || !strings.Contains(r.stderr, "damaged") {
			t.Errorf("stderr does not say the repository is damaged:\n%s", r.stderr)
		}
	})
}

func TestGitDetachedHead(t *testing.T) {
	o := newOrigin(t)
	o.git("checkout", "-q", "--detach", o.c2)
	o.git("branch", "-q", "-D", "main") // c3 is now unreachable
	for _, m := range scanModes {
		t.Run(m.name, func(t *testing.T) {
			r := scanGit(t, o.dir, m.args...)
			if r.code != ExitFindings {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			wantFindings(t, r, o.all()...)
		})
	}
}

func TestGitBareRepository(t *testing.T) {
	o := newOrigin(t)
	bare := filepath.Join(t.TempDir(), "bare.git")
	gitIn(t, o.dir, "clone", "-q", "--bare", o.dir, bare)
	for _, m := range scanModes {
		t.Run(m.name, func(t *testing.T) {
			r := scanGit(t, bare, m.args...)
			if r.code != ExitFindings {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			wantFindings(t, r, o.all()...)
		})
	}
}

// TestGitLinkedWorktree scans from inside a linked worktree with no path,
// as `cd wt && leakhound git` does (a relative path must be the current
// folder's, whatever folder git runs in).
func TestGitLinkedWorktree(t *testing.T) {
	o := newOrigin(t)
	wt := filepath.Join(t.TempDir(), "wt")
	o.git("worktree", "add", "-q", "-b", "side", wt, o.c1)
	testkit.WriteTree(t, wt, map[string]string{"side.txt": "SIDE=" + testkit.TokA + "\n"})
	gitIn(t, wt, "add", "-A")
	gitIn(t, wt, "commit", "-q", "-m", "side token")
	side := gitIn(t, wt, "rev-parse", "HEAD")
	t.Chdir(wt)
	for _, path := range []string{"", "."} {
		t.Run("all refs, path "+path, func(t *testing.T) {
			r := scanGit(t, path)
			if r.code != ExitFindings {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			wantFindings(t, r, finding{o.c2, "app/config.env", 2, testkit.TokA},
				finding{o.c1, "notes.txt", 1, testkit.TokB}, finding{side, "side.txt", 1, testkit.TokA})
		})
	}
	t.Run("--branch HEAD is the worktree's", func(t *testing.T) {
		r := scanGit(t, "", "--branch", "HEAD")
		if r.code != ExitFindings {
			t.Fatalf("exit %d\n%s", r.code, r)
		}
		wantFindings(t, r, finding{o.c1, "notes.txt", 1, testkit.TokB}, finding{side, "side.txt", 1, testkit.TokA})
	})
}

func TestGitNotARepositoryMessages(t *testing.T) {
	plain := t.TempDir()
	file := filepath.Join(plain, "file.txt")
	testkit.WriteTree(t, plain, map[string]string{"file.txt": "x\n"})
	tests := []struct{ name, path, want string }{
		{"plain folder", plain, plain + " is not a git repository"},
		{"missing", filepath.Join(plain, "nope"), filepath.Join(plain, "nope") + " does not exist"},
		{"file", file, file + " is not a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scanGit(t, tt.path)
			if r.code != ExitError {
				t.Errorf("exit %d, want %d\n%s", r.code, ExitError, r)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, r.stderr)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") > 2 {
				t.Errorf("a wall of text for a wrong path:\n%s", r.stderr)
			}
		})
	}
	// A relative path is taken from the current folder.
	o := newOrigin(t)
	t.Chdir(filepath.Dir(o.dir))
	if r := scanGit(t, filepath.Base(o.dir)); r.code != ExitFindings {
		t.Errorf("relative path: exit %d\n%s", r.code, r)
	}
}

func TestGitThousandsOfRefs(t *testing.T) {
	o := newOrigin(t)
	var refs strings.Builder
	for i := range 1500 {
		fmt.Fprintf(&refs, "create refs/tags/t%04d %s\n", i, o.c3)
		fmt.Fprintf(&refs, "create refs/heads/b%04d %s\n", i, o.c2)
	}
	cmd := gitCmd(o.dir, "update-ref", "--stdin")
	cmd.Stdin = strings.NewReader(refs.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("update-ref: %v\n%s", err, out)
	}
	o.git("pack-refs", "--all")
	if n := strings.Count(o.git("for-each-ref"), "\n") + 1; n < 3000 {
		t.Fatalf("%d refs", n)
	}
	for _, m := range append(scanModes, struct {
		name string
		args []string
	}{"--since", []string{"--since", "2023-01-01"}}) {
		t.Run(m.name, func(t *testing.T) {
			r := scanGit(t, o.dir, m.args...)
			if r.code != ExitFindings {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			wantFindings(t, r, o.all()...)
		})
	}
}
