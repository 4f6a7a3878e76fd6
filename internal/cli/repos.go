package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/leakhound/leakhound/internal/shard"
)

// reposFlags are audit's flags for a list of repositories (DESIGN §7: one
// leakhound per shard of an organisation, on a CI matrix or a Kubernetes
// Indexed Job; docs/org-audit).
type reposFlags struct {
	list  string // --repos FILE
	shard string // --shard I/N
	print bool   // --list
}

func (r *reposFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.list, "repos", "", "audit every repository of this list (one local path per line; blank lines and # comments ignored), writing one report per repository into the folder --report-path names")
	fs.StringVar(&r.shard, "shard", "", "with --repos, audit only shard I of N (I/N, 0-based as JOB_COMPLETION_INDEX; entries are assigned by a hash of their text, stable across runs)")
	fs.BoolVar(&r.print, "list", false, "with --repos, print the entries of the shard, one per line, and audit nothing (a recipe clones just these)")
}

// used reports whether any of the flags was given.
func (r *reposFlags) used() bool { return r.list != "" || r.shard != "" || r.print }

// readShard reads the list and picks the shard's entries; duplicates are
// reported on stderr and kept once.
func (r *reposFlags) readShard(env Env) (shard.Spec, []shard.Entry, error) {
	spec := shard.Spec{Index: 0, Count: 1}
	if r.list == "" {
		return spec, nil, fmt.Errorf("--shard and --list need --repos FILE")
	}
	if r.shard != "" {
		var err error
		if spec, err = shard.Parse(r.shard); err != nil {
			return spec, nil, fmt.Errorf("--shard: %w", err)
		}
	}
	fh, err := os.Open(r.list)
	if err != nil {
		return spec, nil, fmt.Errorf("--repos: %w", err)
	}
	defer fh.Close()
	l, err := shard.Read(fh)
	if err != nil {
		return spec, nil, fmt.Errorf("--repos %s: %w", r.list, err)
	}
	for _, d := range l.Duplicates {
		fmt.Fprintf(env.Stderr, "leakhound audit: %s:%d: duplicate of line %d (%s), audited once\n", r.list, d.Line, d.First, d.Name)
	}
	return spec, l.Select(spec), nil
}

// auditExt is the file name extension of an audit format's reports.
func auditExt(format string) (string, bool) {
	switch format {
	case "text":
		return ".txt", true
	case "json":
		return ".json", true
	case "markdown":
		return ".md", true
	case "html":
		return ".html", true
	}
	return "", false
}

// runRepos audits each repository of a shard of --repos with the audit
// `leakhound audit REPO` runs, one report per repository in the folder
// --report-path names. A repository that cannot be audited is named on
// stderr and makes the exit code 2; the others are still written.
func runRepos(ctx context.Context, r reposFlags, pos []string, f scanFlags, g gitFlags, env Env) int {
	spec, entries, err := r.readShard(env)
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("--repos takes no REPO argument (got %q)", pos[0])
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound audit: %v\n", err)
		return ExitError
	}
	if r.print {
		for _, e := range entries {
			fmt.Fprintln(env.Stdout, e.Name)
		}
		return ExitClean
	}
	dir := f.reportPath
	if err := reportDir(dir); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound audit: %v\n", err)
		return ExitError
	}
	ext, ok := auditExt(f.format)
	if !ok {
		fmt.Fprintf(env.Stderr, "leakhound audit: unknown report format %q (want one of text, json, markdown, html)\n", f.format)
		return ExitError
	}
	log, err := newLogger(f.logLevel, env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	return auditEach(ctx, entries, spec, dir, ext, f, g, env, log)
}

// auditEach runs the audit of each entry in turn and sums up.
func auditEach(ctx context.Context, entries []shard.Entry, spec shard.Spec, dir, ext string, f scanFlags, g gitFlags, env Env, log *slog.Logger) int {
	var failed []string
	found := false
	for i, e := range entries {
		if ctx.Err() != nil {
			failed = append(failed, e.Name+" (not started: interrupted)")
			continue
		}
		if log.Enabled(ctx, slog.LevelInfo) {
			fmt.Fprintf(env.Stderr, "leakhound audit: [%d/%d] %s\n", i+1, len(entries), e.Name)
		}
		code := auditEntry(ctx, e, filepath.Join(dir, shard.ReportName(e.Name, ext)), f, g, env)
		switch code {
		case ExitClean:
		case ExitError:
			failed = append(failed, e.Name)
		default:
			found = true
		}
	}
	if log.Enabled(ctx, slog.LevelInfo) {
		fmt.Fprintf(env.Stderr, "leakhound audit: shard %s: %d repositories, %d audited, %d failed\n",
			spec, len(entries), len(entries)-len(failed), len(failed))
	}
	if len(failed) > 0 {
		fmt.Fprintf(env.Stderr, "leakhound audit: failed: %s\n", strings.Join(failed, ", "))
		return ExitError
	}
	if found {
		return f.exitCode
	}
	return ExitClean
}

// auditEntry audits one repository as `leakhound audit REPO
// --report-path PATH` would, naming it in the report by its entry.
func auditEntry(ctx context.Context, e shard.Entry, path string, f scanFlags, g gitFlags, env Env) int {
	if shard.IsURL(e.Name) {
		fmt.Fprintf(env.Stderr, "leakhound audit: %s is a URL: leakhound audits local repositories only; clone it first (git clone --bare), see docs/org-audit\n", e.Name)
		return ExitError
	}
	f.reportPath = path
	f.repoName = e.Name
	// exitCode's own value is what a repository with findings returns,
	// so that it can be told from an error.
	f.exitCode = ExitFindings
	return scan(ctx, "audit", []string{filepath.FromSlash(e.Name)}, f, g, env)
}

// reportDir makes sure the folder of --repos' reports exists, owner-only
// when leakhound creates it.
func reportDir(dir string) error {
	if dir == "" || dir == "-" {
		return fmt.Errorf("--repos writes one report per repository: name their folder with --report-path DIR")
	}
	info, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("--report-path %s is not a folder (--repos writes one report per repository into it)", dir)
	}
	return nil
}
