package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Repo is one row of the repository list.
type Repo struct {
	ID     string // CredData's short repository id (the meta file's name)
	Name   string // owner/name on GitHub
	Commit string
}

func readRepos(file string) ([]Repo, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var repos []Repo
	var errs []error
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 && len(f) > 0 && f[0] == "repo_id" {
			continue
		}
		if len(f) < 3 || len(f[2]) != 40 || !strings.Contains(f[1], "/") {
			errs = append(errs, fmt.Errorf("%s:%d: want repo_id, owner/name, commit", file, i+1))
			continue
		}
		repos = append(repos, Repo{ID: f[0], Name: f[1], Commit: f[2]})
	}
	if len(repos) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: no repositories", file))
	}
	return repos, errors.Join(errs...)
}

func rebuildCmd(args []string) error {
	fs := flag.NewFlagSet("rebuild", flag.ExitOnError)
	credData := fs.String("creddata", "", "a checkout of Samsung/CredData (meta/, obfuscate_creds.py)")
	reposFile := fs.String("repos", "", "tab-separated list: repo_id, owner/name, commit")
	mirror := fs.String("mirror", "", "folder of local git directories (owner+name/repo, owner+name.git or owner/name)")
	out := fs.String("out", "", "output folder (data/ and meta/ are written there)")
	raw := fs.Bool("raw", false, "keep the real values: skip CredData's obfuscation")
	fs.Parse(args)
	if *credData == "" || *reposFile == "" || *out == "" {
		return errors.New("rebuild needs -creddata, -repos and -out")
	}
	repos, err := readRepos(*reposFile)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(*out, "data")); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(*out, "meta")); err != nil {
		return err
	}
	var errs []error
	files, labels, absent := 0, 0, 0
	for _, r := range repos {
		st, err := rebuildRepo(r, *credData, *mirror, *out)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", r.Name, r.ID, err))
			continue
		}
		files += st.files
		labels += st.labels
		absent += st.absentLabels
		if st.absentFiles > 0 {
			fmt.Fprintf(os.Stderr, "%s: %d labeled files absent at %s (%d labels left out): %s\n",
				r.Name, st.absentFiles, r.Commit[:12], st.absentLabels, strings.Join(st.absentPaths, ", "))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "rebuilt %d files holding %d labels from %d repositories (%d labels left out)\n",
		files, labels, len(repos), absent)
	if *raw {
		return nil
	}
	return obfuscate(*credData, *out)
}

type rebuildStats struct {
	files, labels, absentFiles, absentLabels int
	absentPaths                              []string
}

// rebuildRepo writes the labeled files of one repository and their labels.
func rebuildRepo(r Repo, credData, mirror, out string) (rebuildStats, error) {
	var st rebuildStats
	labels, err := readMeta(filepath.Join(credData, "meta", r.ID+".csv"))
	if err != nil {
		return st, err
	}
	want := map[string]string{} // file id -> meta path
	for _, l := range labels {
		clean := path.Clean(l.Path)
		if !strings.HasPrefix(clean, "data/"+r.ID+"/") || clean != l.Path {
			return st, fmt.Errorf("label %d: unexpected path %q", l.ID, l.Path)
		}
		if p, ok := want[l.FileID]; ok && p != l.Path {
			return st, fmt.Errorf("file id %s names both %s and %s", l.FileID, p, l.Path)
		}
		want[l.FileID] = l.Path
	}
	gitDir, err := findRepo(r, mirror, out)
	if err != nil {
		return st, err
	}
	tree, err := git(gitDir, nil, "ls-tree", "-r", "-z", "--full-tree", r.Commit)
	if err != nil {
		return st, err
	}
	type entry struct{ id, blob, dst string }
	var todo []entry
	found := map[string]bool{}
	for _, rec := range bytes.Split(tree, []byte{0}) {
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		if !ok {
			continue
		}
		f := strings.Fields(string(meta))
		if len(f) != 3 || f[1] != "blob" || f[0] == "120000" {
			continue // submodules and symbolic links, which download_data.py skips too
		}
		sum := sha256.Sum256(name)
		id := hex.EncodeToString(sum[:])[:8]
		if dst, ok := want[id]; ok {
			todo = append(todo, entry{id, f[2], dst})
			found[id] = true
		}
	}
	blobs, err := readBlobs(gitDir, func(yield func(string) bool) {
		for _, e := range todo {
			if !yield(e.blob) {
				return
			}
		}
	})
	if err != nil {
		return st, err
	}
	for i, e := range todo {
		if blobs[i] == nil {
			found[e.id] = false
			continue
		}
		dst := filepath.Join(out, filepath.FromSlash(e.dst))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return st, err
		}
		if err := os.WriteFile(dst, blobs[i], 0o644); err != nil {
			return st, err
		}
	}
	var kept []Label
	for _, l := range labels {
		if found[l.FileID] {
			kept = append(kept, l)
			continue
		}
		st.absentLabels++
	}
	for id, p := range want {
		if !found[id] {
			st.absentFiles++
			st.absentPaths = append(st.absentPaths, p)
		}
	}
	st.files, st.labels = len(want)-st.absentFiles, len(kept)
	return st, writeMeta(filepath.Join(out, "meta", r.ID+".csv"), kept)
}

// findRepo returns a git directory holding the repository's commit: a local
// one under mirror, else a shallow fetch of that commit into out/repos.
func findRepo(r Repo, mirror, out string) (string, error) {
	owner, name, _ := strings.Cut(r.Name, "/")
	if mirror != "" {
		for _, c := range []string{
			filepath.Join(mirror, owner+"+"+name, "repo"),
			filepath.Join(mirror, owner+"+"+name+".git"),
			filepath.Join(mirror, owner, name),
			filepath.Join(mirror, owner, name+".git"),
		} {
			if _, err := git(c, nil, "cat-file", "-e", r.Commit+"^{commit}"); err == nil {
				return c, nil
			}
		}
	}
	dir := filepath.Join(out, "repos", r.ID+".git")
	if _, err := git(dir, nil, "cat-file", "-e", r.Commit+"^{commit}"); err == nil {
		return dir, nil
	}
	fmt.Fprintf(os.Stderr, "fetching %s at %s from GitHub\n", r.Name, r.Commit[:12])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if _, err := git(dir, nil, "init", "--bare", "-q"); err != nil {
		return "", err
	}
	if _, err := git(dir, nil, "fetch", "-q", "--depth", "1", "https://github.com/"+r.Name, r.Commit); err != nil {
		return "", err
	}
	return dir, nil
}

// git runs git on a git directory with the repository's own config
// and hooks out of the way.
func git(gitDir string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"--git-dir", gitDir, "-c", "core.fsmonitor=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return b, nil
}

// readBlobs reads blobs through one git cat-file --batch; a blob the
// repository lacks comes back nil.
func readBlobs(gitDir string, ids func(func(string) bool)) ([][]byte, error) {
	var in bytes.Buffer
	n := 0
	for id := range ids {
		in.WriteString(id + "\n")
		n++
	}
	outb, err := git(gitDir, &in, "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(bytes.NewReader(outb))
	blobs := make([][]byte, 0, n)
	for range n {
		header, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("cat-file: %w", err)
		}
		f := strings.Fields(header)
		if len(f) == 2 && f[1] == "missing" {
			blobs = append(blobs, nil) // a snapshot without its large files
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("cat-file: %s", strings.TrimSpace(header))
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("cat-file: %s", strings.TrimSpace(header))
		}
		b := make([]byte, size+1)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("cat-file: %w", err)
		}
		blobs = append(blobs, b[:size])
	}
	return blobs, nil
}

// base62Shim stands in for the pybase62 package, which obfuscate_creds.py
// imports for the checksum of GitHub and npm tokens: encodebytes as
// pybase62 defines it.
const base62Shim = `CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
def encode(n, charset=CHARSET):
    chs = []
    while n > 0:
        n, r = divmod(n, 62)
        chs.insert(0, charset[r])
    return "".join(chs) or "0"
def encodebytes(barray, charset=CHARSET):
    zeros = 0
    for b in barray:
        if b != 0:
            break
        zeros += 1
    n, r = divmod(zeros, len(charset) - 1)
    pad = ("0" + charset[-1]) * n + (("0" + charset[r]) if r else "")
    if zeros == len(barray):
        return pad
    return pad + encode(int.from_bytes(barray, "big"), charset)
`

// obfuscate runs CredData's obfuscate_creds.py over out, as
// download_data.py does after copying the files.
func obfuscate(credData, out string) error {
	shim := filepath.Join(out, ".pyshim")
	if err := os.MkdirAll(shim, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(shim, "base62.py"), []byte(base62Shim), 0o644); err != nil {
		return err
	}
	abs, err := filepath.Abs(credData)
	if err != nil {
		return err
	}
	script := fmt.Sprintf("import sys; sys.path[:0] = [%q, %q]\n"+
		"from obfuscate_creds import obfuscate_creds\nobfuscate_creds('meta', 'data', 0)\n", shim, abs)
	cmd := exec.Command("python3", "-c", script)
	cmd.Dir = out
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("obfuscate_creds.py: %v\n%s", err, lastLines(log.String(), 20))
	}
	fmt.Fprintln(os.Stderr, "obfuscated the labeled values with CredData's obfuscate_creds.py")
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
