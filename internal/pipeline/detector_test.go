package pipeline

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/delta"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/testkit"
)

// counting wraps a Detector and counts the fragments it is given.
type counting struct {
	Detector
	calls atomic.Int64
}

func (c *counting) Detect(f *detect.Fragment) ([]detect.Finding, error) {
	c.calls.Add(1)
	return c.Detector.Detect(f)
}

// TestDetectorCanBeWrapped: the detector is a seam. A wrapper sees every
// fragment a scan runs, whether the source runs detection itself or not,
// and the result is the unwrapped scanner's.
func TestDetectorCanBeWrapped(t *testing.T) {
	content := []byte("a = " + testkit.TokA + "\nb = " + testkit.TokB + "\n")
	bytesSrc := func(source.Events) source.Source { return source.Bytes{Content: content, Path: "a.env"} }
	plain := New(testkit.Set(t, testkit.TokRule), Options{}).Run(context.Background(), bytesSrc)

	sc := New(testkit.Set(t, testkit.TokRule), Options{})
	c := &counting{Detector: sc.Detector}
	sc.Detector = c
	res := sc.Run(context.Background(), bytesSrc)
	if c.calls.Load() != 1 {
		t.Errorf("the wrapper saw %d fragments, want 1", c.calls.Load())
	}
	if !reflect.DeepEqual(res.Findings, plain.Findings) || len(res.Findings) != 2 {
		t.Errorf("wrapped: %+v\nplain: %+v", res.Findings, plain.Findings)
	}

	// A wrapper that is not an Incremental is not bypassed: a source
	// that scans by changes is given none, and detects through the run.
	got := Incremental(incremental{})
	res = sc.RunIncremental(context.Background(), func(_ source.Events, inc Incremental) source.Finder {
		got = inc
		return finder{}
	})
	if got != nil {
		t.Errorf("a wrapped detector handed the source an Incremental %T", got)
	}
	if c.calls.Load() != 2 || len(res.Findings) != 1 {
		t.Errorf("after a finder: %d calls, %d findings; want 2, 1", c.calls.Load(), len(res.Findings))
	}
}

// badRule has a keyword and a pattern RE2 rejects (an impossible
// repeat count, set after loading, as the parser accepts it): the
// detector fails to compile it when its keyword first occurs.
const badRule = `
[[rules]]
id = "bad"
description = "impossible repeat"
regex = '''bad_([a-z]+)'''
keywords = ["bad_"]
`

// incFinder scans its content through the run's Incremental: once whole,
// then as a new version of itself with one line added.
type incFinder struct {
	inc Incremental
}

func (f incFinder) Find(_ context.Context, _ source.DetectFunc, emit func([]detect.Finding) error) error {
	old := []byte("a = " + testkit.TokA + "\nx = bad_value\n")
	fr := &detect.Fragment{Content: old, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindHistory, Path: "a.env"}}
	found, memo, err := f.inc.DetectMemo(fr)
	if err != nil {
		return err
	}
	if err := emit(found); err != nil {
		return err
	}
	add := "b = " + testkit.TokB + " bad_more\n"
	cur := append(append([]byte{}, old...), add...)
	fr = &detect.Fragment{Content: cur, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindHistory, Path: "b.env"}}
	found, _, err = f.inc.DetectChanged(fr, old, []delta.Span{{Lo: len(old), Hi: len(cur)}}, []delta.Copy{{To: 0, From: 0, Len: len(old)}}, memo)
	if err != nil {
		return err
	}
	return emit(found)
}

// TestUncompilablePatternOnePolicy: a rule whose pattern does not compile
// is handled alike on both scan paths, fragment by fragment (Run) and by
// changes (RunIncremental): the scan's error names it, and what the other
// rules found is still reported.
func TestUncompilablePatternOnePolicy(t *testing.T) {
	set := testkit.Set(t, testkit.TokRule+badRule)
	set.Rules[1].Regex = `bad_([a-z]{1001})`
	perFile := New(set, Options{}).Run(context.Background(), func(source.Events) source.Source {
		return source.Bytes{Content: []byte("a = " + testkit.TokA + "\nx = bad_value\n"), Path: "a.env"}
	})
	byChanges := New(set, Options{}).RunIncremental(context.Background(), func(_ source.Events, inc Incremental) source.Finder {
		return incFinder{inc}
	})
	for name, res := range map[string]*Result{"per file": perFile, "by changes": byChanges} {
		if res.Err == nil || !strings.Contains(res.Err.Error(), `rule "bad"`) {
			t.Errorf("%s: error %v, want one naming rule bad", name, res.Err)
		}
		if len(res.Findings) == 0 || res.Findings[0].Secret != testkit.TokA {
			t.Errorf("%s: findings %+v, want the working rule's", name, res.Findings)
		}
	}
	if len(byChanges.Findings) != 3 {
		t.Errorf("by changes: %d findings, want tok's three (the old version's, carried, and the new one)", len(byChanges.Findings))
	}
}
