package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakhound/leakhound/internal/testkit"
)

// syncBuffer is a bytes.Buffer safe for the progress bar's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testProgress is a display on buf whose ticker never fires: the test
// calls update itself, after setting the counters.
func testProgress(buf io.Writer) *progress {
	return &progress{out: &termOut{w: buf}, every: time.Hour}
}

// lastFrame returns what the display shows now: the text after the last
// carriage return, without the terminal's control sequences.
func lastFrame(s string) string {
	if i := strings.LastIndexByte(s, '\r'); i >= 0 {
		s = s[i+1:]
	}
	return strings.NewReplacer("\x1b[0K", "", "\x1b[2K", "").Replace(s)
}

func TestProgressRendersCounters(t *testing.T) {
	var buf syncBuffer
	p := testProgress(&buf)
	var found atomic.Int64
	p.start(&found)

	// The total is not known yet: a spinner with what has been read.
	if got := lastFrame(buf.String()); !strings.Contains(got, "leakhound: reading history, 0 findings, 0 B") {
		t.Errorf("first frame = %q", got)
	}
	p.counters.Bytes.Store(3 << 19) // 1.5 MB
	p.counters.Commits.Store(7)
	found.Store(1)
	p.update()
	if got := lastFrame(buf.String()); !strings.Contains(got, "leakhound: 7 commits, 1 finding, 1.5 MB") {
		t.Errorf("spinner frame = %q", got)
	}

	// Once the scan knows its total, a bar of commits.
	p.counters.CommitsTotal.Store(40)
	p.counters.Commits.Store(10)
	found.Store(2)
	p.update()
	got := lastFrame(buf.String())
	for _, want := range []string{"leakhound: 2 findings, 1.5 MB", " 25% ", "(10/40", "commits/s"} {
		if !strings.Contains(got, want) {
			t.Errorf("bar frame %q does not show %q", got, want)
		}
	}

	p.stop()
	out := buf.String()
	if !strings.HasSuffix(out, "\x1b[2K\r") && !strings.HasSuffix(out, eraseLine) {
		t.Errorf("the display is not erased at the end: %q", out[max(0, len(out)-80):])
	}
	// The spinner's own goroutine may wake once more: it must not draw.
	time.Sleep(250 * time.Millisecond)
	if again := buf.String(); again != out {
		t.Errorf("the display wrote after stop: %q", again[len(out):])
	}
	if strings.Contains(out, "\n") {
		t.Errorf("the display wrote a newline: %q", out)
	}
	p.stop() // stopping twice is harmless
}

func TestProgressFullBarClearsItself(t *testing.T) {
	var buf syncBuffer
	p := testProgress(&buf)
	p.counters.CommitsTotal.Store(3)
	p.counters.Commits.Store(3)
	p.start(nil)
	p.update() // a finished bar is left alone
	p.stop()
	if got := lastFrame(buf.String()); strings.TrimSpace(got) != "" {
		t.Errorf("left on screen: %q", got)
	}
}

// TestProgressLogLineMovesBar: a warning logged while the bar is drawn
// starts at the margin on a line of its own, not after the bar.
func TestProgressLogLineMovesBar(t *testing.T) {
	var buf syncBuffer
	p := testProgress(&buf)
	p.start(nil)
	log := p.logTo(nil)
	io.WriteString(log, "leakhound: warning: could not read path=a\n")
	out := buf.String()
	i := strings.Index(out, "leakhound: warning")
	if i < len(eraseLine) || out[i-len(eraseLine):i] != eraseLine {
		t.Errorf("log line not on a cleared line: %q", out)
	}
	p.update()
	p.stop()
	if out := buf.String(); !strings.HasSuffix(out, eraseLine) && !strings.HasSuffix(out, "\x1b[2K\r") {
		t.Errorf("not erased at the end: %q", out)
	}
}

func TestNewProgressOnlyOnATerminal(t *testing.T) {
	var stderr bytes.Buffer
	term := func(w io.Writer) bool { return w == &stderr }
	tests := []struct {
		name  string
		kind  string
		level string
		off   bool
		term  func(io.Writer) bool
		env   map[string]string
		want  bool
	}{
		{"git on a terminal", "git", "info", false, term, nil, true},
		{"audit on a terminal", "audit", "info", false, term, nil, true},
		{"audit --no-progress", "audit", "info", true, term, nil, false},
		{"warnings only", "git", "warn", false, term, nil, true},
		{"not a terminal", "git", "info", false, func(io.Writer) bool { return false }, nil, false},
		{"--no-progress", "git", "info", true, term, nil, false},
		{"--log-level debug", "git", "debug", false, term, nil, false},
		{"TERM=dumb", "git", "info", false, term, map[string]string{"TERM": "dumb"}, false},
		{"dir", "dir", "info", false, term, nil, false},
		{"stdin", "stdin", "info", false, term, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Env{Stderr: &stderr, IsTerminal: tt.term, Getenv: func(k string) string { return tt.env[k] }}
			p := newProgress(tt.kind, scanFlags{logLevel: tt.level}, tt.off, env)
			if (p != nil) != tt.want {
				t.Errorf("display = %v, want %v", p != nil, tt.want)
			}
			if p == nil && (p.Counters() != nil || p.logTo(&stderr) != &stderr) {
				t.Error("an absent display changes the scan")
			}
			p.start(nil) // must be harmless on an absent display
			p.stop()
		})
	}
}

func TestDescribeProgress(t *testing.T) {
	tests := []struct {
		found, bytes, commits int64
		known                 bool
		want                  string
	}{
		{0, 0, 0, false, "leakhound: reading history, 0 findings, 0 B"},
		{1, 2048, 0, false, "leakhound: reading history, 1 finding, 2.0 kB"},
		{3, 5 << 20, 12, false, "leakhound: 12 commits, 3 findings, 5.0 MB"},
		{3, 5 << 20, 12, true, "leakhound: 3 findings, 5.0 MB"},
	}
	for _, tt := range tests {
		if got := describeProgress(tt.found, tt.bytes, tt.commits, tt.known); got != tt.want {
			t.Errorf("describeProgress(%d, %d, %d, %v) = %q, want %q", tt.found, tt.bytes, tt.commits, tt.known, got, tt.want)
		}
	}
}

// TestGitProgressEndToEnd runs `leakhound git` with stderr on a (fake)
// terminal: the display shows on stderr and is erased before the summary,
// and stdout is the same JSON report as without a terminal. History may or
// may not update the counters, so only the display's presence is checked.
func TestGitProgressEndToEnd(t *testing.T) {
	dir, commit := gitRepo(t)
	commit("app/config.env", "NAME=shop\n", "initial", "2024-01-01T10:00:00Z")
	commit("app/config.env", "NAME=shop\nTOKEN="+testkit.TokA+"\n", "add token", "2024-01-02T10:00:00Z")
	cfg := writeConfig(t, tokRuleNamed("test-token"))

	run := func(terminal bool, extra ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr syncBuffer
		env := Env{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""),
			IsTerminal: func(w io.Writer) bool { return terminal && w == &stderr }}
		args := append([]string{"git", dir, "--config", cfg, "--report-format", "json"}, extra...)
		code := Run(context.Background(), args, env)
		if strings.Contains(stderr.String(), testkit.TokA) {
			t.Errorf("%q: the secret is on stderr", args)
		}
		return code, stdout.String(), stderr.String()
	}
	for _, mode := range [][]string{nil, {"--branch", "main"}} {
		name := "all refs"
		if mode != nil {
			name = "one branch"
		}
		t.Run(name, func(t *testing.T) {
			code, plain, plainErr := run(false, mode...)
			if code != ExitFindings {
				t.Fatalf("exit %d; stderr:\n%s", code, plainErr)
			}
			if strings.ContainsAny(plainErr, "\r\x1b") {
				t.Errorf("not a terminal, yet stderr has terminal controls: %q", plainErr)
			}

			code, out, errOut := run(true, mode...)
			if code != ExitFindings {
				t.Fatalf("terminal: exit %d; stderr:\n%s", code, errOut)
			}
			if out != plain {
				t.Errorf("stdout differs on a terminal:\n%s\nwant:\n%s", out, plain)
			}
			var findings []map[string]any
			if err := json.Unmarshal([]byte(out), &findings); err != nil || len(findings) != 1 {
				t.Errorf("stdout is not the one-finding JSON report (%v): %q", err, out)
			}
			if !strings.Contains(errOut, "leakhound: reading history") && !strings.Contains(errOut, " findings, ") {
				t.Errorf("no progress display on stderr: %q", errOut)
			}
			// The summary starts on a clean line: the display was erased.
			i := strings.Index(errOut, "leakhound: 1 finding(s) in")
			if i < 0 {
				t.Fatalf("no summary: %q", errOut)
			}
			before := errOut[:i]
			if !strings.HasSuffix(before, "\x1b[2K\r") && !strings.HasSuffix(before, eraseLine) {
				t.Errorf("summary not on an erased line: %q", errOut)
			}
			if strings.ContainsAny(errOut[i:], "\r\x1b") {
				t.Errorf("the display wrote after the summary: %q", errOut[i:])
			}

			for _, flag := range []string{"--no-progress", "--log-level=debug"} {
				_, _, errOut := run(true, append(mode, flag)...)
				if strings.ContainsAny(errOut, "\r\x1b") {
					t.Errorf("%s: stderr has terminal controls: %q", flag, errOut)
				}
			}
		})
	}
}
