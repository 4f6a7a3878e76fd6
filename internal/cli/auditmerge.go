package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/leakhound/leakhound/internal/audit"
)

const auditMergeUsage = `Usage: leakhound audit merge [flags] FILE|DIR...

Merge many repositories' audits (leakhound audit --report-format json, one
file per repository) into one worklist: one entry per secret (rule and
value, by its id) with every repository that holds it and, per repository,
its paths, first and last introduction, removal or places in HEAD, refs and
days exposed. A secret in two or more repositories is flagged as reused.
Sorted by severity, then still in some repository's HEAD, then held by
more repositories, then introduced earliest.

A DIR stands for every *.json file directly in it (not in sub-folders), in
name order; the report path itself is never read as an input. An input that
cannot be read or is not a valid leakhound-audit/v1 report is listed with
its problem and nothing of it is merged; an incomplete audit is merged and
listed; a second input of the same repository and head is listed as a
duplicate and not counted twice; inputs from several leakhound versions are
noted. --report-format text (default), json (schema
leakhound-audit-merge/v1, docs/audit.md), markdown or html. Secret values
appear only if the inputs carry them (audits written with --no-redact), and
then whole only with --no-redact. Exit codes: 2 when an input failed (the
worklist is still written, listing it) or on a usage error, else 1 (or
--exit-code) when there are secrets to rotate, else 0. To merge a
repository folder named "merge", write ./merge.
`

// mergeFlags are audit merge's flags: the report flags of audit.
type mergeFlags struct {
	format, reportPath, logLevel string
	noRedact                     bool
	exitCode                     int
}

func (f *mergeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "report-format", "text", "report format: "+strings.Join(audit.Formats, ", "))
	fs.StringVar(&f.format, "f", "text", "gitleaks' short name for --report-format")
	fs.StringVar(&f.reportPath, "report-path", "", "write the worklist to this file (owner-only permissions) instead of stdout")
	fs.StringVar(&f.reportPath, "r", "", "gitleaks' short name for --report-path")
	fs.BoolVar(&f.noRedact, "no-redact", false, "show secrets whole where the inputs carry them (audits written with --no-redact)")
	fs.IntVar(&f.exitCode, "exit-code", ExitFindings, "exit code when there are secrets to rotate")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level on stderr: debug, info, warn, error (info prints a one-line summary)")
}

func runAuditMerge(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("audit merge", env)
	var f mergeFlags
	f.register(fs)
	pos, code, done := parseArgs(fs, auditMergeUsage, args, env)
	if done {
		return code
	}
	if !slices.Contains(audit.Formats, f.format) {
		fmt.Fprintf(env.Stderr, "leakhound audit merge: unknown report format %q (want one of %s)\n", f.format, strings.Join(audit.Formats, ", "))
		return ExitError
	}
	log, err := newLogger(f.logLevel, env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	if len(pos) == 0 {
		fmt.Fprint(env.Stderr, "leakhound audit merge: name the audit reports to merge (files, or folders of *.json)\n")
		return ExitError
	}
	start := time.Now()
	m := audit.NewMerger()
	n, err := addMergeInputs(ctx, m, pos, f.reportPath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound audit merge: %v\n", err)
		return ExitError
	}
	if n == 0 {
		fmt.Fprintf(env.Stderr, "leakhound audit merge: no audit reports in %s\n", strings.Join(pos, ", "))
		return ExitError
	}
	return finishMerge(ctx, m.Result(toolVersion()), f, env, log, start)
}

// addMergeInputs merges each input file in turn, a folder standing for
// the *.json files directly in it, and returns how many it read. Only an
// interruption is an error: a file's own problem is recorded on it.
func addMergeInputs(ctx context.Context, m *audit.Merger, pos []string, reportPath string) (int, error) {
	skip := ""
	if reportPath != "" && reportPath != "-" {
		skip, _ = filepath.Abs(reportPath)
	}
	n := 0
	for _, p := range pos {
		files, err := mergeFiles(p)
		if err != nil {
			m.AddFailure(p, err)
			n++
			continue
		}
		for _, file := range files {
			if abs, _ := filepath.Abs(file); abs == skip {
				continue
			}
			if err := ctx.Err(); err != nil {
				return n, fmt.Errorf("interrupted after %d input(s): no worklist written", n)
			}
			addMergeFile(m, file)
			n++
		}
	}
	return n, nil
}

// mergeFiles is p if it is not a folder, else the *.json files directly in
// it, by name.
func mergeFiles(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !e.IsDir() {
			out = append(out, filepath.Join(p, e.Name()))
		}
	}
	return out, nil
}

// addMergeFile streams one file into the merge.
func addMergeFile(m *audit.Merger, file string) {
	fh, err := os.Open(file)
	if err != nil {
		m.AddFailure(file, err)
		return
	}
	defer fh.Close()
	if info, err := fh.Stat(); err == nil && !info.Mode().IsRegular() {
		m.AddFailure(file, fmt.Errorf("not a regular file"))
		return
	}
	m.Add(file, bufio.NewReaderSize(fh, 64<<10))
}

// finishMerge writes the worklist (whole or not at all), lists the failed
// inputs on stderr and picks the exit code: 2 when an input failed, else
// as an audit does.
func finishMerge(ctx context.Context, r *audit.Merged, f mergeFlags, env Env, log *slog.Logger, start time.Time) int {
	if err := writeReport(f.reportPath, env.Stdout, func(w io.Writer) error {
		return audit.WriteMerged(w, f.format, r, audit.Options{NoRedact: f.noRedact})
	}); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	sum := audit.SummarizeMerged(r)
	if log.Enabled(ctx, slog.LevelInfo) {
		fmt.Fprintf(env.Stderr, "leakhound: %d unique secret(s) across %d repositories from %d input(s): %d reused across repositories, %d still in some HEAD, in %s\n",
			sum.Secrets, sum.Repositories, sum.Inputs, sum.Reused, sum.StillPresent, time.Since(start).Round(time.Millisecond))
		for _, n := range r.Notes {
			fmt.Fprintf(env.Stderr, "leakhound: note: %s\n", audit.Printable(n))
		}
	}
	for i := range r.Inputs {
		if in := &r.Inputs[i]; in.State != audit.InputMerged && (in.Failed() || log.Enabled(ctx, slog.LevelWarn)) {
			fmt.Fprintf(env.Stderr, "leakhound: %s: %s: %s\n", audit.Printable(in.File), in.State, audit.Printable(in.Problem))
		}
	}
	switch {
	case r.Failed():
		fmt.Fprintf(env.Stderr, "leakhound: audit merge incomplete: %d input(s) failed\n", sum.Failed)
		return ExitError
	case sum.Secrets > 0:
		return f.exitCode
	}
	return ExitClean
}
