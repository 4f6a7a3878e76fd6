package cli

import (
	"bytes"
	"testing"
	"time"
)

// TestBarFrames pins the frames: those github.com/schollz/progressbar
// drew with the options leakhound used before the bar was its own.
func TestBarFrames(t *testing.T) {
	desc := "leakhound: 2 findings, 1.5 MB"
	tests := []struct {
		name    string
		b       bar
		elapsed time.Duration
		want    string
	}{
		{"spinner", bar{desc: "leakhound: reading history, 0 findings, 0 B"}, 0,
			"\r| leakhound: reading history, 0 findings, 0 B  [0s] \x1b[0K"},
		{"spinner turns every 100ms", bar{desc: "leakhound: 7 commits, 1 finding, 1.5 MB"}, 3350 * time.Millisecond,
			"\r/ leakhound: 7 commits, 1 finding, 1.5 MB  [3s] \x1b[0K"},
		{"empty bar", bar{desc: desc, total: 40}, 0,
			"\rleakhound: 2 findings, 1.5 MB   0% [....................] (0/40, 0 commits/hr) [0s:0s]\x1b[0K"},
		{"overall rate", bar{desc: desc, total: 40, n: 10}, 3 * time.Second,
			"\rleakhound: 2 findings, 1.5 MB  25% [====>...............] (10/40, 3 commits/s) [3s:9s]\x1b[0K"},
		{"mean of recent rates", bar{desc: desc, total: 40, n: 10, rates: []float64{0.25, 0.75}}, 65 * time.Second,
			"\rleakhound: 2 findings, 1.5 MB  25% [====>...............] (10/40, 30 commits/min) [1m5s:1m0s]\x1b[0K"},
		{"nearly full", bar{desc: desc, total: 1000, n: 999, rates: []float64{100}}, time.Second,
			"\rleakhound: 2 findings, 1.5 MB  99% [==================>.] (999/1000, 100 commits/s) [1s:0s]\x1b[0K"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.frame(tt.elapsed); got != tt.want {
				t.Errorf("frame =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestBarErasesWhenDone: a bar that reaches its total, or is finished,
// erases its line; one never drawn writes nothing.
func TestBarErasesWhenDone(t *testing.T) {
	var buf bytes.Buffer
	b := newBar(&buf, 3, "d")
	b.set(2)
	buf.Reset()
	b.set(3)
	if buf.String() != eraseBar || !b.finished {
		t.Errorf("at its total: wrote %q, finished %v", buf.String(), b.finished)
	}
	s := newBar(&buf, 0, "d")
	buf.Reset()
	s.finish()
	if buf.String() != eraseBar {
		t.Errorf("finished spinner wrote %q", buf.String())
	}
	buf.Reset()
	(&bar{w: &buf, total: 5}).finish()
	if buf.Len() != 0 {
		t.Errorf("a bar never drawn wrote %q", buf.String())
	}
}
