package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// runGitleaksCommand runs gitleaks' older commands, which CI scripts
// written for gitleaks still call: `detect` (history, or a folder with
// --no-git, or stdin with --pipe) and `protect` (staged changes). It says
// which leakhound command it ran, then runs it with the other flags,
// which leakhound shares with gitleaks.
func runGitleaksCommand(ctx context.Context, cmd string, args []string, env Env) int {
	g, err := parseGitleaksArgs(cmd, args, env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound %s: %v\n", cmd, err)
		return ExitError
	}
	out, err := g.command()
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound %s: %v\n", cmd, err)
		return ExitError
	}
	fmt.Fprintf(env.Stderr, "leakhound: `%s` is gitleaks' older command; running `leakhound %s` (see docs/migrating-from-gitleaks.md)\n",
		cmd, strings.Join(out, " "))
	return Run(ctx, out, env)
}

// gitleaksArgs is what a gitleaks detect or protect command line asks for.
type gitleaksArgs struct {
	kind, source string // the leakhound scan (git, dir, stdin) and what it reads
	staged       bool
	logOpts      string   // --log-opts, for a history scan
	rest         []string // arguments passed on as they are
}

// parseGitleaksArgs reads gitleaks' flags for cmd; those with no
// equivalent are named on warn and ignored.
func parseGitleaksArgs(cmd string, args []string, warn io.Writer) (gitleaksArgs, error) {
	g := gitleaksArgs{kind: "git", source: ".", staged: cmd == "protect"}
	value := func(i *int, name string) (string, bool) {
		a := args[*i]
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
		if *i+1 < len(args) {
			*i++
			return args[*i], true
		}
		return "", false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
			g.rest = append(g.rest, a)
		case name == "source" || name == "s":
			v, ok := value(&i, a[:strings.IndexByte(a+"=", '=')])
			if !ok {
				return g, fmt.Errorf("%s needs a path", a)
			}
			g.source = v
		case name == "no-git":
			g.kind = "dir"
		case name == "pipe":
			g.kind = "stdin"
		case name == "staged" || name == "pre-commit":
			g.staged = true
		case name == "log-opts":
			v, ok := value(&i, a[:strings.IndexByte(a+"=", '=')])
			if !ok {
				return g, errors.New("--log-opts needs a value")
			}
			g.logOpts = v
		case name == "follow-symlinks":
			return g, errors.New("--follow-symlinks is not supported: leakhound never follows a symbolic link (it could leave the tree or loop)")
		case name == "platform" || name == "timeout" || name == "diagnostics" || name == "diagnostics-dir" || name == "max-archive-depth":
			if !strings.Contains(a, "=") && i+1 < len(args) {
				i++
			}
			fmt.Fprintf(warn, "leakhound %s: %s has no equivalent and is ignored\n", cmd, a)
		default:
			g.rest = append(g.rest, a)
		}
	}
	return g, nil
}

// command returns the leakhound command line g asks for.
func (g gitleaksArgs) command() ([]string, error) {
	out := []string{g.kind}
	switch {
	case g.kind == "stdin":
	case g.staged:
		out = append(out, g.source, "--staged")
	default:
		out = append(out, g.source)
	}
	if g.logOpts != "" {
		extra, err := logOptsArgs(g.logOpts)
		if err != nil || g.kind != "git" || g.staged {
			if err == nil {
				err = fmt.Errorf("--log-opts applies to history scans only")
			}
			return nil, err
		}
		out = append(out, extra...)
	}
	return append(out, g.rest...), nil
}

// logOptsArgs maps the git log options gitleaks scripts pass
// (--log-opts) to leakhound's history flags: a range A..B, --since,
// --until, --all (the default). Anything else is refused rather than
// silently scanning a different history.
func logOptsArgs(opts string) ([]string, error) {
	var out []string
	fields := strings.Fields(opts)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		switch {
		case f == "--all":
		case strings.Contains(f, "..") && !strings.HasPrefix(f, "-"):
			out = append(out, "--range", f)
		case strings.HasPrefix(f, "--since=") || strings.HasPrefix(f, "--after="):
			out = append(out, "--since", f[strings.IndexByte(f, '=')+1:])
		case strings.HasPrefix(f, "--until=") || strings.HasPrefix(f, "--before="):
			out = append(out, "--until", f[strings.IndexByte(f, '=')+1:])
		case (f == "--since" || f == "--until") && i+1 < len(fields):
			out = append(out, f, fields[i+1])
			i++
		case !strings.HasPrefix(f, "-"):
			out = append(out, "--branch", f)
		default:
			return nil, fmt.Errorf("--log-opts %q: leakhound maps ranges (A..B), a branch, --since, --until and --all; %q has no equivalent", opts, f)
		}
	}
	return out, nil
}
