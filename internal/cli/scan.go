package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/audit"
	"github.com/leakhound/leakhound/internal/filter"
	"github.com/leakhound/leakhound/internal/pipeline"
	"github.com/leakhound/leakhound/report"
	"github.com/leakhound/leakhound/rules"
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

const gitUsage = `Usage: leakhound git [REPO] [flags]
       leakhound git --staged [REPO] [flags]

Scan a git repository's history (default: the repository in the current
directory): every commit reachable from every ref, oldest first, reporting
each secret once, for the commit that introduced it at that path. A merge
reports only what none of its parents had. --range A..B scans only the
commits reachable from B and not from A (what a push or a pull request
adds). Objects are read with git's plumbing; nothing in the repository's
config or hooks is ever run. Missing objects (partial clones, corrupt
packs) are reported and make the exit code 2; a shallow clone's boundary
is not an error.

--staged scans what a commit made now would add, for a pre-commit hook:
the lines of each staged file that its HEAD version (or the version it was
renamed from) does not have, with the staged file's line numbers. Binary
files, symbolic links, submodules and files over --max-target-megabytes
are skipped and counted. It reads the index git names in GIT_INDEX_FILE
(set for hooks of 'git commit -a' and 'git commit PATH'), else the
repository's own.

--state FILE (every ref only) keeps what the scan found per commit in
FILE, and the next run with it scans only the new commits and reports
exactly what a full scan would (history no ref reaches drops out). FILE
holds secrets (owner-only); a damaged one means a full scan and a warning.
`

const auditUsage = `Usage: leakhound audit [REPO] [flags]
       leakhound audit --repos FILE [--shard I/N] --report-path DIR [flags]
       leakhound audit --repos FILE [--shard I/N] --list

Audit a repository's whole history (every ref) for the credentials to
rotate: one entry per unique secret (rule and value) with who introduced it
first and when, the commit of the default branch that removed it or where
HEAD still holds it, every place it was introduced, the refs it can be
fetched from, how many days it has been exposed, and whether the same value
is reused in several places. Sorted by severity, then still present, then
age. --report-format text (default), json (schema in docs/audit.md),
markdown (for a ticket or $GITHUB_STEP_SUMMARY) or html (one self-contained
page: summary, timeline, counts per author and rule, a table to filter and
sort). Secrets are shown as a short prefix unless --no-redact. Reports are
written whole or not at all (owner-only permissions). Exit codes as for
scans: 1 when there are secrets to rotate. --state FILE as for leakhound
git: only new commits are scanned, the facts are the repository's now.
'leakhound audit merge' merges many repositories' JSON audits into one
worklist (see its --help).

--repos FILE audits every repository the file lists (one local path per
line, relative to the current folder; blank lines and # comments ignored;
a duplicate is reported and audited once) and writes one report per
repository into the folder DIR, named after the entry and a hash of it
(api-1a2b3c4d5e6f.json), stable across runs. The report names the
repository by its entry. --shard I/N audits only shard I (0-based, as
Kubernetes' JOB_COMPLETION_INDEX) of N: an entry's shard is a hash of its
text, so shards are disjoint, cover the list, and adding an entry moves no
other. --list prints the shard's entries instead (which may be clone URLs:
a recipe clones just these). A repository that cannot be audited is named
and makes the exit code 2; the others are still written. Then
'leakhound audit merge DIR' combines them; recipes for a CI matrix and a
Kubernetes Indexed Job are in docs/org-audit.
`

// gitFlags select which history `leakhound git` scans.
type gitFlags struct {
	branch, since, until, rng string
	noProgress                bool
	staged                    bool
	// state is --state: the file an every-ref scan keeps what it
	// scanned in, to scan only what is new next time.
	state string
	// revs, when set, are the rev-list arguments to scan instead of the
	// flags' (leakhound hook pre-push); never set from a flag.
	revs []string
}

func (g *gitFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.branch, "branch", "", "scan only the history of this ref (a branch, tag or commit)")
	fs.StringVar(&g.since, "since", "", "only commits more recent than this date (as git rev-list --since)")
	fs.StringVar(&g.until, "until", "", "only commits older than this date (as git rev-list --until)")
	fs.StringVar(&g.rng, "range", "", "only commits in this range, e.g. origin/main..HEAD (reachable from the right, not the left)")
	fs.BoolVar(&g.staged, "staged", false, "scan what the index adds to HEAD (for a pre-commit hook) instead of history")
	fs.BoolVar(&g.noProgress, "no-progress", false, "no progress bar (it is only ever shown when stderr is a terminal, and not with --log-level debug)")
	g.registerState(fs)
}

func (g *gitFlags) registerState(fs *flag.FlagSet) {
	fs.StringVar(&g.state, "state", "", "keep what was scanned in this file (it holds secrets: owner-only permissions) and next time scan only new commits, reporting the same as a full scan (docs/incremental.md)")
}

// revArgs turns the flags into rev-list arguments; none means every ref.
func (g *gitFlags) revArgs() ([]string, error) {
	if g.staged {
		return nil, g.stagedConflict()
	}
	if g.revs != nil {
		return g.revs, nil
	}
	var args []string
	switch {
	case g.rng != "" && g.branch != "":
		return nil, fmt.Errorf("--range and --branch cannot be combined")
	case g.rng != "":
		args = append(args, g.rng)
	case g.branch != "":
		args = append(args, g.branch)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("revision %q must not start with '-'", a)
		}
	}
	if g.since != "" {
		args = append(args, "--since="+g.since)
	}
	if g.until != "" {
		args = append(args, "--until="+g.until)
	}
	return args, nil
}

func runScan(ctx context.Context, kind string, args []string, env Env) int {
	usage := map[string]string{"dir": dirUsage, "stdin": stdinUsage, "git": gitUsage, "audit": auditUsage}[kind]
	fs := newFlagSet(kind, env)
	var f scanFlags
	f.register(fs)
	var g gitFlags
	var r reposFlags
	switch kind {
	case "git":
		g.register(fs)
	case "audit":
		fs.BoolVar(&g.noProgress, "no-progress", false, "no progress bar (it is only ever shown when stderr is a terminal)")
		r.register(fs)
		g.registerState(fs)
	}
	pos, code, done := parseArgs(fs, usage, args, env)
	if done {
		return code
	}
	if r.used() {
		return runRepos(ctx, r, pos, f, g, env)
	}
	return scan(ctx, kind, pos, f, g, env)
}

// scan runs a scan whose flags are parsed; pos are its arguments. Its
// stages, in order: the flags are checked (nothing is started before
// that), what is scanned is opened while the rules are built, the rules
// and suppressions are loaded, and the target runs.
func scan(ctx context.Context, kind string, pos []string, f scanFlags, g gitFlags, env Env) int {
	j, err := checkScan(kind, pos, f, g)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitError
	}
	j.env = env
	j.prog = newProgress(kind, j.f, g.noProgress || g.staged, env)
	defer j.prog.stop()
	j.log = slog.New(newHumanHandler(j.prog.logTo(env.Stderr), j.level))
	// The built-in rules, and for a hook their detector too, are built
	// on another goroutine while this one opens what is scanned: for
	// `git --staged` these two are most of leakhound's time.
	ld, warmed := warmLoader(f.config, env, g.staged)
	run, done, err := j.open(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	defer done()
	if err := j.load(ld, warmed); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	return run(ctx, j)
}

// scanJob is a scan whose flags are checked: what its stages and its
// target read.
type scanJob struct {
	kind    string
	pos     []string // what is scanned: one path at least, none for stdin
	revs    []string // a history scan's rev-list arguments; none: every ref
	f       scanFlags
	g       gitFlags
	level   slog.Level
	minConf rules.Confidence
	rep     report.Reporter // nil for an audit, which writes its own report

	env  Env
	log  *slog.Logger
	prog *progress

	// Built by load. det is sc's detector, for what only the concrete
	// one does: compile patterns up front, say whether rules look at
	// paths.
	set *rules.Set
	det *detect.Detector
	sc  *pipeline.Scanner

	start time.Time // when the scan proper started
}

// checkScan checks a scan's flags and arguments, and starts nothing. An
// error is the whole line to print.
func checkScan(kind string, pos []string, f scanFlags, g gitFlags) (*scanJob, error) {
	j := &scanJob{kind: kind, pos: pos, f: f, g: g}
	switch {
	case f.noRedact && f.redactSet:
		return nil, fmt.Errorf("leakhound %s: --no-redact and --redact contradict each other", kind)
	case kind == "stdin" && len(pos) > 0:
		return nil, fmt.Errorf("leakhound stdin: takes no arguments (got %q); pipe content to it", pos[0])
	case (kind == "git" || kind == "audit") && len(pos) > 1:
		return nil, fmt.Errorf("leakhound %s: takes one repository (got %d arguments)", kind, len(pos))
	case kind != "stdin" && len(pos) == 0:
		j.pos = []string{"."}
	}
	var err error
	if j.revs, err = g.revArgs(); err != nil {
		return nil, fmt.Errorf("leakhound git: %v", err)
	}
	if j.level, err = parseLogLevel(f.logLevel); err != nil {
		return nil, fmt.Errorf("leakhound: %v", err)
	}
	if kind == "audit" {
		if !slices.Contains(audit.Formats, f.format) {
			return nil, fmt.Errorf("leakhound audit: unknown report format %q (want one of %s)", f.format, strings.Join(audit.Formats, ", "))
		}
	} else if j.rep, err = report.New(f.format); err != nil {
		return nil, fmt.Errorf("leakhound: %v", err)
	}
	j.f.threads = max(f.threads, 1)
	var ok bool
	if j.minConf, ok = rules.ParseConfidence(f.minConf); !ok {
		return nil, fmt.Errorf("leakhound: --min-confidence %q is not one of low, medium, high", f.minConf)
	}
	if f.decodeMax < 0 || f.decodeMax > 16 {
		return nil, fmt.Errorf("leakhound: --max-decode-depth %d is outside 0..16", f.decodeMax)
	}
	if err := g.checkState(); err != nil {
		return nil, fmt.Errorf("leakhound %s: %v", kind, err)
	}
	return j, nil
}

// load reads the rules and the suppressions (ignore files, baseline) and
// builds the pipeline. An error is printed after "leakhound: ".
func (j *scanJob) load(ld rules.Loader, warmed func(*rules.Set) *detect.Detector) error {
	root := "."
	if j.kind != "stdin" {
		root = configRoot(j.pos[0])
	}
	set, builtin, err := loadConfigFrom(ld, j.f.config, root, j.env, j.log)
	if err != nil {
		return err
	}
	ignore, err := loadIgnores(j.f, root)
	if err != nil {
		return err
	}
	baseline, err := loadBaseline(j.f.baseline, j.log)
	if err != nil {
		return err
	}
	if len(j.f.enableRules) > 0 {
		if set, err = enableOnly(set, j.f.enableRules); err != nil {
			return fmt.Errorf("--enable-rule: %w", err)
		}
	}
	j.set = set
	if j.det = warmed(set); j.det == nil {
		j.det = detect.New(set, nil)
	}
	j.sc = pipeline.New(set, pipeline.Options{Ignore: ignore, Baseline: baseline, Log: j.log, MinConfidence: j.minConf,
		DecodeDepth: &j.f.decodeMax, IgnoreGitleaksAllow: j.f.noGLAllow, Detector: j.det})
	if !builtin {
		if err := j.det.Compile(userRules); err != nil {
			return fmt.Errorf("%s: %s", set.Source, errLine(err))
		}
	}
	return nil
}

// loadIgnores reads the fingerprint ignore files that apply to root:
// ours (or --ignore-path, which must exist) and gitleaks', beside ours or
// where --gitleaks-ignore-path says (a file, or a folder holding one).
func loadIgnores(f scanFlags, root string) (*filter.Ignore, error) {
	ignorePath := f.ignorePath
	if ignorePath == "" {
		ignorePath = filepath.Join(root, ignoreFileName)
	}
	ignore, err := filter.LoadIgnore(ignorePath)
	if err != nil {
		return nil, err
	}
	if ignore == nil && f.ignorePath != "" {
		return nil, fmt.Errorf("ignore file %s does not exist", f.ignorePath)
	}
	glIgnore := filepath.Join(root, gitleaksIgnoreFileName)
	if f.glIgnorePath != "" {
		glIgnore = f.glIgnorePath
		if info, err := os.Stat(glIgnore); err == nil && info.IsDir() {
			glIgnore = filepath.Join(glIgnore, gitleaksIgnoreFileName)
		}
	}
	gl, err := filter.LoadIgnore(glIgnore)
	if err != nil {
		return nil, err
	}
	return ignore.Merge(gl), nil
}

// loadBaseline reads --baseline-path, if given.
func loadBaseline(path string, log *slog.Logger) (*filter.Baseline, error) {
	if path == "" {
		return nil, nil
	}
	baseline, err := filter.LoadBaseline(path)
	if err != nil {
		return nil, err
	}
	if baseline.Unusable > 0 {
		log.Warn("baseline entries without a secret to match (a redacted gitleaks report) cannot suppress anything",
			"path", path, "entries", baseline.Unusable)
	}
	return baseline, nil
}

// enableOnly keeps the rules named (gitleaks' --enable-rule) and the
// rules they require; naming a rule the set lacks is an error.
func enableOnly(set *rules.Set, ids []string) (*rules.Set, error) {
	keep := map[string]bool{}
	var add func(id string) error
	add = func(id string) error {
		if keep[id] {
			return nil
		}
		r := set.ByID(id)
		if r == nil {
			return fmt.Errorf("no rule %q in %s", id, set.Source)
		}
		keep[id] = true
		for _, req := range r.Required {
			if err := add(req.ID); err != nil {
				return err
			}
		}
		return nil
	}
	for _, id := range ids {
		if err := add(id); err != nil {
			return nil, err
		}
	}
	out := *set
	out.Rules = nil
	for _, r := range set.Rules {
		if keep[r.ID] {
			out.Rules = append(out.Rules, r)
		}
	}
	return &out, nil
}

// configRoot is the folder whose .leakhound.toml and .leakhoundignore
// apply: the scanned directory, or a scanned file's folder.
func configRoot(path string) string {
	if info, err := os.Stat(path); err == nil && !info.IsDir() {
		return filepath.Dir(path)
	}
	return path
}

// finish writes the report and the summary (and the notes after it) and
// picks the exit code.
func finish(ctx context.Context, res *pipeline.Result, rep report.Reporter, f scanFlags, env Env, log *slog.Logger, elapsed time.Duration, kind string, notes ...string) int {
	toStdout := f.reportPath == "" || f.reportPath == "-"
	opt := withTool(report.Options{
		Incomplete: incomplete(res),
		Redact:     f.redact,
		Reveal:     f.noRedact,
		Repository: f.repo,
		Warn:       func(msg string) { log.Warn(msg) },
		Color:      f.format == "text" && toStdout && !f.noColor && env.Getenv("NO_COLOR") == "" && env.IsTerminal(env.Stdout),
	}, f.format, env, log)
	if err := writeReport(f.reportPath, env.Stdout, func(w io.Writer) error {
		return rep.Write(w, res.Findings, opt)
	}); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	if f.summary != "" {
		if err := appendFile(f.summary, func(w io.Writer) error {
			return report.Markdown{}.Write(w, res.Findings, report.Options{Incomplete: opt.Incomplete})
		}); err != nil {
			fmt.Fprintf(env.Stderr, "leakhound: summary: %v\n", err)
			return ExitError
		}
	}
	if log.Enabled(ctx, slog.LevelInfo) {
		fmt.Fprintln(env.Stderr, summary(res, elapsed, kind))
		for _, n := range notes {
			fmt.Fprintf(env.Stderr, "leakhound: %s\n", n)
		}
	}
	return exitCode(ctx, res, len(res.Findings), f, env, log, "scan")
}

// incomplete says why a scan did not cover everything, or "".
func incomplete(res *pipeline.Result) string {
	switch {
	case errors.Is(res.Err, context.Canceled):
		return fmt.Sprintf("interrupted: the report holds the %d finding(s) made before the signal", len(res.Findings))
	case res.Err != nil:
		return "stopped: " + errLine(res.Err)
	case len(res.Failures) > 0:
		return fmt.Sprintf("%d item(s) could not be read", len(res.Failures))
	}
	return ""
}

// errLine is err's text on one line. The detector joins the errors of
// several rules with errors.Join, one per line; they are printed, as they
// always were, separated by "; ". Other errors print as they are.
func errLine(err error) string {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err.Error()
	}
	errs := j.Unwrap()
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	if strings.Join(parts, "\n") != err.Error() {
		return err.Error() // not a join: fmt.Errorf with several %w, say
	}
	for i, e := range errs {
		parts[i] = errLine(e)
	}
	return strings.Join(parts, "; ")
}

// exitCode says how a scan (or an audit: what) ended: 2 when it stopped or
// could not read everything, whatever it found, else --exit-code when it
// found something, else 0. The pipeline logs each failure as a warning
// when it happens; they are listed here only when warnings are off, so
// each is said once.
func exitCode(ctx context.Context, res *pipeline.Result, found int, f scanFlags, env Env, log *slog.Logger, what string) int {
	if !log.Enabled(ctx, slog.LevelWarn) {
		for _, fl := range res.Failures {
			fmt.Fprintf(env.Stderr, "leakhound: could not read %s: %s\n", fl.Path, fl.Err)
		}
	}
	switch {
	case errors.Is(res.Err, context.Canceled):
		fmt.Fprintf(env.Stderr, "leakhound: %s %s\n", what, incomplete(res))
		return ExitError
	case res.Err != nil:
		fmt.Fprintf(env.Stderr, "leakhound: %s stopped: %s\n", what, errLine(res.Err))
		return ExitError
	case len(res.Failures) > 0:
		fmt.Fprintf(env.Stderr, "leakhound: %s incomplete: %d item(s) could not be read\n", what, len(res.Failures))
		return ExitError
	case found > 0:
		return f.exitCode
	}
	return ExitClean
}

func summary(res *pipeline.Result, elapsed time.Duration, kind string) string {
	var b strings.Builder
	noun := map[string]string{"dir": "files", "stdin": "streams", "git": "blobs", "staged": "staged files"}[kind]
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
