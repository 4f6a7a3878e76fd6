package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/leakhound/leakhound/internal/pipeline"
	"github.com/leakhound/leakhound/rules"
)

const rulesUsage = `Usage:
  leakhound rules list  [--config FILE]   list the rules in force
  leakhound rules check [--config FILE]   check a configuration: TOML, unknown keys, regexes
                                          (compiled with RE2), and every rule's examples and
                                          negatives run through the scanning pipeline.
                                          Every problem is reported at once; exit 2 if any.
`

func runRules(args []string, env Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := env.Stderr
		code := ExitError
		if len(args) > 0 {
			w, code = env.Stdout, ExitClean
		}
		fmt.Fprint(w, rulesUsage)
		return code
	}
	sub := args[0]
	if sub != "list" && sub != "check" {
		fmt.Fprintf(env.Stderr, "leakhound rules: unknown subcommand %q\n\n%s", sub, rulesUsage)
		return ExitError
	}
	fs := newFlagSet("rules "+sub, env)
	cfg := fs.String("config", "", "config file (default: the built-in rules; env LEAKHOUND_CONFIG)")
	pos, code, done := parseArgs(fs, rulesUsage, args[1:], env)
	if done {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "leakhound rules %s: unexpected argument %q\n", sub, pos[0])
		return ExitError
	}
	log, _ := newLogger("warn", env.Stderr)
	set, _, err := loadConfig(*cfg, "", env, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	if sub == "list" {
		listRules(set, env)
		return ExitClean
	}
	return checkRules(set, env)
}

func listRules(set *rules.Set, env Env) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tKEYWORDS\tDESCRIPTION")
	for _, r := range set.Rules {
		kw := strings.Join(r.Keywords, ",")
		if len(kw) > 40 {
			kw = kw[:37] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, kw, r.Description)
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "%d rules from %s\n", len(set.Rules), set.Source)
}

func checkRules(set *rules.Set, env Env) int {
	errs := pipeline.CheckRules(set)
	if err := errs.Err(); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	examples := 0
	for _, r := range set.Rules {
		examples += len(r.Examples) + len(r.Negatives)
	}
	fmt.Fprintf(env.Stdout, "%s: %d rules OK (%d examples and negatives checked)\n", set.Source, len(set.Rules), examples)
	return ExitClean
}
