// Package cli is leakhound's command line: the only place that reads
// flags and the environment, detects terminals, and chooses exit codes.
//
// Start-up is kept off the critical path of a short command (a
// pre-commit hook runs one per commit). Before Main, Go runs every
// linked package's initialisation: leakhound's own packages build
// nothing there (regular expressions, templates and tables they need are
// made on first use), so what runs is the standard library's and the
// dependencies' (YAML, html/template, TOML, compression, RE2). version
// and help start no signal-watching goroutine. A scan gets the built-in
// rules from code generated from config/default.toml (package builtin,
// about 0.1 ms) rather than by decoding the TOML (17 ms and more), and the
// detector compiles each rule's pattern the first time its keyword is
// seen. README.md ("Performance") has the measurements.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/leakhound/leakhound/detect"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/leakhound/leakhound/report"
	"golang.org/x/term"
)

// Exit codes, as gitleaks uses them.
const (
	ExitClean    = 0 // nothing found
	ExitFindings = 1 // findings (or --exit-code N)
	ExitError    = 2 // usage, config or runtime error; or an incomplete scan
)

// Version, set at build time with
// -ldflags "-X github.com/leakhound/leakhound/internal/cli.Version=v1.2.3",
// overrides the version Go stamps into the binary (see toolVersion).
var Version = ""

// withTool fills in what a report says of the tool that wrote it:
// leakhound's version and, for SARIF written in an Azure pipeline, the
// pipeline's identity, which Advanced Security for Azure DevOps requires
// (a warning on log, which may be nil, when the pipeline's variables do
// not give it).
func withTool(opt report.Options, format string, env Env, log *slog.Logger) report.Options {
	opt.ToolVersion = toolVersion()
	if strings.EqualFold(format, "sarif") {
		a, err := adoAutomation(env.Getenv)
		if err != nil && log != nil {
			log.Warn("SARIF: no Azure DevOps pipeline identity (automationDetails); Advanced Security for Azure DevOps will reject the file", "error", err)
		}
		opt.Automation = a
	}
	return opt
}

// Env is what the CLI may touch of the process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// IsTerminal reports whether w is an interactive terminal.
	IsTerminal func(w io.Writer) bool
	// Executable returns the path of the leakhound binary, which hooks
	// that `leakhound hook install` writes run; nil means os.Executable.
	Executable func() (string, error)
}

// Main runs leakhound as a process with args (os.Args[1:]) and returns its
// exit code: SIGINT and SIGTERM cancel the scan, whose report then holds
// what was found so far, marked incomplete, and the exit code is 2.
func Main(args []string) int {
	if len(args) == 0 || printsOnly(args[0]) {
		return Run(context.Background(), args, DefaultEnv())
	}
	ctx, stop := watchSignals()
	defer stop()
	return Run(ctx, args, DefaultEnv())
}

// watchSignals returns a context cancelled by SIGINT or SIGTERM, as
// signal.NotifyContext does, but asks for the signals on a goroutine of
// its own: setting up the runtime's signal delivery costs about a
// millisecond, which a pre-commit hook should not wait for. A signal in
// the first moments, before it is watched, ends the process at once,
// which is all a scan that has found nothing yet could do anyway.
func watchSignals() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(c)
		for {
			select {
			case <-c:
				// Further signals are taken too, until Main returns:
				// the report is being written.
				cancel()
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		cancel()
		close(done)
	}
}

// printsOnly reports whether cmd only prints a text (version, help; as
// does no command at all), which has nothing to cancel: it does not watch
// for signals, whose goroutine and handlers would be most of its run time
// after Go's own start. A signal ends it at once, as any process.
func printsOnly(cmd string) bool {
	switch cmd {
	case "version", "--version", "-v", "help", "-h", "--help", "-help":
		return true
	}
	return false
}

// Run executes one leakhound invocation and returns its exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.IsTerminal == nil {
		env.IsTerminal = func(io.Writer) bool { return false }
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, mainUsage)
		return ExitError
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dir":
		return runScan(ctx, "dir", rest, env)
	case "stdin":
		return runScan(ctx, "stdin", rest, env)
	case "git":
		return runScan(ctx, "git", rest, env)
	case "audit":
		if len(rest) > 0 && rest[0] == "merge" {
			return runAuditMerge(ctx, rest[1:], env)
		}
		return runScan(ctx, "audit", rest, env)
	case "mask":
		return runMask(ctx, rest, env)
	case "check":
		return runCheck(ctx, rest, env)
	case "detect", "protect":
		return runGitleaksCommand(ctx, cmd, rest, env)
	case "hook":
		return runHook(ctx, rest, env)
	case "baseline":
		return runBaseline(ctx, rest, env)
	case "rules":
		return runRules(rest, env)
	case "version", "--version", "-v":
		return runVersion(rest, env)
	case "help", "-h", "--help", "-help":
		// `help CMD` is `CMD --help`; `help help` (or `--help --help`) is
		// plain help, not a recursion.
		if len(rest) > 0 && !isHelp(rest[0]) {
			return Run(ctx, []string{rest[0], "--help"}, env)
		}
		fmt.Fprint(env.Stdout, mainUsage)
		return ExitClean
	}
	fmt.Fprintf(env.Stderr, "leakhound: unknown command %q\n\n%s", cmd, mainUsage)
	return ExitError
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "--help", "-help":
		return true
	}
	return false
}

const versionUsage = `Usage: leakhound version

Print leakhound's version: its release tag (v1.2.3), or for a build from a
git checkout a Go pseudo-version naming the commit and its time
(v0.0.0-20261204185234-15f82df1a2b3), "+dirty" when the checkout had
uncommitted changes. SARIF reports and the audit's JSON name the same.
`

func runVersion(args []string, env Env) int {
	fs := newFlagSet("version", env)
	pos, code, done := parseArgs(fs, versionUsage, args, env)
	if done {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "leakhound version: unexpected argument %q\n", pos[0])
		return ExitError
	}
	fmt.Fprintf(env.Stdout, "leakhound %s\n", toolVersion())
	return ExitClean
}

const mainUsage = `leakhound finds credentials in code, git history and streams.

Usage:
  leakhound dir [PATH...] [flags]     scan files and directories (default: .)
  leakhound stdin [flags]             scan standard input (CI logs, pipes)
  leakhound git [REPO] [flags]        scan a repository's history (all refs; --branch, --range, --since, --until)
  leakhound git --staged [REPO]       scan what the next commit would add (for a pre-commit hook)
  leakhound audit [REPO]              the rotation worklist: every secret in history, grouped, dated, located (text, json, markdown, html)
  leakhound audit merge FILE|DIR...   merge many repositories' audit JSON into one worklist, by secret, reuse across repositories flagged
  leakhound check [PATH]              check SOPS secrets files: nothing plaintext, every environment complete, the right keys
  leakhound mask                      copy stdin to stdout with every secret replaced by *** (a filter for CI logs)
  leakhound hook pre-push             scan what a push sends (for a pre-push hook; reads git's input)
  leakhound hook install [--pre-push] install leakhound as the repository's pre-commit (or pre-push) hook
  leakhound baseline create SCAN...   write the findings of a scan as a baseline (see --baseline-path)
  leakhound rules list [--config F]   list the rules in force
  leakhound rules check [--config F]  check a config: syntax, regexes, examples
  leakhound version                   print the version

Run 'leakhound COMMAND --help' for a command's flags.
Exit codes: 0 nothing found, 1 findings (see --exit-code), 2 usage, config or runtime error,
or a scan that could not read everything it was asked to.
`

// stringAlias is another name for a string flag.
type stringAlias struct{ p *string }

func (a stringAlias) String() string {
	if a.p == nil {
		return ""
	}
	return *a.p
}
func (a stringAlias) Set(s string) error { *a.p = s; return nil }

// stringList collects a repeatable, comma-separated flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*l = append(*l, x)
		}
	}
	return nil
}

// scanFlags are the flags every scanning command takes. Names follow
// gitleaks where the same thing exists.
type scanFlags struct {
	config     string
	format     string
	reportPath string
	redact     int
	redactSet  bool
	noRedact   bool
	exitCode   int
	maxMB      int
	threads    int
	noColor    bool
	logLevel   string
	ignorePath string
	// gitleaks' flags, for scripts written for it.
	glIgnorePath  string
	noGLAllow     bool
	enableRules   stringList
	ignoredGLFlag bool
	baseline      string
	summary       string
	minConf       string
	decodeMax     int
	// repo is the scanned repository, set for git scans.
	repo *report.Repository
	// repoName, when set, is how an audit report names its repository
	// (the entry of --repos) instead of by its folder's name.
	repoName string
}

func (f *scanFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "config file (default: .leakhound.toml in the scanned root if present, else the built-in rules; env LEAKHOUND_CONFIG)")
	fs.StringVar(&f.format, "report-format", "text", "report format: "+strings.Join(report.Formats, ", "))
	fs.StringVar(&f.reportPath, "report-path", "", "write the report to this file (owner-only permissions) instead of stdout")
	fs.Var(redactFlag{&f.redact, &f.redactSet}, "redact", "redact secrets in reports: --redact hides them whole, --redact=N hides N percent")
	fs.BoolVar(&f.noRedact, "no-redact", false, "show secrets whole in the text report, which otherwise shows only a few characters, terminal or not (JSON, CSV files carry them unless --redact)")
	fs.IntVar(&f.exitCode, "exit-code", ExitFindings, "exit code when findings are reported")
	fs.IntVar(&f.maxMB, "max-target-megabytes", 0, "skip files larger than this many megabytes (0: no limit; large files are streamed)")
	fs.IntVar(&f.threads, "threads", runtime.NumCPU(), "number of files scanned in parallel")
	fs.BoolVar(&f.noColor, "no-color", false, "never color the text report (also NO_COLOR)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level on stderr: debug, info, warn, error (debug lists skipped files and dropped candidates)")
	fs.StringVar(&f.baseline, "baseline-path", "", "report only findings not in this baseline: a leakhound baseline (leakhound baseline create), a leakhound JSON/JSONL report or a gitleaks JSON report")
	fs.StringVar(&f.summary, "summary-path", "", "also append a Markdown summary (counts and a table of findings, never a secret) to this file, e.g. $GITHUB_STEP_SUMMARY")
	fs.StringVar(&f.minConf, "min-confidence", "low", "report only findings at least this sure: low (everything), medium, high (checksum-valid and vendor-specific formats)")
	fs.IntVar(&f.decodeMax, "max-decode-depth", detect.DefaultDecodeDepth, "layers of base64, hex, percent-encoding and escaped strings to undo when looking for secrets inside encoded text (0: none)")
	// gitleaks' names for the same things, so its invocations work.
	for name, v := range map[string]*string{"c": &f.config, "r": &f.reportPath, "f": &f.format, "b": &f.baseline, "l": &f.logLevel} {
		fs.Var(stringAlias{v}, name, "gitleaks' short name for --"+map[string]string{"c": "config", "r": "report-path", "f": "report-format", "b": "baseline-path", "l": "log-level"}[name])
	}
	fs.StringVar(&f.glIgnorePath, "gitleaks-ignore-path", "", "a .gitleaksignore file, or a folder holding one (default: the scanned root's); its fingerprints are honoured beside .leakhoundignore's")
	fs.StringVar(&f.glIgnorePath, "i", "", "gitleaks' short name for --gitleaks-ignore-path")
	fs.BoolVar(&f.noGLAllow, "ignore-gitleaks-allow", false, "do not honour gitleaks:allow comments (leakhound:allow still counts)")
	fs.Var(&f.enableRules, "enable-rule", "only run these rules (repeatable, or comma-separated), as gitleaks --enable-rule")
	for _, name := range []string{"verbose", "v", "no-banner"} {
		fs.BoolVar(&f.ignoredGLFlag, name, false, "accepted for gitleaks scripts; no effect (findings are always printed unless --report-path)")
	}
	fs.StringVar(&f.ignorePath, "ignore-path", "", "file of fingerprints to ignore (default: .leakhoundignore in the scanned root)")
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	// flag calls Usage itself, on stderr, before returning ErrHelp or a
	// parse error; parseArgs prints it instead, to stdout for --help.
	fs.Usage = func() {}
	return fs
}

// printUsage writes a command's usage and its flags to w.
func printUsage(fs *flag.FlagSet, usage string, w io.Writer) {
	fmt.Fprint(w, usage)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// parseArgs parses a command's flags. It returns done=true with the exit
// code when the command must stop (help was asked for, or a usage error).
func parseArgs(fs *flag.FlagSet, usage string, args []string, env Env) ([]string, int, bool) {
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(fs, usage, env.Stdout)
		return nil, ExitClean, true
	}
	if err != nil {
		printUsage(fs, usage, env.Stderr) // flag already printed the problem
		return nil, ExitError, true
	}
	return pos, 0, false
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	l, err := parseLogLevel(level)
	if err != nil {
		return nil, err
	}
	return slog.New(newHumanHandler(w, l)), nil
}

// parseLogLevel reads --log-level.
func parseLogLevel(level string) (slog.Level, error) {
	switch strings.ToLower(level) {
	case "debug", "trace":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "fatal":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown --log-level %q (want debug, info, warn or error)", level)
}

// fileIsTerminal is the default Env.IsTerminal for *os.File writers.
func fileIsTerminal(isTerm func(fd int) bool) func(io.Writer) bool {
	return func(w io.Writer) bool {
		f, ok := w.(*os.File)
		return ok && isTerm(int(f.Fd()))
	}
}

// DefaultEnv is the process's real environment.
func DefaultEnv() Env {
	return Env{
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		IsTerminal: fileIsTerminal(term.IsTerminal),
	}
}
