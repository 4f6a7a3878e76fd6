package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/report"
	"golang.org/x/term"
)

const hookUsage = `Usage: leakhound hook pre-push [REMOTE [URL]] [flags]
       leakhound hook install [--pre-push] [--force] [REPO]

Run leakhound as a git hook, or install it as one. 'leakhound hook
COMMAND --help' says more.

  pre-push   scan the commits a push sends that the remote does not have
  install    write a git hook that runs leakhound before each commit (or push)
`

const prePushUsage = `Usage: leakhound hook pre-push [REMOTE [URL]] [flags]

Scan the commits a push sends that the remote does not have yet, as a
pre-push hook; run it in the repository. Exit code 1 (findings) blocks the
push. What is pushed is read from, in this order:

  PRE_COMMIT_FROM_REF, PRE_COMMIT_TO_REF   set by the pre-commit framework:
                                           the commits reachable from TO and not FROM
  PRE_COMMIT_LOCAL_BRANCH                  set by it for a push that holds the root
                                           commit: that ref's commits on no remote-tracking branch
  PRE_COMMIT                               any other run by it: HEAD's commits on no
                                           remote-tracking branch
  standard input                           as git gives a plain pre-push hook: one line
                                           "<local ref> <local id> <remote ref> <remote id>" per ref

A remote ref that does not exist yet (id all zeros), or whose commit is not
in this repository, counts everything on a remote-tracking branch as
already pushed (--not --remotes); a deletion sends nothing. REMOTE and URL,
which git passes to a pre-push hook, are accepted and not used.
`

const installUsage = `Usage: leakhound hook install [--pre-push] [--force] [REPO]

Install a git hook in the repository REPO (default: the current one) that
runs 'leakhound git --staged' before each commit, or with --pre-push
'leakhound hook pre-push' before each push. The hook goes where git looks
for hooks: core.hooksPath if it is set, else the repository's hooks folder.
An existing hook that leakhound did not write is left alone unless --force
is given. Skip the hook once with 'git commit --no-verify' (or 'git push
--no-verify').
`

// hookMarker is in every hook script leakhound writes, so that install
// can tell its own hook (which it may update) from someone else's.
const hookMarker = "# Installed by `leakhound hook install`"

func runHook(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, hookUsage)
		return ExitError
	}
	switch args[0] {
	case "pre-push":
		return runPrePush(ctx, args[1:], env)
	case "install":
		return runHookInstall(ctx, args[1:], env)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(env.Stdout, hookUsage)
		return ExitClean
	}
	fmt.Fprintf(env.Stderr, "leakhound hook: unknown command %q\n\n%s", args[0], hookUsage)
	return ExitError
}

func runPrePush(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("hook pre-push", env)
	var f scanFlags
	f.register(fs)
	var g gitFlags
	fs.BoolVar(&g.noProgress, "no-progress", false, "no progress bar (it is only ever shown when stderr is a terminal)")
	pos, code, done := parseArgs(fs, prePushUsage, args, env)
	if done {
		return code
	}
	if len(pos) > 2 {
		fmt.Fprintf(env.Stderr, "leakhound hook pre-push: takes at most REMOTE and URL (got %d arguments); run it in the repository\n", len(pos))
		return ExitError
	}
	repo, err := gitplumb.Open(ctx, ".", "")
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound hook pre-push: %v\n", err)
		return ExitError
	}
	revs, notes, err := prePushRevs(ctx, repo, env)
	quiet := strings.EqualFold(f.logLevel, "warn") || strings.EqualFold(f.logLevel, "error")
	if !quiet {
		for _, n := range notes {
			fmt.Fprintf(env.Stderr, "leakhound: %s\n", n)
		}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound hook pre-push: %v\n", err)
		return ExitError
	}
	if len(revs) == 0 {
		if !quiet {
			fmt.Fprintln(env.Stderr, "leakhound: the push sends no commit the remote lacks: nothing to scan")
		}
		return emptyReport(f, env)
	}
	g.revs = revs
	return scan(ctx, "git", []string{"."}, f, g, env)
}

// emptyReport writes the report of a scan that had nothing to scan (an
// empty JSON array, say), so that a script reading it finds one.
func emptyReport(f scanFlags, env Env) int {
	rep, err := report.New(f.format)
	if err == nil {
		err = writeReport(f.reportPath, env.Stdout, func(w io.Writer) error {
			return rep.Write(w, nil, withTool(report.Options{}, f.format, env, nil))
		})
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	return ExitClean
}

// prePushRevs works out what a push sends (see prePushUsage) as rev-list
// arguments; every argument is an id git resolved, or --not, or --remotes.
func prePushRevs(ctx context.Context, repo *gitplumb.Git, env Env) (revs, notes []string, err error) {
	from, to := env.Getenv("PRE_COMMIT_FROM_REF"), env.Getenv("PRE_COMMIT_TO_REF")
	switch {
	case to != "":
		return rangeRevs(ctx, repo, "PRE_COMMIT_TO_REF", to, from)
	case env.Getenv("PRE_COMMIT_LOCAL_BRANCH") != "":
		return rangeRevs(ctx, repo, "PRE_COMMIT_LOCAL_BRANCH", env.Getenv("PRE_COMMIT_LOCAL_BRANCH"), "")
	case env.Getenv("PRE_COMMIT") != "":
		revs, notes, err := rangeRevs(ctx, repo, "HEAD", "HEAD", "")
		notes = append(notes, "pre-commit gave no range: scanning HEAD's commits that are on no remote-tracking branch")
		return revs, notes, err
	}
	if isTerminal(env.Stdin) {
		return nil, nil, errors.New("reads what git pushes on standard input, as a pre-push hook; " +
			"to scan a range by hand, run leakhound git --range A..B")
	}
	in := env.Stdin
	if in == nil {
		in = strings.NewReader("")
	}
	updates, err := gitplumb.ParsePushUpdates(in)
	if err != nil {
		return nil, nil, err
	}
	return repo.PushRevs(ctx, updates)
}

// rangeRevs returns the commits reachable from to and not from from, or
// when from is empty or names no commit here, not from any
// remote-tracking branch. what names to in messages.
func rangeRevs(ctx context.Context, repo *gitplumb.Git, what, to, from string) (revs, notes []string, err error) {
	ask := []string{to}
	if from != "" {
		ask = append(ask, from)
	}
	ids, err := repo.ResolveCommits(ctx, ask)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if ids[0] == "" {
		return nil, nil, fmt.Errorf("%s %q names no commit in this repository", what, clip(to))
	}
	revs = []string{ids[0], "--not"}
	switch {
	case from != "" && ids[1] != "":
		revs = append(revs, ids[1])
	case from != "":
		notes = append(notes, fmt.Sprintf("PRE_COMMIT_FROM_REF %q names no commit here: every commit on no remote-tracking branch is scanned", clip(from)))
		fallthrough
	default:
		revs = append(revs, "--remotes")
	}
	return revs, notes, nil
}

// clip makes text from the environment short and printable for a message.
func clip(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func runHookInstall(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("hook install", env)
	prePush := fs.Bool("pre-push", false, "install the pre-push hook (leakhound hook pre-push) instead of the pre-commit hook")
	force := fs.Bool("force", false, "replace an existing hook that leakhound did not write")
	pos, code, done := parseArgs(fs, installUsage, args, env)
	if done {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(env.Stderr, "leakhound hook install: takes one repository (got %d arguments)\n", len(pos))
		return ExitError
	}
	path := "."
	if len(pos) == 1 {
		path = pos[0]
	}
	name, command := "pre-commit", "git --staged"
	if *prePush {
		name, command = "pre-push", `hook pre-push "$@"`
	}
	target, err := installHook(ctx, path, name, command, *force, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound hook install: %v\n", err)
		return ExitError
	}
	skip := "git commit --no-verify"
	if *prePush {
		skip = "git push --no-verify"
	}
	fmt.Fprintf(env.Stdout, "leakhound: installed the %s hook at %s\n", name, target)
	fmt.Fprintf(env.Stdout, "It runs 'leakhound %s' and blocks on findings; skip it once with '%s'.\n",
		strings.TrimSuffix(command, ` "$@"`), skip)
	return ExitClean
}

// installHook writes the hook script name, running leakhound with
// command, into the hooks folder of the repository at path, and returns
// its path.
func installHook(ctx context.Context, path, name, command string, force bool, env Env) (string, error) {
	if _, err := gitplumb.Open(ctx, path, ""); err != nil {
		return "", err
	}
	dir, err := gitplumb.HooksDir(ctx, path, "")
	if err != nil {
		return "", err
	}
	target := filepath.Join(dir, name)
	if old, err := os.Lstat(target); err == nil {
		if !force && !(old.Mode().IsRegular() && ownHook(target)) {
			return "", fmt.Errorf("%s already exists and leakhound did not write it, so it was left unchanged; "+
				"add 'leakhound %s' to it, or run again with --force to replace it",
				target, strings.TrimSuffix(command, ` "$@"`))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("hooks folder: %w", err)
	}
	script := hookScript(leakhoundPath(env), command)
	tmp, err := os.CreateTemp(dir, "."+name+".leakhound-*")
	if err != nil {
		return "", fmt.Errorf("hooks folder: %w", err)
	}
	_, werr := tmp.WriteString(script)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o755)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), target)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("writing %s: %w", target, werr)
	}
	return target, nil
}

// ownHook reports whether the hook at path is one leakhound wrote.
func ownHook(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(fh, head)
	return bytes.Contains(head[:n], []byte(hookMarker))
}

// leakhoundPath is the absolute path of the running leakhound, for the
// hook to call, or "" when it is unknown or unfit for a shell script.
func leakhoundPath(env Env) string {
	exe := env.Executable
	if exe == nil {
		exe = os.Executable
	}
	p, err := exe()
	if err != nil || !filepath.IsAbs(p) || strings.IndexFunc(p, unicode.IsControl) >= 0 {
		return ""
	}
	return p
}

// hookScript is a POSIX shell hook that runs leakhound with command: the
// binary that installed it while it is there, else leakhound from PATH.
func hookScript(exe, command string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString(hookMarker + ": leakhound blocks a commit or push that adds a secret.\n")
	b.WriteString("# Skip it once with --no-verify. Not a secret? Put leakhound:allow in a comment on its line,\n")
	b.WriteString("# or its fingerprint in .leakhoundignore.\n")
	if exe != "" {
		b.WriteString("leakhound=" + shellQuote(exe) + "\n")
		b.WriteString("[ -x \"$leakhound\" ] || leakhound=leakhound\n")
	} else {
		b.WriteString("leakhound=leakhound\n")
	}
	b.WriteString("exec \"$leakhound\" " + command + "\n")
	return b.String()
}

// shellQuote quotes s for a POSIX shell: in single quotes, each single
// quote in s closed, escaped with a backslash and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
