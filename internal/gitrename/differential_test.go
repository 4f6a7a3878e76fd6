package gitrename

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

var (
	flagSeed  = flag.Uint64("gitrename.seed", 1, "first seed of the differential test against git")
	flagCases = flag.Int("gitrename.cases", 250, "number of random cases of the differential test")
	flagOne   = flag.Bool("gitrename.one", false, "run only the case of -gitrename.seed")
)

// The differential test builds every case's two trees in one repository
// with one fast-import, then, per case, reads the new tree into an index
// of its own and compares `git diff-index --cached -M` against the old
// tree with Detect and Order.
func TestDifferentialAgainstGit(t *testing.T) {
	n := *flagCases
	if testing.Short() {
		n = 60
	}
	if *flagOne {
		n = 1
	}
	cases := make([]*gcase, n)
	for i := range cases {
		cases[i] = genCase(*flagSeed + uint64(i))
	}
	stats := runCases(t, cases)
	t.Logf("%d cases from seed %d: %d git runs, %d renames (%d exact, %d inexact), %d cases over the rename limit",
		n, *flagSeed, stats.runs.Load(), stats.renames.Load(), stats.exact.Load(), stats.renames.Load()-stats.exact.Load(), stats.limited.Load())
}

// TestHandCasesAgainstGit runs the cases of handCases through git.
func TestHandCasesAgainstGit(t *testing.T) {
	runCases(t, handCases())
}

func runCases(t *testing.T, cases []*gcase) *diffStats {
	repo := newGitRepo(t)
	repo.importCases(t, cases)
	stats := &diffStats{}
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				repo.check(t, c, stats)
			})
		}
	})
	return stats
}

// gitRepo is a repository in a temporary folder, with attributes that
// make *.bin and *.dat binary and *.txtx text whatever their content.
type gitRepo struct {
	dir string
	env []string
}

// attributes mirrors the repository's info/attributes and diff.plain.binary.
func attributes(path string) BinaryMode {
	switch {
	case strings.HasSuffix(path, ".bin"), strings.HasSuffix(path, ".dat"):
		return Binary
	case strings.HasSuffix(path, ".txtx"):
		return Text
	}
	return ByContent
}

func newGitRepo(t testing.TB) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &gitRepo{dir: t.TempDir()}
	r.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + r.dir, "LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_AUTHOR_DATE=2020-01-01T00:00:00+00:00",
		"GIT_COMMITTER_NAME=Cy Committer", "GIT_COMMITTER_EMAIL=cy@example.com", "GIT_COMMITTER_DATE=2020-01-01T00:00:00+00:00",
	}
	r.run(t, nil, nil, "init", "-q", "-b", "main")
	r.run(t, nil, nil, "config", "diff.plain.binary", "false")
	attrs := "*.bin -diff\n*.dat binary\n*.txtx diff=plain\n"
	if err := os.WriteFile(filepath.Join(r.dir, ".git", "info", "attributes"), []byte(attrs), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *gitRepo) run(t testing.TB, env []string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "core.useReplaceRefs=false"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(slices.Clip(r.env), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// importCases writes every case's old and new trees as the commits
// refs/heads/<name>-old and refs/heads/<name>-new.
func (r *gitRepo) importCases(t testing.TB, cases []*gcase) {
	var b bytes.Buffer
	marks := map[string]int{}
	blob := func(e entry) string {
		if e.mode == modeGitlink {
			return e.id
		}
		m, ok := marks[e.id]
		if !ok {
			m = len(marks) + 1
			marks[e.id] = m
			fmt.Fprintf(&b, "blob\nmark :%d\ndata %d\n", m, len(e.data))
			b.Write(e.data)
			b.WriteByte('\n')
		}
		return fmt.Sprintf(":%d", m)
	}
	tree := func(ref string, files map[string]entry) {
		var lines []string
		for _, p := range sortedPaths(files) {
			e := files[p]
			lines = append(lines, fmt.Sprintf("M %06o %s %s\n", e.mode, blob(e), p))
		}
		fmt.Fprintf(&b, "commit %s\ncommitter Cy <cy@example.com> 1577836800 +0000\ndata 0\n%s\n", ref, strings.Join(lines, ""))
	}
	for _, c := range cases {
		tree("refs/heads/"+c.name+"-old", c.old)
		tree("refs/heads/"+c.name+"-new", c.new)
	}
	// Neither compression nor deltas: the pack is written and read faster.
	r.run(t, nil, b.Bytes(), "-c", "core.compression=0", "-c", "pack.compression=0", "fast-import", "--quiet", "--depth=0")
}

type diffStats struct {
	runs, renames, exact, limited atomic.Int64
}

// check compares git and Detect on one case, and again at the exact score
// of one inexact rename and one above it, which pins scores to the unit.
func (r *gitRepo) check(t *testing.T, c *gcase, stats *diffStats) {
	idx := filepath.Join(t.TempDir(), "index")
	env := []string{"GIT_INDEX_FILE=" + idx}
	r.run(t, env, nil, "read-tree", c.name+"-new")
	res := r.compare(t, c, env, c.mArg, stats)
	stats.renames.Add(int64(len(res.Pairs)))
	for _, p := range res.Pairs {
		if p.Score == MaxScore {
			stats.exact.Add(1)
		}
	}
	if res.NeededLimit > 0 {
		stats.limited.Add(1)
	}
	for _, p := range res.Pairs {
		if p.Score < MaxScore && p.Score > 0 {
			r.compare(t, c, env, scoreArg(t, p.Score), stats)
			r.compare(t, c, env, scoreArg(t, p.Score+1), stats)
			break
		}
	}
}

// scoreArg returns a -M value that parse_rename_score turns into score.
func scoreArg(t *testing.T, score int) string {
	for num := score * 5 / 3; num <= score*5/3+2; num++ {
		arg := fmt.Sprintf(".%05d", num)
		if s, err := ParseScore(arg); err == nil && s == score {
			return arg
		}
	}
	t.Fatalf("no -M value gives score %d", score)
	return ""
}

func (r *gitRepo) compare(t *testing.T, c *gcase, env []string, mArg string, stats *diffStats) Result {
	t.Helper()
	args := []string{"diff-index", "--cached", "-z", "--raw", "--no-abbrev", "-M" + mArg}
	if c.limit != 0 {
		args = append(args, fmt.Sprintf("-l%d", max(c.limit, 0)))
	}
	args = append(args, c.name+"-old")
	want := parseRaw(t, r.run(t, env, nil, args...))
	stats.runs.Add(1)

	minScore, err := ParseScore(mArg)
	if err != nil {
		t.Fatal(err)
	}
	deleted, added, others := c.changes()
	blobs := c.blobs()
	opt := Options{
		MinScore:    minScore,
		RenameLimit: c.limit, // -1 for -l0
		Load: func(id string) ([]byte, error) {
			b, ok := blobs[id]
			if !ok {
				return nil, fmt.Errorf("no blob %s", id)
			}
			return b, nil
		},
		Binary: attributes,
	}
	if c.seed%2 == 0 { // half the cases give sizes apart from contents
		opt.Size = func(id string) (int64, error) { return int64(len(blobs[id])), nil }
	}
	res, err := Detect(deleted, added, opt)
	if err != nil {
		t.Fatalf("%s: %v", c.rerun(), err)
	}
	got := c.render(deleted, added, others, res)
	if !slices.Equal(got, want) {
		t.Errorf("%s, git %s:\n%s\ngot:\n  %s\nwant (git):\n  %s",
			c.rerun(), strings.Join(args, " "), c.describe(), strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	return res
}

// parseRaw turns -z --raw output into one string per record.
func parseRaw(t *testing.T, out []byte) []string {
	var recs []string
	fields := strings.Split(string(out), "\x00")
	for i := 0; i < len(fields)-1; {
		meta := strings.Fields(strings.TrimPrefix(fields[i], ":"))
		if len(meta) != 5 {
			t.Fatalf("bad raw record %q", fields[i])
		}
		rec := fmt.Sprintf("%s %s %s %s", meta[4], meta[0], meta[1], fields[i+1])
		i += 2
		if meta[4][0] == 'R' || meta[4][0] == 'C' {
			rec += " -> " + fields[i]
			i++
		}
		recs = append(recs, rec)
	}
	return recs
}

// render writes what Detect and Order say in parseRaw's form.
func (c *gcase) render(deleted, added []File, others []string, res Result) []string {
	var recs []string
	for _, e := range Order(deleted, added, others, res.Pairs) {
		switch e.Kind {
		case Other:
			p := others[e.Index]
			o, n := c.old[p], c.new[p]
			status := "M"
			if o.mode&modeTypeMask != n.mode&modeTypeMask {
				status = "T"
			}
			recs = append(recs, fmt.Sprintf("%s %06o %06o %s", status, o.mode, n.mode, p))
		case Deleted:
			f := deleted[e.Index]
			recs = append(recs, fmt.Sprintf("D %06o 000000 %s", f.Mode, f.Path))
		case Added:
			f := added[e.Index]
			recs = append(recs, fmt.Sprintf("A 000000 %06o %s", f.Mode, f.Path))
		case Renamed:
			s, d := deleted[e.Src], added[e.Index]
			recs = append(recs, fmt.Sprintf("R%03d %06o %06o %s -> %s", Percent(e.Score), s.Mode, d.Mode, s.Path, d.Path))
		}
	}
	return recs
}

const (
	modeFile    = 0o100644
	modeExec    = 0o100755
	modeSymlink = 0o120000
	modeGitlink = 0o160000
)

type entry struct {
	mode uint32
	data []byte
	id   string
}

func blobEntry(mode uint32, data []byte) entry {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return entry{mode: mode, data: data, id: hex.EncodeToString(h.Sum(nil))}
}

// gcase is one case: an old tree, a new one, and git's options.
type gcase struct {
	name     string // refs/heads/<name>-old and -new
	seed     uint64 // of a random case, 0 for a hand-made one
	old, new map[string]entry
	mArg     string // value of -M
	limit    int    // -l: 0 none, negative -l0
	notes    []string
}

func (c *gcase) changes() (deleted, added []File, others []string) {
	for _, p := range sortedPaths(c.old) {
		o := c.old[p]
		n, ok := c.new[p]
		switch {
		case !ok:
			deleted = append(deleted, File{Path: p, Mode: o.mode, ID: o.id})
		case n.mode != o.mode || n.id != o.id:
			others = append(others, p)
		}
	}
	for _, p := range sortedPaths(c.new) {
		if _, ok := c.old[p]; !ok {
			n := c.new[p]
			added = append(added, File{Path: p, Mode: n.mode, ID: n.id})
		}
	}
	// Detect and Order must not depend on the order of their input.
	rng := rand.New(rand.NewPCG(c.seed, 7))
	rng.Shuffle(len(deleted), func(i, j int) { deleted[i], deleted[j] = deleted[j], deleted[i] })
	rng.Shuffle(len(added), func(i, j int) { added[i], added[j] = added[j], added[i] })
	return deleted, added, others
}

// rerun says how to run the case alone.
func (c *gcase) rerun() string {
	if c.seed == 0 {
		return "hand case " + c.name
	}
	return fmt.Sprintf("seed %d (rerun: go test ./internal/gitrename -run Differential -gitrename.one -gitrename.seed=%d)", c.seed, c.seed)
}

func (c *gcase) blobs() map[string][]byte {
	m := map[string][]byte{}
	for _, t := range []map[string]entry{c.old, c.new} {
		for _, e := range t {
			if e.mode != modeGitlink {
				m[e.id] = e.data
			}
		}
	}
	return m
}

func (c *gcase) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "-M%s -l%d\n", c.mArg, c.limit)
	for _, n := range c.notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	return b.String()
}

func sortedPaths(m map[string]entry) []string {
	ps := make([]string, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// fits reports whether path can join tree without a file/folder clash.
func fits(tree map[string]entry, path string) bool {
	if _, ok := tree[path]; ok {
		return false
	}
	for i := range len(path) {
		if path[i] == '/' {
			if _, ok := tree[path[:i]]; ok {
				return false
			}
		}
	}
	for p := range tree {
		if strings.HasPrefix(p, path+"/") {
			return false
		}
	}
	return true
}
