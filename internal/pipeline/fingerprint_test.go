package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/delta"
	"github.com/leakhound/leakhound/internal/filter"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/history"
	"github.com/leakhound/leakhound/internal/pipeline"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/staged"
	"github.com/leakhound/leakhound/internal/testkit"
)

// fpCheck records every way a finding's fingerprint can go wrong: the
// detector computing one for a finding whose provenance is not final
// yet (an unplaced fragment's, which attribution fingerprints again), or
// a candidate reaching the filters without the fingerprint of its final
// provenance.
type fpCheck struct {
	d        *detect.Detector
	mu       sync.Mutex
	problems []string
	filtered int
}

func (c *fpCheck) problem(format string, args ...any) {
	c.mu.Lock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// detected checks what the detector returned for f.
func (c *fpCheck) detected(f *detect.Fragment, fs []detect.Finding) {
	for i := range fs {
		switch x := &fs[i]; {
		case !f.Placed() && x.Fingerprint != "":
			c.problem("unplaced %s finding fingerprinted by the detector: %q", x.RuleID, x.Fingerprint)
		case f.Placed() && x.Fingerprint != detect.Fingerprint(x):
			c.problem("%s at %s: detector's fingerprint %q", x.RuleID, x.Path, x.Fingerprint)
		}
	}
}

func (c *fpCheck) Detect(f *detect.Fragment) ([]detect.Finding, error) {
	fs, err := c.d.Detect(f)
	c.detected(f, fs)
	return fs, err
}

func (c *fpCheck) DetectMemo(f *detect.Fragment) ([]detect.Finding, detect.Memo, error) {
	fs, m, err := c.d.DetectMemo(f)
	c.detected(f, fs)
	return fs, m, err
}

func (c *fpCheck) DetectChanged(f *detect.Fragment, base []byte, changed []delta.Span, copies []delta.Copy, prior detect.Memo) ([]detect.Finding, detect.Memo, error) {
	fs, m, err := c.d.DetectChanged(f, base, changed, copies, prior)
	c.detected(f, fs)
	return fs, m, err
}

// The filter chain's first stage: it drops nothing, it looks.
func (c *fpCheck) Name() string { return "fingerprint check" }

func (c *fpCheck) Drop(f *detect.Finding) (bool, string) {
	c.mu.Lock()
	c.filtered++
	c.mu.Unlock()
	if f.Fingerprint == "" || f.Fingerprint != detect.Fingerprint(f) {
		c.problem("%s at %s (commit %q) reached the filters with fingerprint %q", f.RuleID, f.Path, f.Commit, f.Fingerprint)
	}
	return false, ""
}

// TestEveryFindingFingerprintedOnce: on every scan path (a directory, a
// stream, what is staged, a commit range, a history read from packs, by
// their deltas or through cat-file, and a state's incremental scan) each
// candidate reaches the filters and the report with the fingerprint of
// its final provenance ("full" and "incremental" are a state's
// runs), computed where that provenance became final: the
// detector leaves an unplaced blob's findings without one.
func TestEveryFindingFingerprintedOnce(t *testing.T) {
	set := testkit.Set(t, testkit.TokRule)
	r := testkit.NewRepo(t)
	r.Write("a.txt", "one\n"+strings.Repeat("filler line\n", 40)+"tok = "+testkit.TokA+"\n")
	r.Commit("a")
	r.Write("a.txt", "one\n"+strings.Repeat("filler line\n", 40)+"tok = "+testkit.TokA+"\nand = "+testkit.TokB+"\n")
	r.Write("dir/b.txt", "b = "+testkit.TokB+"\n")
	r.Commit("b")
	r.Git("repack", "-q", "-adf")
	r.Write("c.txt", "c = "+testkit.TokA+"\n")
	r.Git("add", "c.txt")
	ctx := context.Background()
	g, err := gitplumb.Open(ctx, r.Dir, "")
	if err != nil {
		t.Fatal(err)
	}
	packs := func(catFile bool, ev source.Events, inc pipeline.Incremental) *history.PackScan {
		return &history.PackScan{Git: g, Threads: 2, Events: ev, Incremental: inc, CatFile: catFile}
	}
	// The state's runs: a full scan, then, from its state, an
	// incremental one after a new commit.
	var last *history.StateScan
	stateScan := func(ev source.Events, inc pipeline.Incremental) source.Finder {
		var prior *history.ScanState
		if last != nil {
			prior = last.Result
		}
		last = &history.StateScan{Scan: packs(false, ev, inc), Prior: prior, Key: history.StateKey("test")}
		return last
	}
	type run func(*pipeline.Scanner) *pipeline.Result
	scan := func(src func(source.Events) source.Source) run {
		return func(s *pipeline.Scanner) *pipeline.Result { return s.Run(ctx, src) }
	}
	find := func(src func(source.Events, pipeline.Incremental) source.Finder) run {
		return func(s *pipeline.Scanner) *pipeline.Result { return s.RunIncremental(ctx, src) }
	}
	runs := []struct {
		name string
		run  run
		min  int
	}{
		{"dir", scan(func(ev source.Events) source.Source { return &source.Dir{Roots: []string{r.Dir}, Events: ev} }), 3},
		{"stdin", scan(func(ev source.Events) source.Source {
			return &source.Stdin{R: strings.NewReader("x = " + testkit.TokA + "\n"), Events: ev}
		}), 1},
		{"staged", scan(func(ev source.Events) source.Source { return &staged.Source{Git: g, Events: ev} }), 1},
		{"range", scan(func(ev source.Events) source.Source {
			return &history.Walk{Git: g, Args: []string{"HEAD"}, Events: ev}
		}), 3},
		{"packs", find(func(ev source.Events, inc pipeline.Incremental) source.Finder { return packs(false, ev, inc) }), 3},
		{"cat-file", find(func(ev source.Events, inc pipeline.Incremental) source.Finder { return packs(true, ev, inc) }), 3},
		{"full", find(stateScan), 3},
		{"incremental", find(stateScan), 1},
	}
	for _, tt := range runs {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "incremental" {
				r.Write("d.txt", "d = "+testkit.TokB+"\n")
				r.Commit("d")
			}
			c := &fpCheck{d: detect.New(set, nil)}
			s := &pipeline.Scanner{Detector: c, Chain: filter.NewChain(nil, c)}
			res := tt.run(s)
			if res.Err != nil || len(res.Failures) > 0 {
				t.Fatalf("scan: %v %v", res.Err, res.Failures)
			}
			if c.filtered < tt.min || len(res.Findings) < tt.min {
				t.Errorf("%d candidates, %d findings; want at least %d", c.filtered, len(res.Findings), tt.min)
			}
			for i := range res.Findings {
				if f := &res.Findings[i]; f.Fingerprint != detect.Fingerprint(f) {
					t.Errorf("%s at %s reported with fingerprint %q", f.RuleID, f.Path, f.Fingerprint)
				}
			}
			for _, p := range c.problems {
				t.Error(p)
			}
			if (tt.name == "full" || tt.name == "incremental") && last.Mode != tt.name {
				t.Errorf("the state's scan ran %q (%s), want %q", last.Mode, last.Reason, tt.name)
			}
		})
	}
}
