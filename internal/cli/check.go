package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	"github.com/leakhound/leakhound/internal/pipeline"
	"github.com/leakhound/leakhound/internal/sopscheck"
	"github.com/leakhound/leakhound/report"
	"github.com/leakhound/leakhound/rules"
)

const checkUsage = `Usage: leakhound check [PATH] [flags]

Check secrets kept as code with SOPS, offline (no key needed):
  - every value of a SOPS file (YAML, JSON, .env, INI with sops metadata)
    is encrypted (ENC[...]) unless the file's own settings leave it
    plaintext (unencrypted_suffix, encrypted_suffix, unencrypted_regex,
    encrypted_regex and the comment selectors);
  - files under the [check] secrets_dirs of .leakhound.toml are SOPS files;
  - every environment defines the keys its production file has, directly
    or through a defaults file ([[check.parity]], or by convention: in a
    folder with production.<ext>, the other *.<ext> files, default.<ext>
    holding defaults; in a folder with sensitive/ and nonsensitive/, each
    <env>.<ext> of both merged with default.<ext>, against production's
    files of both);
  - each SOPS file is encrypted to the keys (age, KMS, PGP, GCP KMS) that
    the first matching creation rule of its .sops.yaml names;
  - plaintext development secrets ([check] dev_secrets) carry at least 128
    bits (total-bits estimate), except keys in exempt_keys and values of
    vendor formats that are low-entropy by design.
Reports in every --report-format; exit codes as for scans.
`

func runCheck(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("check", env)
	var f scanFlags
	f.register(fs)
	pos, code, done := parseArgs(fs, checkUsage, args, env)
	if done {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(env.Stderr, "leakhound check: takes one folder (got %d arguments)\n", len(pos))
		return ExitError
	}
	root := "."
	if len(pos) == 1 {
		root = pos[0]
	}
	log, rep, set, err := commandSetup(f, root, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	cfg := set.Check
	if cfg == nil {
		cfg = &rules.CheckConfig{}
	}
	// The exemption list: the built-in rules' low-entropy vendor formats,
	// and the configuration's own, whatever it extends.
	builtin, err := loader().Default()
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: built-in rules are broken (a leakhound bug): %v\n", err)
		return ExitError
	}
	own, std := lowEntropyVendor(set), lowEntropyVendor(builtin)
	cfg.Exempt = func(v string) bool { return own(v) || std(v) }
	start := time.Now()
	findings, errs := sopscheck.Check(root, cfg)
	res := &pipeline.Result{Findings: findings}
	for _, e := range errs {
		res.Failures = append(res.Failures, pipeline.Failure{Path: root, Err: e.Error()})
		log.Warn("could not check", "error", e)
	}
	if err := writeReport(f.reportPath, env.Stdout, func(w io.Writer) error {
		return rep.Write(w, findings, withTool(report.Options{Redact: f.redact, Reveal: f.noRedact,
			Color: f.format == "text" && !f.noColor && env.IsTerminal(env.Stdout), Incomplete: incomplete(res)}, f.format, env, log))
	}); err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	fmt.Fprintf(env.Stderr, "leakhound check: %d problem(s) in %s in %s\n", len(findings), root, time.Since(start).Round(time.Millisecond))
	return exitCode(ctx, res, len(findings), f, env, log, "check")
}

// lowEntropyVendor reports whether a value is wholly a token of a vendor
// format that is low-entropy by design (a rule with low_entropy): such a
// development value is exempt from the 128-bit floor.
func lowEntropyVendor(set *rules.Set) func(string) bool {
	var res []*regexp.Regexp
	for _, r := range set.Rules {
		if r.LowEntropy == "" || r.Regex == "" {
			continue
		}
		if re, err := regexp.Compile(r.Regex); err == nil {
			res = append(res, re)
		}
	}
	return func(v string) bool {
		for _, re := range res {
			if m := re.FindStringSubmatch(v); m != nil {
				for _, g := range m {
					if g == v {
						return true
					}
				}
			}
		}
		return false
	}
}

// commandSetup is what check and mask need before they start: the logger,
// the reporter for --report-format, and the configuration for root.
func commandSetup(f scanFlags, root string, env Env) (*slog.Logger, report.Reporter, *rules.Set, error) {
	log, err := newLogger(f.logLevel, env.Stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	rep, err := report.New(f.format)
	if err != nil {
		return nil, nil, nil, err
	}
	set, _, err := loadConfig(f.config, root, env, log)
	return log, rep, set, err
}
