// Package gitplumb runs git's plumbing and reads what it prints, streamed:
// rev-list, diff-tree --stdin, cat-file --batch (object by object, or every
// object in pack order), diff-index for what is staged, and the refs a push
// sends. docs/git-history-measurements.md measured these as the fastest way
// to get what each commit introduced (DESIGN §3). The sources built on it
// (internal/history, internal/staged) decide what to read; gitplumb only
// answers, and never looks at content.
//
// The repository is hostile input (DESIGN §8). Every git process runs with
// an environment stripped of the user's GIT_* variables, with no system or
// global configuration, no replace objects, no optional locks, no lazy
// fetching, no prompts, protocol.allow=never, core.fsmonitor=false and
// hooks pointed at /dev/null, and only plumbing that never runs a diff
// driver, textconv filter or hook is used. gitplumb never writes to the
// repository and never runs anything the repository's configuration names.
package gitplumb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// safeEnv is added to every git process's environment. See
// docs/git-history-measurements.md, "Running git safely".
var safeEnv = [...]string{
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_ATTR_NOSYSTEM=1",
	"GIT_TERMINAL_PROMPT=0",
	"GIT_NO_REPLACE_OBJECTS=1",
	"GIT_OPTIONAL_LOCKS=0",
	"GIT_NO_LAZY_FETCH=1",
	"GIT_ASKPASS=/bin/false",
	"SSH_ASKPASS=/bin/false",
	"GIT_PAGER=cat",
}

// safeArgs come before the subcommand of every git invocation. The -c
// settings override anything in the repository's own config.
var safeArgs = [...]string{
	"-c", "protocol.allow=never",
	"-c", "core.fsmonitor=false",
	"-c", "core.hooksPath=/dev/null",
	"-c", "core.useReplaceRefs=false",
	"--no-replace-objects",
}

// Env returns environ without any GIT_* variable (GIT_DIR, GIT_WORK_TREE,
// GIT_INDEX_FILE, GIT_EXTERNAL_DIFF, GIT_CONFIG_PARAMETERS, ...) and with
// the safe settings added.
func Env(environ []string) []string {
	out := make([]string, 0, len(environ)+len(safeEnv))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "GIT_") {
			out = append(out, kv)
		}
	}
	return append(out, safeEnv[:]...)
}

// Git runs git plumbing on one repository. Its fields are set by Open; a
// Git is immutable and safe for concurrent use.
type Git struct {
	// Dir is the absolute path of the git directory (for a work tree, its
	// .git folder; for a linked worktree, its private git directory).
	Dir string
	// Bin is the git executable; empty means "git" found on PATH.
	Bin string
}

func (g *Git) bin() string {
	if g.Bin == "" {
		return "git"
	}
	return g.Bin
}

// Command returns a git command for args run on g's repository with the
// safe environment and options. Its stdin, stdout and stderr are unset.
// The process is killed when ctx is done.
func (g *Git) Command(ctx context.Context, args ...string) *exec.Cmd {
	full := make([]string, 0, len(safeArgs)+1+len(args))
	full = append(full, safeArgs[:]...)
	full = append(full, "--git-dir="+g.Dir)
	full = append(full, args...)
	return command(ctx, g.bin(), full)
}

func command(ctx context.Context, bin string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = Env(os.Environ())
	// The work tree is never used; run outside it so that nothing in it
	// (a .git file, attributes) is picked up by accident.
	cmd.Dir = os.TempDir()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Open resolves the git directory of path, which may be a work tree (or
// a folder inside one), a bare repository or a linked worktree, by running
// `git rev-parse --absolute-git-dir` in it with the safe environment. bin
// is the git executable; empty means "git". A relative path is taken from
// the current directory (git itself runs elsewhere, see command).
//
// A repository owned by another user (a CI checkout, a mounted volume) is
// scanned when path names its top-level folder (or, for a bare one, its
// git directory): Open passes -c safe.directory=<that folder, absolute,
// symbolic links resolved>; git takes safe.directory from the command line
// (or system or global config), never from the repository's own. git's
// ownership check exists so that nobody
// else's configuration gets to run commands as you; every git process here
// runs with that configuration's commands disabled (see the package doc:
// hooks, fsmonitor, drivers, filters, pagers, protocols and lazy fetches
// are all off, and only plumbing that runs none of them is used), so
// reading it is harmless. The exception names only the folder the user
// asked for, never '*' nor a parent: a repository found by walking up from
// a folder that is not one (a /tmp/.git planted by another user, the case
// the check was made for) is still refused. Later commands pass the git
// directory explicitly, which git does not check.
func Open(ctx context.Context, path, bin string) (*Git, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s does not exist", path)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	case !info.IsDir():
		return nil, fmt.Errorf("%s is not a folder, so not a git repository", path)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	g := &Git{Bin: bin}
	args := append(append([]string{}, safeArgs[:]...),
		"-c", "safe.directory="+abs, "-C", abs, "rev-parse", "--absolute-git-dir", "--show-cdup")
	cmd := command(ctx, g.bin(), args)
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if other, ok := dubiousOwnership(stderr.String()); ok {
			return nil, fmt.Errorf("%s: git refuses the repository at %s, which another user owns; "+
				"leakhound scans such a repository only when given its top-level folder", path, other)
		}
		if looksLikeRepository(abs) {
			return nil, fmt.Errorf("%s looks like a git repository but git cannot open it (damaged?): %w", path, stderr.Wrap(err))
		}
		return nil, fmt.Errorf("%s is not a git repository: %w", path, stderr.Wrap(err))
	}
	// The git directory, then (in a work tree) the way up to its top.
	dir, cdup, _ := strings.Cut(strings.TrimRight(string(out), "\r\n"), "\n")
	g.Dir = strings.TrimRight(dir, "\r")
	if g.Dir == "" {
		return nil, fmt.Errorf("%s: git rev-parse printed no git directory", path)
	}
	if strings.TrimSpace(cdup) != "" && looksLikeRepository(abs) {
		// git walked up past a .git it could not use: scanning the
		// repository around it would be scanning something else.
		return nil, fmt.Errorf("%s looks like a git repository but git cannot open it (damaged?); git found %s above it instead", path, g.Dir)
	}
	return g, nil
}

// looksLikeRepository reports whether dir holds a .git or is laid out as
// a bare repository, so that git refusing it means damage, not a mistake
// in the path.
func looksLikeRepository(dir string) bool {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return true
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// dubiousOwnership returns the repository git named when it refused one
// owned by another user ("detected dubious ownership in repository at
// '<path>'", git 2.35.2 and later).
func dubiousOwnership(stderr string) (string, bool) {
	const marker = "dubious ownership in repository at '"
	i := strings.Index(stderr, marker)
	if i < 0 {
		return "", false
	}
	rest := stderr[i+len(marker):]
	if j := strings.IndexByte(rest, '\''); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

// Stderr keeps the last few KiB a git process wrote to stderr, for errors.
// git's stderr names objects and refs, never file content.
type Stderr struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 2 << 10

func (t *Stderr) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailMax; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *Stderr) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// Wrap adds what git said to err.
func (t *Stderr) Wrap(err error) error {
	if err == nil {
		return nil
	}
	if s := t.String(); s != "" {
		return fmt.Errorf("%w: %s", err, s)
	}
	return err
}

// validID reports whether s is a full hexadecimal object id (SHA-1 or
// SHA-256). Ids are checked before they are written to a --stdin or
// --batch request so that no input can inject a second request.
func validID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// IsZero reports whether id is the all-zero id git prints for "no object".
func IsZero(id string) bool {
	return id != "" && strings.Trim(id, "0") == ""
}

// HasBlob reports whether the side is a regular file with content: a
// blob worth comparing a new version with.
func (s Side) HasBlob() bool { return s.Mode.Regular() && !IsZero(s.Blob) }

var errClosed = errors.New("gitplumb: closed")

// startPiped starts a long-running git command with a pipe to its stdin and
// its stdout on an os.Pipe raised to pipeSize (a 64 KiB pipe doubled the
// system time of a history scan), and returns both ends.
func startPiped(cmd *exec.Cmd) (io.WriteCloser, *os.File, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		stdin.Close()
		return nil, nil, err
	}
	setPipeSize(r, pipeSize)
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		stdin.Close()
		r.Close()
		w.Close()
		return nil, nil, err
	}
	w.Close() // the child holds its own copy
	return stdin, r, nil
}

// Origin describes where the repository came from, for reports that link
// results to it (SARIF's versionControlProvenance): origin's URL without
// any credentials, HEAD's commit and branch. Each is empty when unknown;
// a URL that is not an absolute URI once credentials are gone is dropped.
func (g *Git) Origin(ctx context.Context) (uri, revision, branch string) {
	out := func(args ...string) string {
		b, err := g.Command(ctx, args...).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	uri = cleanRemoteURL(out("config", "--get", "remote.origin.url"))
	revision = out("rev-parse", "-q", "--verify", "HEAD")
	branch = out("symbolic-ref", "-q", "--short", "HEAD")
	return uri, revision, branch
}

// CleanRemoteURL is what Origin reports for a remote URL raw (see
// cleanRemoteURL), for readers that find the URL themselves.
func CleanRemoteURL(raw string) string { return cleanRemoteURL(raw) }

// cleanRemoteURL turns a remote URL into an absolute URI without user
// information (remote URLs often carry tokens): scp-like "git@host:path"
// becomes "ssh://host/path". Anything else (a local path) gives "".
func cleanRemoteURL(raw string) string {
	if raw == "" || strings.ContainsAny(raw, " \t\r\n") {
		return ""
	}
	if !strings.Contains(raw, "://") {
		at := strings.LastIndexByte(raw, '@')
		hostPath := raw[at+1:]
		host, path, ok := strings.Cut(hostPath, ":")
		if !ok || host == "" || strings.Contains(host, "/") {
			return ""
		}
		raw = "ssh://" + host + "/" + strings.TrimPrefix(path, "/")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Scheme == "file" {
		return ""
	}
	u.User = nil
	return u.String()
}
