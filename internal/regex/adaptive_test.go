package regex

import (
	"fmt"
	"strings"
	"testing"
)

// TestAdaptiveSwitchesAndAgrees: the same matches before and after the
// switch to RE2, which happens once the threshold is passed.
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
	for seen := 0; seen <= AdaptiveThreshold+len(line); seen += len(line) {
		if got := fmt.Sprint(r.FindAllSubmatchIndex(line, -1)); got != want {
			t.Fatalf("after %d bytes (re2 %v): %s, want %s", seen, a.re2.Load() != nil, got, want)
		}
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
