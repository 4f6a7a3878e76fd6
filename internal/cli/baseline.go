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

func runBaseline(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(env.Stdout, baselineUsage)
		if len(args) == 0 {
			return ExitError
		}
		return ExitClean
	}
	if args[0] != "create" {
		fmt.Fprintf(env.Stderr, "leakhound baseline: unknown subcommand %q (want create)\n\n%s", args[0], baselineUsage)
		return ExitError
	}
	fs := flag.NewFlagSet("baseline create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	output := fs.String("output", defaultBaseline, "baseline file to write")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, baselineUsage)
			return ExitClean
		}
		fmt.Fprintf(env.Stderr, "leakhound baseline create: %v\n\n%s", err, baselineUsage)
		return ExitError
	}
	rest := fs.Args()
	if len(rest) == 0 || (rest[0] != "dir" && rest[0] != "git" && rest[0] != "stdin") {
		fmt.Fprintf(env.Stderr, "leakhound baseline create: name the scan: dir, git or stdin\n\n%s", baselineUsage)
		return ExitError
	}
	// The scan's JSON report stays in memory: it holds secrets, the
	// baseline does not. Later flags win, so these override the user's.
	var report bytes.Buffer
	scanEnv := env
	scanEnv.Stdout = &report
	scanArgs := append(append([]string{}, rest[1:]...), "--report-format", "json", "--report-path", "-", "--redact=0", "--exit-code", "1")
	switch code := runScan(ctx, rest[0], scanArgs, scanEnv); code {
	case ExitClean, ExitFindings:
	default:
		fmt.Fprintf(env.Stderr, "leakhound baseline create: the scan failed; no baseline written\n")
		return ExitError
	}
	var found []struct {
		RuleID      string `json:"rule_id"`
		File        string `json:"file"`
		StartLine   int    `json:"start_line"`
		Commit      string `json:"commit"`
		Fingerprint string `json:"fingerprint"`
	}
	if err := json.Unmarshal(report.Bytes(), &found); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound baseline create: reading the scan's report: %v\n", err)
		return ExitError
	}
	file := filter.BaselineFile{Version: filter.BaselineVersion, Findings: []filter.BaselineEntry{}}
	for _, f := range found {
		file.Findings = append(file.Findings, filter.NewBaselineEntry(&detect.Finding{
			RuleID: f.RuleID, StartLine: f.StartLine, Fingerprint: f.Fingerprint,
			Provenance: detect.Provenance{Path: f.File, Commit: f.Commit}}))
	}
	if err := writeReport(*output, env.Stdout, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(file)
	}); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound baseline create: %v\n", err)
		return ExitError
	}
	fmt.Fprintf(env.Stderr, "leakhound: baseline of %d finding(s) written to %s\n", len(file.Findings), *output)
	return ExitClean
}
