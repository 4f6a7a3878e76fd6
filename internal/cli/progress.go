package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/leakhound/leakhound/internal/history"
)

// progressEvery is how often the progress display reads the counters.
const progressEvery = 150 * time.Millisecond

// progress shows a running history scan on stderr: commits done of the
// total once the scan knows it (a spinner until then), findings so far and
// megabytes read. It only polls counters the scan keeps anyway
// (history.Counters, pipeline.Scanner.Found) from a goroutine of its own,
// so the scan never waits on the terminal, and it never writes to stdout.
// A nil *progress is a display that is off; every method accepts it.
type progress struct {
	counters history.Counters
	out      *termOut
	every    time.Duration

	found   *atomic.Int64
	stopc   chan struct{}
	done    chan struct{}
	started bool
	stopped bool

	// Owned by the polling goroutine until it is done.
	bar   *progressbar.ProgressBar
	total int64 // the bar's total; 0 while it is a spinner
	desc  string
}

// newProgress returns the display for a scan, or nil when there must be
// none: not a history scan, stderr is not a terminal (or a dumb one),
// --no-progress, or --log-level debug, whose stream of lines is meant to
// be read (or piped) whole.
func newProgress(kind string, f scanFlags, off bool, env Env) *progress {
	switch {
	case kind != "git" && kind != "audit", off, env.Stderr == nil, !env.IsTerminal(env.Stderr),
		env.Getenv("TERM") == "dumb", isDebug(f.logLevel):
		return nil
	}
	return &progress{out: &termOut{w: env.Stderr}, every: progressEvery}
}

func isDebug(level string) bool {
	l := strings.ToLower(level)
	return l == "debug" || l == "trace"
}

// Counters returns the counters a history source should keep up to date,
// or nil when there is no display.
func (p *progress) Counters() *history.Counters {
	if p == nil {
		return nil
	}
	return &p.counters
}

// logTo returns the writer log lines should go to instead of stderr: one
// that moves the bar out of their way.
func (p *progress) logTo(stderr io.Writer) io.Writer {
	if p == nil {
		return stderr
	}
	return logSide{p.out}
}

// start draws the display and keeps it up to date until stop. found counts
// the findings kept so far.
func (p *progress) start(found *atomic.Int64) {
	if p == nil || p.started {
		return
	}
	p.started = true
	p.found = found
	p.stopc, p.done = make(chan struct{}), make(chan struct{})
	p.update()
	go p.run()
}

func (p *progress) run() {
	defer close(p.done)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.stopc:
			return
		case <-t.C:
			p.update()
		}
	}
}

// stop ends the display and erases it, so that what is printed next
// starts on a clean line. Nothing is written to stderr for the display
// after stop returns.
func (p *progress) stop() {
	if p == nil || !p.started || p.stopped {
		return
	}
	p.stopped = true
	close(p.stopc)
	<-p.done
	if p.bar != nil {
		// Finish, unlike Exit, also ends the library's spinner goroutine;
		// the bar clears itself (OptionClearOnFinish).
		_ = p.bar.Finish()
	}
	p.out.close()
}

// update reads the counters into the bar.
func (p *progress) update() {
	total := p.counters.CommitsTotal.Load()
	commits := p.counters.Commits.Load()
	var found int64
	if p.found != nil {
		found = p.found.Load()
	}
	desc := describeProgress(found, p.counters.Bytes.Load(), commits, total > 0)
	switch {
	case p.bar == nil || total > 0 && p.total == 0:
		// The first frame, or the total just became known: a spinner
		// becomes a bar. A new bar is simpler than converting one whose
		// count has been going round in circles.
		if p.bar != nil {
			_ = p.bar.Finish()
		}
		p.bar, p.total, p.desc = p.newBar(total, desc), total, desc
	case total > 0 && total != p.total:
		p.bar.ChangeMax64(total)
		p.total = total
	}
	if p.bar.IsFinished() {
		return // it reached its total and cleared itself
	}
	// Describe redraws: a spinner is redrawn at every tick, so that a log
	// line that erased it does not leave it off until its own timer fires.
	if desc != p.desc || total == 0 {
		p.bar.Describe(desc)
		p.desc = desc
	}
	if total > 0 {
		_ = p.bar.Set64(min(commits, total))
	}
}

// newBar returns a bar of total commits, or a spinner when total is 0.
func (p *progress) newBar(total int64, desc string) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(barSide{p.out}),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetTheme(progressbar.ThemeASCII),
		progressbar.OptionSetWidth(20),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionClearOnFinish(),
		// Draw at once: this also starts the bar's clock before the
		// spinner's own goroutine first reads it.
		progressbar.OptionSetRenderBlankState(true),
	}
	if total <= 0 {
		return progressbar.NewOptions64(-1, append(opts, progressbar.OptionSpinnerType(9))...)
	}
	opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("commits"))
	return progressbar.NewOptions64(total, opts...)
}

// describeProgress is the text beside the bar: "3 findings, 12.5 MB",
// with the commits walked while their total is not known yet.
func describeProgress(found, bytes, commits int64, totalKnown bool) string {
	var b strings.Builder
	b.WriteString("leakhound: ")
	if !totalKnown {
		if commits > 0 {
			fmt.Fprintf(&b, "%d commits, ", commits)
		} else {
			b.WriteString("reading history, ")
		}
	}
	noun := "findings"
	if found == 1 {
		noun = "finding"
	}
	fmt.Fprintf(&b, "%d %s, %s", found, noun, humanBytes(bytes))
	return b.String()
}

// termOut shares stderr between the progress bar and log lines. The bar
// stays on one line, redrawn in place without a newline; a log line
// written while it is there first erases it, so that the line starts at
// the margin, and the bar is drawn again below it at the next tick. After
// close the bar's writes are dropped: the library's spinner goroutine may
// try to draw once more after it was told to finish.
type termOut struct {
	mu     sync.Mutex
	w      io.Writer
	onBar  bool // the cursor is on a line the bar drew
	closed bool
}

// eraseLine returns to the margin and erases the line (ECMA-48 CR, EL 2).
const eraseLine = "\r\x1b[2K"

func (t *termOut) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.onBar && !t.closed {
		_, _ = io.WriteString(t.w, eraseLine)
	}
	t.onBar, t.closed = false, true
}

// barSide is the bar's view of termOut.
type barSide struct{ t *termOut }

func (b barSide) Write(p []byte) (int, error) {
	t := b.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || len(p) == 0 || !t.onBar && string(p) == "\x1b[2K\r" {
		return len(p), nil // nothing to draw, or to erase
	}
	// A drawing ends with "erase to end of line", an erasure with "\r".
	t.onBar = !bytes.HasSuffix(p, []byte("\r"))
	if _, err := t.w.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// logSide is the log's view of termOut.
type logSide struct{ t *termOut }

func (l logSide) Write(p []byte) (int, error) {
	t := l.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.onBar {
		if _, err := io.WriteString(t.w, eraseLine); err != nil {
			return 0, err
		}
		t.onBar = false
	}
	return t.w.Write(p)
}
