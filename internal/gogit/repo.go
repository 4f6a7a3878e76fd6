// Package gogit reads what is staged in a repository in process, with
// go-git/v5: the index, HEAD's tree and the blobs a pre-commit scan needs,
// so that `leakhound git --staged` starts no git process (DESIGN §1: a
// hook costs what git's own look at the index costs).
//
// It reads only what the plumbing reader (internal/gitplumb's DiffStaged
// and cat-file) would have git read, and must answer exactly as it does.
// Wherever it cannot be sure of that it returns an error matching
// ErrFallback, saying why, before it has produced anything, and the caller
// asks git instead: a repository it cannot find the way git would (a bare
// one, one owned by another user, a git directory it does not recognise,
// a mount boundary), a repository format go-git does not read (SHA-256
// objects, reftable refs, a split or sparse index, an index extension
// go-git rejects, a repository format version or extension it does not
// know), configuration that includes other files, a HEAD it cannot peel
// to a tree, an object it cannot find, and inexact rename detection where
// attributes could change how git scores a pair.
//
// The repository is hostile input (DESIGN §8): nothing here runs a
// program, a hook, a filter, fsmonitor or a textconv driver, follows a
// configuration include or writes anything. Configuration is read only
// for the repository format, core.bare, core.worktree, core.attributesFile
// (whether it is set) and diff.renameLimit
// (and the origin remote's URL, for reports).
package gogit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/gcfg"
)

// ErrFallback is matched (errors.Is) by every error that means "ask git
// instead": the in-process reader could not be sure to answer as git
// would. The error's text says why, without any file content.
var ErrFallback = errors.New("not read in process")

// fallback is an error matching ErrFallback.
type fallback struct{ why string }

func (f *fallback) Error() string        { return f.why }
func (f *fallback) Is(target error) bool { return target == ErrFallback }

func fallbackf(format string, args ...any) error {
	return &fallback{why: fmt.Sprintf(format, args...)}
}

// Repo is a repository opened for in-process reading.
type Repo struct {
	// GitDir is the absolute git directory (a linked worktree's own one);
	// CommonDir holds objects, refs and config (equal to GitDir outside
	// linked worktrees); WorkTree is the top of the work tree.
	GitDir, CommonDir, WorkTree string
	// RenameLimit is diff.renameLimit from the repository's config as
	// gitrename.Options takes it: 0 when unset, negative for no limit.
	RenameLimit int
	// OriginURL is remote.origin.url from the repository's config.
	OriginURL string
	// AttributesFile is set when the config names a core.attributesFile.
	AttributesFile bool
}

// Open finds the repository holding path the way `git rev-parse` does
// with leakhound's safe settings (internal/gitplumb.Open): walking up from
// path (symbolic links resolved) to the first folder with a usable .git,
// a folder or a "gitdir:" file. Anything Open is not sure git would read
// the same way gives an error matching ErrFallback.
func Open(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fallbackf("%s: %v", path, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	info, err := os.Stat(abs)
	if err != nil || !info.IsDir() {
		return nil, fallbackf("%s is not a folder", path)
	}
	dev := devOf(info)
	for dir := abs; ; {
		r, found, err := openAt(dir)
		if err != nil || found {
			return r, err
		}
		if _, ok := gitDirLayout(dir); ok {
			return nil, fallbackf("%s is a bare repository", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fallbackf("no git repository at or above %s", abs)
		}
		pinfo, err := os.Stat(parent)
		if err != nil {
			return nil, fallbackf("%s: %v", parent, err)
		}
		if devOf(pinfo) != dev {
			// git stops at a mount boundary unless told otherwise.
			return nil, fallbackf("%s is on another file system", parent)
		}
		dir = parent
	}
}

// openAt opens the repository whose work tree is dir, if dir holds a
// .git; found is false when it holds none.
func openAt(dir string) (r *Repo, found bool, err error) {
	dotgit := filepath.Join(dir, ".git")
	info, err := os.Lstat(dotgit)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fallbackf("%s: %v", dotgit, err)
	}
	owned := []string{dir}
	gitDir := dotgit
	switch {
	case info.Mode().IsRegular():
		// A linked worktree or a submodule: "gitdir: <path>".
		b, err := readSmall(dotgit, 4096)
		if err != nil {
			return nil, true, fallbackf("%s: %v", dotgit, err)
		}
		target, ok := strings.CutPrefix(string(b), "gitdir: ")
		target = strings.TrimRight(target, "\r\n\t ")
		if !ok || target == "" || strings.ContainsAny(target, "\n\x00") {
			return nil, true, fallbackf("%s is not a gitdir file", dotgit)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir, target)
		}
		if real, err := filepath.EvalSymlinks(target); err == nil {
			target = real
		}
		owned = append(owned, dotgit)
		gitDir = target
	case info.IsDir():
	default:
		return nil, true, fallbackf("%s is neither a folder nor a file", dotgit)
	}
	common, ok := gitDirLayout(gitDir)
	if !ok {
		return nil, true, fallbackf("%s is not a git directory git would use", gitDir)
	}
	owned = append(owned, gitDir)
	uid := os.Geteuid()
	for _, p := range owned {
		// git refuses a repository another user owns (safe.directory);
		// the plumbing reader knows when to pass it.
		if st, err := os.Lstat(p); err != nil || ownerOf(st) != uid {
			return nil, true, fallbackf("%s is not owned by the current user", p)
		}
	}
	r = &Repo{GitDir: gitDir, CommonDir: common, WorkTree: dir}
	if err := r.readConfig(); err != nil {
		return nil, true, err
	}
	return r, true, nil
}

// gitDirLayout reports whether dir is laid out as a git directory the way
// git's is_git_directory checks it (a HEAD that names a ref or an object,
// objects/ and refs/ folders, in the common directory a "commondir" file
// names if there is one), and returns that common directory.
func gitDirLayout(dir string) (common string, ok bool) {
	common = dir
	if b, err := readSmall(filepath.Join(dir, "commondir"), 4096); err == nil {
		c := strings.TrimRight(string(b), "\r\n")
		if c == "" || strings.ContainsAny(c, "\n\x00") {
			return "", false
		}
		if !filepath.IsAbs(c) {
			c = filepath.Join(dir, c)
		}
		if real, err := filepath.EvalSymlinks(c); err == nil {
			c = real
		}
		common = c
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	for _, sub := range []string{"objects", "refs"} {
		if st, err := os.Stat(filepath.Join(common, sub)); err != nil || !st.IsDir() {
			return "", false
		}
	}
	head, err := os.Lstat(filepath.Join(dir, "HEAD"))
	if err != nil || !head.Mode().IsRegular() {
		// A symbolic-link HEAD is ancient; let git judge it.
		return "", false
	}
	b, err := readSmall(filepath.Join(dir, "HEAD"), 4096)
	if err != nil {
		return "", false
	}
	h := strings.TrimRight(string(b), "\r\n\t ")
	if ref, ok := strings.CutPrefix(h, "ref:"); ok {
		return common, strings.HasPrefix(strings.TrimLeft(ref, " \t"), "refs/")
	}
	return common, len(h) == 40 && isHex(h)
}

// readConfig reads what Repo needs from the repository's config, and
// refuses (ErrFallback) a format or a layout it cannot read as git would.
func (r *Repo) readConfig() error {
	cfg, err := readConfigFile(filepath.Join(r.CommonDir, "config"))
	if err != nil {
		return err
	}
	if v, ok := cfg["extensions.worktreeconfig"]; ok && gitBool(v) {
		wt, err := readConfigFile(filepath.Join(r.GitDir, "config.worktree"))
		if err != nil {
			return err
		}
		for k, v := range wt {
			cfg[k] = v
		}
	}
	if err := checkFormat(cfg); err != nil {
		return err
	}
	if v, ok := cfg["core.bare"]; ok && gitBool(v) {
		return fallbackf("core.bare is set")
	}
	if wt, ok := cfg["core.worktree"]; ok {
		// A submodule's git directory names its work tree so; git then
		// reads attributes there. Nothing else here uses the work tree.
		if wt == "" || strings.ContainsRune(wt, 0) {
			return fallbackf("core.worktree %q", wt)
		}
		if !filepath.IsAbs(wt) {
			wt = filepath.Join(r.GitDir, wt)
		}
		r.WorkTree = filepath.Clean(wt)
	}
	if v, ok := cfg["diff.renamelimit"]; ok {
		n, err := parseGitInt(v)
		if err != nil {
			return fallbackf("diff.renameLimit %q", v)
		}
		r.RenameLimit = n
		if n <= 0 {
			r.RenameLimit = -1 // git: 0 or less is no limit
		}
	}
	r.OriginURL = cfg["remote.origin.url"]
	_, r.AttributesFile = cfg["core.attributesfile"]
	return nil
}

// checkFormat refuses (ErrFallback) a repository format version or an
// extension in config cfg that this reader cannot honour as git would.
func checkFormat(cfg map[string]string) error {
	version := 0
	if v, ok := cfg["core.repositoryformatversion"]; ok {
		var err error
		if version, err = strconv.Atoi(v); err != nil || version < 0 || version > 1 {
			return fallbackf("repository format version %q", v)
		}
	}
	for k, v := range cfg {
		ext, ok := strings.CutPrefix(k, "extensions.")
		if !ok {
			continue
		}
		switch ext {
		case "objectformat":
			if !strings.EqualFold(v, "sha1") {
				return fallbackf("object format %q", v)
			}
		case "refstorage":
			if !strings.EqualFold(v, "files") {
				return fallbackf("ref storage %q", v)
			}
		case "worktreeconfig", "noop", "preciousobjects", "partialclone":
		default:
			if version > 0 {
				return fallbackf("repository extension %q", ext)
			}
		}
	}
	return nil
}

// readConfigFile returns the last value of each key of a git config file
// as "section.key" or "section.subsection.key" (section and key lower
// case, a key with no "=" as "true"); a missing file is empty. A file
// that includes others, or that does not parse, gives ErrFallback.
func readConfigFile(path string) (map[string]string, error) {
	cfg := map[string]string{}
	b, err := readSmall(path, 4<<20)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fallbackf("%s: %v", path, err)
	}
	include := false
	err = gcfg.ReadWithCallback(bytes.NewReader(b), func(sec, sub, key, value string, blank bool) error {
		sec = strings.ToLower(sec)
		if sec == "include" || sec == "includeif" {
			include = true
		}
		if key == "" {
			return nil
		}
		if blank {
			value = "true"
		}
		name := sec + "."
		if sub != "" {
			name += sub + "."
		}
		cfg[name+strings.ToLower(key)] = value
		return nil
	})
	if err != nil {
		return nil, fallbackf("%s does not parse", path)
	}
	if include {
		return nil, fallbackf("%s includes other files", path)
	}
	return cfg, nil
}

// gitBool is git's reading of a boolean value.
func gitBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return err == nil && n != 0
}

// parseGitInt reads an integer with git's k/m/g suffixes.
func parseGitInt(v string) (int, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	mult := 1
	switch {
	case strings.HasSuffix(v, "k"):
		mult, v = 1<<10, strings.TrimSuffix(v, "k")
	case strings.HasSuffix(v, "m"):
		mult, v = 1<<20, strings.TrimSuffix(v, "m")
	case strings.HasSuffix(v, "g"):
		mult, v = 1<<30, strings.TrimSuffix(v, "g")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n > (1<<31-1)/mult || n < -(1<<31)/mult {
		return 0, fmt.Errorf("not an integer: %q", v)
	}
	return n * mult, nil
}

// readSmall reads a file of at most max bytes.
func readSmall(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return b, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
