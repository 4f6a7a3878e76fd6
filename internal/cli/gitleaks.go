package cli

import (
	"context"
	"fmt"
	"strings"
)

// runGitleaksCommand runs gitleaks' older commands, which CI scripts
// written for gitleaks still call: `detect` (history, or a folder with
// --no-git, or stdin with --pipe) and `protect` (staged changes). It says
// which leakhound command it ran, then runs it with the other flags,
// which leakhound shares with gitleaks.
func runGitleaksCommand(ctx context.Context, cmd string, args []string, env Env) int {
	kind, source := "git", "."
	var rest []string
	var logOpts string
	staged := cmd == "protect"
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
			rest = append(rest, a)
		case name == "source" || name == "s":
			v, ok := value(&i, a[:strings.IndexByte(a+"=", '=')])
			if !ok {
				fmt.Fprintf(env.Stderr, "leakhound %s: %s needs a path\n", cmd, a)
				return ExitError
			}
			source = v
		case name == "no-git":
			kind = "dir"
		case name == "pipe":
			kind = "stdin"
		case name == "staged" || name == "pre-commit":
			staged = true
		case name == "log-opts":
			v, ok := value(&i, a[:strings.IndexByte(a+"=", '=')])
			if !ok {
				fmt.Fprintf(env.Stderr, "leakhound %s: --log-opts needs a value\n", cmd)
				return ExitError
			}
			logOpts = v
		case name == "follow-symlinks":
			fmt.Fprintf(env.Stderr, "leakhound %s: --follow-symlinks is not supported: leakhound never follows a symbolic link (it could leave the tree or loop)\n", cmd)
			return ExitError
		case name == "platform" || name == "timeout" || name == "diagnostics" || name == "diagnostics-dir" || name == "max-archive-depth":
			if !strings.Contains(a, "=") && i+1 < len(args) {
				i++
			}
			fmt.Fprintf(env.Stderr, "leakhound %s: %s has no equivalent and is ignored\n", cmd, a)
		default:
			rest = append(rest, a)
		}
	}
	out := []string{kind}
	switch {
	case kind == "stdin":
	case staged:
		out = append(out, source, "--staged")
	default:
		out = append(out, source)
	}
	if logOpts != "" {
		extra, err := logOptsArgs(logOpts)
		if err != nil || kind != "git" || staged {
			if err == nil {
				err = fmt.Errorf("--log-opts applies to history scans only")
			}
			fmt.Fprintf(env.Stderr, "leakhound %s: %v\n", cmd, err)
			return ExitError
		}
		out = append(out, extra...)
	}
	out = append(out, rest...)
	fmt.Fprintf(env.Stderr, "leakhound: `%s` is gitleaks' older command; running `leakhound %s` (see docs/migrating-from-gitleaks.md)\n",
		cmd, strings.Join(out, " "))
	return Run(ctx, out, env)
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
