package gogit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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
	"github.com/leakhound/leakhound/internal/staged"
	"github.com/leakhound/leakhound/internal/testkit"
)

// randRepo is a repository the differential test builds with the test's
// own git, from a seed.
type randRepo struct {
	t    *testing.T
	rng  *rand.Rand
	dir  string // the work tree the staged state is made in
	env  []string
	ops  []string // what was done, for the failure message
	toks []string
}

func (r *randRepo) git(args ...string) string {
	r.t.Helper()
	out, err := r.try(args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s\nops: %s", strings.Join(args, " "), err, out, strings.Join(r.ops, "; "))
	}
	return strings.TrimSpace(out)
}

func (r *randRepo) try(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// write writes a file; a path under what is a file in the work tree is
// left alone.
func (r *randRepo) write(path, content string, exec bool) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	_ = os.RemoveAll(p)
	mode := os.FileMode(0o644)
	if exec {
		mode = 0o755
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		r.t.Fatal(err)
	}
}

var (
	randDirs  = []string{"", "a/", "a/b/", "a.b/", "c d/", "z/y/x/", "-/"}
	randNames = []string{"f", "g.txt", "a", "a.b", "env", ".env", "ünï", "x y", "Z"}
	randLines = []string{"plain line", "another line of text", "func main() {}", "", "# comment",
		"key = value", "a much longer line that makes files similar to each other when shared", "}", "\t-indented"}
)

func (r *randRepo) path() string {
	return randDirs[r.rng.IntN(len(randDirs))] + randNames[r.rng.IntN(len(randNames))]
}

func (r *randRepo) content() string {
	var b strings.Builder
	n := r.rng.IntN(12)
	for i := 0; i < n; i++ {
		switch r.rng.IntN(10) {
		case 0:
			b.WriteString("T=" + r.toks[r.rng.IntN(len(r.toks))])
		case 1:
			fmt.Fprintf(&b, "line %d", r.rng.IntN(1000))
		default:
			b.WriteString(randLines[r.rng.IntN(len(randLines))])
		}
		if r.rng.IntN(8) == 0 {
			b.WriteString("\r")
		}
		b.WriteString("\n")
	}
	if r.rng.IntN(15) == 0 {
		b.WriteString("bin\x00ary")
	}
	if r.rng.IntN(20) == 0 {
		// Past go-git's small-object size: read through its other path,
		// and likely stored as a delta once packed.
		for b.Len() < 40<<10 {
			fmt.Fprintf(&b, "filler line %d of a large file\n", b.Len())
		}
	}
	return b.String()
}

// edit returns content changed a little: a line added, dropped or
// changed, so that git may still pair it as a rename.
func (r *randRepo) edit(content string) string {
	lines := strings.SplitAfter(content, "\n")
	switch i := r.rng.IntN(len(lines) + 1); r.rng.IntN(3) {
	case 0:
		lines = append(lines[:i], append([]string{"T=" + r.toks[r.rng.IntN(len(r.toks))] + "\n"}, lines[i:]...)...)
	case 1:
		if i < len(lines) {
			lines = append(lines[:i], lines[i+1:]...)
		}
	default:
		lines = append(lines, fmt.Sprintf("edited %d\n", r.rng.IntN(100)))
	}
	return strings.Join(lines, "")
}

// tracked lists the index's paths (stage 0).
func (r *randRepo) tracked() []string {
	out := r.git("ls-files", "-z", "--stage")
	var paths []string
	for _, rec := range strings.Split(out, "\x00") {
		if _, p, ok := strings.Cut(rec, "\t"); ok && strings.HasSuffix(strings.Fields(rec)[2], "0") {
			paths = append(paths, p)
		}
	}
	return paths
}

// populate writes and stages random files.
func (r *randRepo) populate(n int) {
	for i := 0; i < n; i++ {
		p := r.path()
		if r.rng.IntN(12) == 0 {
			full := filepath.Join(r.dir, filepath.FromSlash(p))
			_ = os.RemoveAll(full)
			_ = os.MkdirAll(filepath.Dir(full), 0o755)
			if os.Symlink("target/"+p, full) == nil {
				r.try("add", "--", p)
			}
			continue
		}
		r.write(p, r.content(), r.rng.IntN(6) == 0)
		r.try("add", "--", p) // a path whose parent is a file is refused; fine
	}
}

// stage makes a random staged state on top of what is committed.
func (r *randRepo) stage(steps int) {
	for i := 0; i < steps; i++ {
		paths := r.tracked()
		pick := func() string {
			if len(paths) == 0 {
				return ""
			}
			return paths[r.rng.IntN(len(paths))]
		}
		switch op := r.rng.IntN(11); op {
		case 0, 1: // edit
			if p := pick(); p != "" {
				b, err := os.ReadFile(filepath.Join(r.dir, p))
				if err == nil {
					r.write(p, r.edit(string(b)), false)
					r.try("add", "--", p)
					r.ops = append(r.ops, "edit "+p)
				}
			}
		case 2: // add
			p := r.path()
			r.write(p, r.content(), false)
			r.try("add", "--", p)
			r.ops = append(r.ops, "add "+p)
		case 3: // delete
			if p := pick(); p != "" {
				r.try("rm", "-q", "--cached", "--", p)
				r.ops = append(r.ops, "rm "+p)
			}
		case 4, 5: // rename, maybe edited
			if p := pick(); p != "" {
				to := r.path()
				if _, err := r.try("mv", "-k", "--", p, to); err == nil {
					if r.rng.IntN(2) == 0 {
						if b, err := os.ReadFile(filepath.Join(r.dir, to)); err == nil {
							r.write(to, r.edit(string(b)), false)
						}
					}
					r.try("add", "--", to)
					r.ops = append(r.ops, "mv "+p+" "+to)
				}
			}
		case 6: // copy to a new path (an exact rename candidate when the source goes)
			if p := pick(); p != "" {
				to := r.path()
				if b, err := os.ReadFile(filepath.Join(r.dir, p)); err == nil {
					r.write(to, string(b), false)
					r.try("add", "--", to)
					r.ops = append(r.ops, "cp "+p+" "+to)
				}
			}
		case 7: // mode change
			if p := pick(); p != "" {
				flip := []string{"+x", "-x"}[r.rng.IntN(2)]
				r.try("update-index", "--chmod="+flip, "--", p)
				r.ops = append(r.ops, "chmod "+flip+" "+p)
			}
		case 8: // a submodule entry, or a file turned into a symbolic link
			p := r.path()
			if r.rng.IntN(2) == 0 {
				id := fmt.Sprintf("%040x", r.rng.Uint64())
				r.try("update-index", "--add", "--cacheinfo", "160000,"+id+","+p)
				r.ops = append(r.ops, "submodule "+p)
			} else if q := pick(); q != "" {
				full := filepath.Join(r.dir, filepath.FromSlash(q))
				_ = os.Remove(full)
				if os.Symlink("elsewhere", full) == nil {
					r.try("add", "--", q)
					r.ops = append(r.ops, "symlink "+q)
				}
			}
		case 9: // a conflict: stages 1 to 3
			if p := pick(); p != "" {
				id := r.git("rev-parse", ":"+p)
				info := fmt.Sprintf("0 %s\t%s\n100644 %s 1\t%s\n100644 %s 2\t%s\n100644 %s 3\t%s\n",
					strings.Repeat("0", 40), p, id, p, id, p, id, p)
				cmd := exec.Command("git", "update-index", "--index-info")
				cmd.Dir, cmd.Env, cmd.Stdin = r.dir, r.env, strings.NewReader(info)
				if out, err := cmd.CombinedOutput(); err == nil {
					r.ops = append(r.ops, "conflict "+p)
				} else {
					r.t.Logf("conflict %s: %s", p, out)
				}
			}
		default: // intended to be added
			p := r.path()
			if _, err := os.Lstat(filepath.Join(r.dir, p)); err != nil {
				r.write(p, r.content(), false)
				if _, err := r.try("add", "-N", "--", p); err == nil {
					r.ops = append(r.ops, "add -N "+p)
				}
			}
		}
	}
}

// TestDifferentialStaged builds random repositories and staged states
// (edits, additions, deletions, renames with and without edits, copies,
// mode changes, submodules, symbolic links, binary files, conflicts,
// intent-to-add entries, no HEAD yet, index versions 2 to 4, packed and
// loose objects, linked worktrees) and checks that the in-process reader
// lists exactly the changes `git diff-index --cached -M` lists and that
// scanning with either gives the same findings and events.
func TestDifferentialStaged(t *testing.T) {
	seeds := 120
	if testing.Short() {
		seeds = 30
	}
	var mu sync.Mutex
	fallbacks := map[string]int{}
	t.Run("seeds", func(t *testing.T) {
		for seed := 1; seed <= seeds; seed++ {
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				t.Parallel()
				if why := differentialCase(t, uint64(seed)); why != "" {
					mu.Lock()
					fallbacks[why]++
					mu.Unlock()
				}
			})
		}
	})
	// Ordinary repositories are read in process: a fallback here is a
	// case the reader gave up on that git reads normally.
	for why, n := range fallbacks {
		t.Errorf("%d repositories fell back to git: %s", n, why)
	}
}

func differentialCase(t *testing.T, seed uint64) (fellBack string) {
	rng := rand.New(rand.NewPCG(seed, 17))
	root := t.TempDir()
	r := &randRepo{t: t, rng: rng, dir: filepath.Join(root, "main"),
		env: append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=c", "GIT_COMMITTER_EMAIL=c@example.com",
			"GIT_AUTHOR_DATE=2020-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2020-01-01T00:00:00Z"),
		toks: []string{testkit.TokA, testkit.TokB}}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("init", "-q", "-b", "main")
	version := 2 + rng.IntN(3)
	r.git("config", "index.version", fmt.Sprint(version))
	r.ops = append(r.ops, fmt.Sprintf("index v%d", version))
	unborn := rng.IntN(8) == 0
	r.populate(3 + rng.IntN(25))
	if !unborn {
		r.git("commit", "-q", "--allow-empty", "-m", "one")
		if rng.IntN(3) == 0 {
			r.git("repack", "-adq")
			r.ops = append(r.ops, "packed")
		}
		if rng.IntN(5) == 0 {
			wt := filepath.Join(root, "wt")
			r.git("worktree", "add", "-q", "-b", "side", wt)
			r.dir = wt
			r.git("config", "index.version", fmt.Sprint(version))
			r.ops = append(r.ops, "linked worktree")
		}
		r.stage(1 + rng.IntN(8))
	}
	ctx := context.Background()
	g, err := gitplumb.Open(ctx, r.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := g.DiffStaged(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := Open(r.dir)
	var st *Store
	if err == nil {
		st, err = repo.Store()
	}
	var got *gitplumb.StagedDiff
	if err == nil {
		defer st.Close()
		got, err = st.DiffStaged("")
		if err == nil {
			err = st.Ensure(got)
		}
	}
	if errors.Is(err, ErrFallback) {
		return err.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seed %d: changes differ\nops: %s\nin process: %+v\ngit:        %+v", seed, strings.Join(r.ops, "; "), got, want)
	}
	gitFound := scanWith(t, &staged.Source{Git: g, Diff: want})
	inFound := scanWith(t, &staged.Source{Git: g, Diff: got,
		Blobs: func(context.Context) (gitplumb.Blobs, error) { return st.Blobs(), nil }})
	if !reflect.DeepEqual(gitFound, inFound) {
		t.Fatalf("seed %d: findings differ\nops: %s\nin process: %q\ngit:        %q", seed, strings.Join(r.ops, "; "), inFound, gitFound)
	}
	return ""
}

// scanWith scans s with TokRule and returns its findings and events as
// sorted lines.
func scanWith(t *testing.T, s *staged.Source) []string {
	t.Helper()
	det := detect.New(testkit.Set(t, testkit.TokRule), nil)
	ev := &recorder{}
	s.Events = ev
	var out []string
	err := s.Scan(context.Background(), func(f *detect.Fragment) error {
		fs, err := det.Detect(f)
		for _, x := range fs {
			out = append(out, fmt.Sprintf("finding %s %s:%d %s", x.Secret, x.Path, x.StartLine, x.BlobID))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, ev.lines...)
	sort.Strings(out)
	return out
}

type recorder struct{ lines []string }

func (r *recorder) Skipped(p string, why source.SkipReason) {
	r.lines = append(r.lines, fmt.Sprintf("skipped %s %s", p, why))
}
func (r *recorder) Failed(p string, err error) {
	r.lines = append(r.lines, fmt.Sprintf("failed %s %v", p, err))
}
func (r *recorder) Scanned(p string, n int64) {
	r.lines = append(r.lines, fmt.Sprintf("scanned %s %d", p, n))
}
