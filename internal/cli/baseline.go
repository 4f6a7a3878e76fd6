package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/filter"
)

const baselineUsage = `Usage: leakhound baseline create [--output FILE] dir|git|stdin [ARGS...] [SCAN FLAGS]

Run a scan and write what it found as a baseline (default file:
.leakhound-baseline.json, owner-only): rule, path, commit, line and
fingerprint of each finding, never a secret. Later scans given
--baseline-path FILE report only findings not in it, so an old repository
can adopt leakhound and fail only on new secrets. Matching is by rule, path
and a hash of the secret: moved lines and later commits do not matter.
Exit code 0 when the baseline is written, 2 on errors.
`

// defaultBaseline is where `baseline create` writes by default.
const defaultBaseline = ".leakhound-baseline.json"

// runBaseline is `leakhound baseline create`: it runs the scan it is
// given, keeps its JSON report in memory, and writes the findings as a
// baseline.
func runBaseline(ctx context.Context, args []string, env Env) int {
	output, scan, code, done := parseBaselineArgs(args, env)
	if done {
		return code
	}
	file, err := baselineOf(ctx, scan, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound baseline create: %v\n", err)
		return ExitError
	}
	if err := writeReport(output, env.Stdout, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(file)
	}); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound baseline create: %v\n", err)
		return ExitError
	}
	fmt.Fprintf(env.Stderr, "leakhound: baseline of %d finding(s) written to %s\n", len(file.Findings), output)
	return ExitClean
}

// parseBaselineArgs reads `baseline create`'s arguments: the file to
// write and the scan to run (its kind first, then its arguments). done
// means the command ends here with code (help, or a usage error, printed).
func parseBaselineArgs(args []string, env Env) (output string, scan []string, code int, done bool) {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(env.Stdout, baselineUsage)
		if len(args) == 0 {
			return "", nil, ExitError, true
		}
		return "", nil, ExitClean, true
	}
	if args[0] != "create" {
		fmt.Fprintf(env.Stderr, "leakhound baseline: unknown subcommand %q (want create)\n\n%s", args[0], baselineUsage)
		return "", nil, ExitError, true
	}
	fs := flag.NewFlagSet("baseline create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("output", defaultBaseline, "baseline file to write")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, baselineUsage)
			return "", nil, ExitClean, true
		}
		fmt.Fprintf(env.Stderr, "leakhound baseline create: %v\n\n%s", err, baselineUsage)
		return "", nil, ExitError, true
	}
	rest := fs.Args()
	if len(rest) == 0 || (rest[0] != "dir" && rest[0] != "git" && rest[0] != "stdin") {
		fmt.Fprintf(env.Stderr, "leakhound baseline create: name the scan: dir, git or stdin\n\n%s", baselineUsage)
		return "", nil, ExitError, true
	}
	return *out, rest, 0, false
}

// baselineOf runs the scan (its kind, then its arguments) and returns
// what it found as a baseline file. The scan's JSON report stays in
// memory: it holds secrets, the baseline does not.
func baselineOf(ctx context.Context, scan []string, env Env) (*filter.BaselineFile, error) {
	var report bytes.Buffer
	scanEnv := env
	scanEnv.Stdout = &report
	// Later flags win, so these override the user's.
	scanArgs := append(append([]string{}, scan[1:]...), "--report-format", "json", "--report-path", "-", "--redact=0", "--exit-code", "1")
	switch code := runScan(ctx, scan[0], scanArgs, scanEnv); code {
	case ExitClean, ExitFindings:
	default:
		return nil, errors.New("the scan failed; no baseline written")
	}
	var found []struct {
		RuleID      string `json:"rule_id"`
		File        string `json:"file"`
		StartLine   int    `json:"start_line"`
		Commit      string `json:"commit"`
		Fingerprint string `json:"fingerprint"`
	}
	if err := json.Unmarshal(report.Bytes(), &found); err != nil {
		return nil, fmt.Errorf("reading the scan's report: %w", err)
	}
	file := &filter.BaselineFile{Version: filter.BaselineVersion, Findings: []filter.BaselineEntry{}}
	for _, f := range found {
		file.Findings = append(file.Findings, filter.NewBaselineEntry(&detect.Finding{
			RuleID: f.RuleID, StartLine: f.StartLine, Fingerprint: f.Fingerprint,
			Provenance: detect.Provenance{Path: f.File, Commit: f.Commit}}))
	}
	return file, nil
}
