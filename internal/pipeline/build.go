package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/filter"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/rules"
)

// Options configure a Scanner built by New.
type Options struct {
	// Ignore holds fingerprints to drop (.leakhoundignore); may be nil.
	Ignore *filter.Ignore
	// Baseline holds findings an earlier scan reported
	// (--baseline-path); may be nil.
	Baseline *filter.Baseline
	// MinConfidence drops candidates less sure than this (--min-confidence);
	// unset keeps every confidence.
	MinConfidence rules.Confidence
	// DecodeDepth, when not nil, is how many layers of encoding the
	// detector undoes (--max-decode-depth); nil keeps the default.
	DecodeDepth *int
	// IgnoreGitleaksAllow makes gitleaks:allow comments count for nothing.
	IgnoreGitleaksAllow bool
	// Log receives warnings, and at debug level every dropped candidate
	// (rule, path, line and reason; never the secret). Nil is silent.
	Log *slog.Logger
	// Detector, when not nil, is a detector already built for the set
	// (detect.New(set, nil)), used rather than building another: the CLI
	// builds the built-in rules' one while it opens what it scans.
	Detector *detect.Detector
}

// New builds the scanner the CLI uses for a rule set: the detector, then
// the filter chain in its fixed order (DESIGN §5): overlap resolution
// (every chain starts with it), inline allow, rule allowlists, global
// allowlists, confidence threshold, ignore file, baseline.
func New(set *rules.Set, opt Options) *Scanner {
	var explain func(filter.Drop)
	if opt.Log != nil && opt.Log.Enabled(context.Background(), slog.LevelDebug) {
		explain = func(d filter.Drop) {
			opt.Log.Debug("dropped candidate", "rule", d.RuleID, "path", d.Path, "line", d.Line, "stage", d.Stage, "reason", d.Reason)
		}
	}
	global := filter.NewGlobal(set)
	global.Builtin = config.DefaultName
	stages := []filter.Stage{filter.Inline{NoGitleaks: opt.IgnoreGitleaksAllow}, filter.NewRuleAllowlists(set), global}
	if opt.MinConfidence > rules.ConfidenceLow {
		stages = append(stages, filter.MinConfidence(opt.MinConfidence))
	}
	if opt.Ignore != nil {
		stages = append(stages, opt.Ignore)
	}
	if opt.Baseline != nil {
		stages = append(stages, opt.Baseline)
	}
	d := opt.Detector
	if d == nil {
		d = detect.New(set, nil)
	}
	if opt.DecodeDepth != nil {
		d.SetDecodeDepth(*opt.DecodeDepth)
	}
	return &Scanner{
		Detector: d,
		Chain:    filter.NewChain(explain, stages...),
		Global:   global,
		Caps:     set.Caps,
		Log:      opt.Log,
	}
}

// CheckRules runs every rule's examples and negatives through the same
// pipeline a scan uses, and returns every problem: an example that yields
// no finding of its rule, or a negative that yields one. Patterns are
// compiled first, so a regex RE2 rejects is named too.
func CheckRules(set *rules.Set) rules.ErrorList {
	var errs rules.ErrorList
	d := detect.New(set, nil)
	s := New(set, Options{Detector: d})
	bad := map[string]bool{}
	for _, r := range set.Rules {
		if err := d.Compile(func(x *rules.Rule) bool { return x == r }); err != nil {
			bad[r.ID] = true
			errs.Add(r.File, r.Line, r.ID, "regex does not compile with RE2: %v", unwrapRuleErr(err))
		}
	}
	for _, r := range set.Rules {
		if len(r.Examples) == 0 {
			errs.Add(r.File, r.Line, r.ID, "rule has no examples")
		}
		if len(r.Negatives) == 0 {
			errs.Add(r.File, r.Line, r.ID, "rule has no negatives")
		}
		if bad[r.ID] {
			continue
		}
		path := r.ExamplePath
		if path == "" {
			path = "example.txt"
		}
		for i, ex := range r.Examples {
			if n := s.count(ex, path, r.ID); n == 0 {
				errs.Add(r.File, r.Line, r.ID, "example %d yields no finding of this rule", i+1)
			} else if r.Checksum != "" && !s.allHigh(ex, path, r.ID) {
				errs.Add(r.File, r.Line, r.ID, "example %d fails the rule's %s checksum: examples must be well-formed", i+1, r.Checksum)
			}
		}
		for i, neg := range r.Negatives {
			if n := s.count(neg, path, r.ID); n > 0 {
				errs.Add(r.File, r.Line, r.ID, "negative %d yields %d finding(s) of this rule", i+1, n)
			}
		}
	}
	return errs
}

func (s *Scanner) count(content, path, ruleID string) int {
	res := s.Run(context.Background(), func(source.Events) source.Source {
		return source.Bytes{Content: []byte(content), Path: path}
	})
	n := 0
	for _, f := range res.Findings {
		if f.RuleID == ruleID {
			n++
		}
	}
	return n
}

// allHigh reports whether every finding of ruleID in content is high
// confidence (for a checksum rule: its checksum holds).
func (s *Scanner) allHigh(content, path, ruleID string) bool {
	fs, _ := s.ExampleFindings(content, path)
	for _, f := range fs {
		if f.RuleID == ruleID && f.Confidence != rules.ConfidenceHigh {
			return false
		}
	}
	return true
}

// ExampleFindings returns the findings the pipeline reports for one
// example, for tests that want to look closer.
func (s *Scanner) ExampleFindings(content, path string) ([]detect.Finding, error) {
	res := s.Run(context.Background(), func(source.Events) source.Source {
		return source.Bytes{Content: []byte(content), Path: path}
	})
	if res.Err != nil {
		return nil, fmt.Errorf("scan: %w", res.Err)
	}
	return res.Findings, nil
}

// unwrapRuleErr strips the detector's "rule %q:" prefix, which the
// ErrorList adds itself.
func unwrapRuleErr(err error) error {
	if u, ok := err.(interface{ Unwrap() []error }); ok && len(u.Unwrap()) == 1 {
		err = u.Unwrap()[0]
	}
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
