package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/leakhound/leakhound/internal/audit"
	"github.com/leakhound/leakhound/internal/history"
	"github.com/leakhound/leakhound/internal/pipeline"
)

// facts adapts the history scan's answers to what the audit asks.
type facts struct{ f *history.Facts }

func (x facts) InHead(rule, secret string) []audit.Place {
	var out []audit.Place
	for _, l := range x.f.InHead(rule, secret) {
		out = append(out, audit.Place{Path: l.Path, Line: l.Line})
	}
	return out
}

func (x facts) Removal(rule, secret string) *audit.Commit {
	c := x.f.Removal(rule, secret)
	if c == nil {
		return nil
	}
	return &audit.Commit{ID: c.ID, Author: c.Author, Email: c.Email, Date: c.Date, Message: c.Subject}
}

func (x facts) RefsReaching(groups [][]string) [][]string { return x.f.RefsReaching(groups) }

// auditNow is the report's time; tests fix it.
var auditNow = time.Now

// finishAudit groups a history scan's findings into the audit report,
// writes it (whole or not at all) and picks the exit code as a scan does.
func finishAudit(ctx context.Context, res *pipeline.Result, hf *history.Facts, repoPath string, f scanFlags, env Env, log *slog.Logger, elapsed time.Duration, save func() error, notes ...string) int {
	r := &audit.Report{Repository: repoPath, GeneratedAt: auditNow(), Incomplete: res.Incomplete(), ToolVersion: toolVersion()}
	if abs, err := filepath.Abs(repoPath); err == nil {
		r.Repository = filepath.Base(abs)
	}
	if f.repoName != "" {
		r.Repository = f.repoName
	}
	var fx audit.Facts
	if hf != nil {
		fx = facts{hf}
		r.Head, r.HeadRef = hf.Head, hf.HeadRef
	}
	r.Secrets = audit.Build(res.Findings, fx, r.GeneratedAt)
	if hf != nil && hf.Err() != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v (delete the state file and run again)\n", hf.Err())
		return ExitError
	}
	if err := save(); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	if err := writeReport(f.reportPath, env.Stdout, func(w io.Writer) error {
		return audit.Write(w, f.format, r, audit.Options{NoRedact: f.noRedact})
	}); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	if log.Enabled(ctx, slog.LevelInfo) {
		sum := audit.Summarize(r)
		fmt.Fprintf(env.Stderr, "leakhound: %d unique secret(s) from %d finding(s), %d still in HEAD, in %s\n",
			sum.Secrets, len(res.Findings), sum.StillPresent, elapsed.Round(time.Millisecond))
		for _, n := range notes {
			fmt.Fprintf(env.Stderr, "leakhound: %s\n", n)
		}
	}
	return exitCode(ctx, res, len(r.Secrets), f, env, log, "audit")
}
