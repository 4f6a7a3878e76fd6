package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/testkit"
)

// failing is a source whose every item is unreadable.
type failing struct {
	n  int
	ev source.Events
}

func (f failing) Scan(context.Context, source.Emit) error {
	for i := range f.n {
		f.ev.Failed(fmt.Sprintf("blob-%03d", i), errors.New("missing"))
	}
	return nil
}

// TestFailureWarningsAreCapped: thousands of unreadable items (a partial
// clone) are all counted, but only the first few are warnings.
func TestFailureWarningsAreCapped(t *testing.T) {
	var logs bytes.Buffer
	sc := New(testkit.Set(t, testkit.TokRule), Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	res := sc.Run(context.Background(), func(ev source.Events) source.Source { return failing{500, ev} })
	if len(res.Failures) != 500 || !res.Incomplete() {
		t.Fatalf("failures %d, incomplete %v", len(res.Failures), res.Incomplete())
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != maxFailureWarnings+1 {
		t.Errorf("%d warnings, want %d:\n%s", n, maxFailureWarnings+1, logs.String())
	}
	if !strings.Contains(logs.String(), "summary counts them") {
		t.Errorf("no note that more failed:\n%s", logs.String())
	}
}

// TestRunFinder: candidates a Finder emits go through the filter chain.
func TestRunFinder(t *testing.T) {
	sc := New(testkit.Set(t, testkit.TokRule), Options{})
	res := sc.RunFinder(context.Background(), func(ev source.Events) source.Finder { return finder{} })
	if len(res.Findings) != 1 || res.Findings[0].Secret != testkit.TokA || res.Stats.Candidates != 2 || sc.Found.Load() != 1 {
		t.Errorf("findings %+v, candidates %d", res.Findings, res.Stats.Candidates)
	}
}

type finder struct{}

func (finder) Find(_ context.Context, det source.DetectFunc, emit func([]detect.Finding) error) error {
	cands, err := det(&detect.Fragment{Content: []byte("a = " + testkit.TokA + "\nb = " + testkit.TokB + " // leakhound:allow\n"), StartLine: 1})
	if err != nil {
		return err
	}
	return emit(cands)
}
