package regex

import (
	"fmt"
	"strings"
	"testing"
)

// TestAdaptiveSwitchesAndAgrees: the same matches before and after the
// switch to RE2, which happens once the time budget is spent.
func TestAdaptiveSwitchesAndAgrees(t *testing.T) {
	const pattern = `(?mi)(?:key|token)\s*[:=]\s*["']?([a-z0-9_\-]{8,})`
	r, err := Adaptive{}.Compile(pattern)
	if err != nil {
		t.Fatal(err)
	}
	a := r.(*adaptive)
	line := []byte("x = 1\nAPI_KEY = \"abc_defg-1234\"\ntoken: zzzzzzzz9\n")
	want := fmt.Sprint(a.std.FindAllSubmatchIndex(line, -1))
	if a.NumSubexp() != 1 {
		t.Errorf("NumSubexp = %d", a.NumSubexp())
	}
	for calls := 0; a.re2.Load() == nil && calls < 10_000_000; calls++ {
		if got := fmt.Sprint(r.FindAllSubmatchIndex(line, -1)); got != want {
			t.Fatalf("after %d calls: %s, want %s", calls, got, want)
		}
	}
	if got := fmt.Sprint(r.FindAllSubmatchIndex(line, -1)); got != want {
		t.Fatalf("on RE2: %s, want %s", got, want)
	}
	if a.re2.Load() == nil {
		t.Error("never switched to RE2")
	}
	if !r.Match(line) || r.Match([]byte(strings.Repeat("nothing ", 10))) {
		t.Error("Match disagrees")
	}
}

// TestAdaptiveRejectsWhatNeitherAccepts names the problem.
func TestAdaptiveRejectsWhatNeitherAccepts(t *testing.T) {
	if _, err := (Adaptive{}).Compile(`(unclosed`); err == nil {
		t.Error("no error")
	}
}
