package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/leakhound/leakhound/internal/filter"
	"github.com/leakhound/leakhound/internal/pipeline"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/report"
)

const dirUsage = `Usage: leakhound dir [PATH...] [flags]

Scan files and directory trees (default: the current directory). Binary
files and files over --max-target-megabytes are skipped and counted;
symbolic links are never followed; .git folders are skipped.
`

const stdinUsage = `Usage: leakhound stdin [flags]

Scan standard input as one stream (a CI log, a pipe), in bounded memory.
Findings are reported with file "stdin" and their line numbers.
`

func runScan(ctx context.Context, kind string, args []string, env Env) int {
	usage := dirUsage
	if kind == "stdin" {
		usage = stdinUsage
	}
	fs := newFlagSet(kind, env)
	var f scanFlags
	f.register(fs)
	pos, code, done := parseArgs(fs, usage, args, env)
	if done {
		return code
	}
	if kind == "stdin" && len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "leakhound stdin: takes no arguments (got %q); pipe content to it\n", pos[0])
		return ExitError
	}
	if kind == "dir" && len(pos) == 0 {
		pos = []string{"."}
	}
	log, err := newLogger(f.logLevel, env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	rep, err := report.New(f.format)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	if f.threads < 1 {
		f.threads = 1
	}
	root := "."
	if kind == "dir" {
		root = configRoot(pos[0])
	}
	set, builtin, err := loadConfig(f.config, root, env, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	ignorePath := f.ignorePath
	if ignorePath == "" {
		ignorePath = filepath.Join(root, ignoreFileName)
	}
	ignore, err := filter.LoadIgnore(ignorePath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	if ignore == nil && f.ignorePath != "" {
		fmt.Fprintf(env.Stderr, "leakhound: ignore file %s does not exist\n", f.ignorePath)
		return ExitError
	}
	sc := pipeline.New(set, pipeline.Options{Ignore: ignore, Log: log})
	if !builtin {
		if err := sc.Detector.Compile(userRules); err != nil {
			fmt.Fprintf(env.Stderr, "leakhound: %s: %v\n", set.Source, err)
			return ExitError
		}
	}
	start := time.Now()
	res := sc.Run(ctx, func(ev source.Events) source.Source {
		if kind == "stdin" {
			return &source.Stdin{R: env.Stdin, Threads: f.threads, Events: ev}
		}
		return &source.Dir{Roots: pos, MaxBytes: int64(f.maxMB) << 20, Threads: f.threads, SkipPath: sc.Global.SkipsPath, Events: ev}
	})
	elapsed := time.Since(start)
	return finish(ctx, res, rep, f, env, log, elapsed, kind)
}

// configRoot is the folder whose .leakhound.toml and .leakhoundignore
// apply: the scanned directory, or a scanned file's folder.
func configRoot(path string) string {
	if info, err := os.Stat(path); err == nil && !info.IsDir() {
		return filepath.Dir(path)
	}
	return path
}

// finish writes the report and the summary and picks the exit code.
func finish(ctx context.Context, res *pipeline.Result, rep report.Reporter, f scanFlags, env Env, log *slog.Logger, elapsed time.Duration, kind string) int {
	toStdout := f.reportPath == "" || f.reportPath == "-"
	opt := report.Options{
		Redact: f.redact,
		Color:  f.format == "text" && toStdout && !f.noColor && env.Getenv("NO_COLOR") == "" && env.IsTerminal(env.Stdout),
	}
	if err := writeReport(f.reportPath, env.Stdout, func(w io.Writer) error {
		return rep.Write(w, res.Findings, opt)
	}); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	if log.Enabled(ctx, slog.LevelInfo) {
		fmt.Fprintln(env.Stderr, summary(res, elapsed, kind))
	}
	// The pipeline logs each failure as a warning when it happens; list
	// them here only when warnings are off, so each is said once.
	if !log.Enabled(ctx, slog.LevelWarn) {
		for _, fl := range res.Failures {
			fmt.Fprintf(env.Stderr, "leakhound: could not read %s: %s\n", fl.Path, fl.Err)
		}
	}
	switch {
	case res.Err != nil:
		fmt.Fprintf(env.Stderr, "leakhound: scan stopped: %v\n", res.Err)
		return ExitError
	case len(res.Failures) > 0:
		fmt.Fprintf(env.Stderr, "leakhound: scan incomplete: %d item(s) could not be read\n", len(res.Failures))
		return ExitError
	case len(res.Findings) > 0:
		return f.exitCode
	}
	return ExitClean
}

func summary(res *pipeline.Result, elapsed time.Duration, kind string) string {
	var b strings.Builder
	noun := "files"
	if kind == "stdin" {
		noun = "streams"
	}
	fmt.Fprintf(&b, "leakhound: %d finding(s) in %d %s (%s) in %s", len(res.Findings), res.Stats.Items, noun, humanBytes(res.Stats.Bytes), elapsed.Round(time.Millisecond))
	if len(res.Skipped) > 0 {
		var parts []string
		for reason, n := range res.Skipped {
			parts = append(parts, fmt.Sprintf("%d %s", n, reason))
		}
		sort.Strings(parts)
		fmt.Fprintf(&b, "; skipped %s (--log-level debug lists them)", strings.Join(parts, ", "))
	}
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
