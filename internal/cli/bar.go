package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// bar is the line the progress display draws: a spinner while the number
// of commits to scan is unknown, then a bar of the commits done. It draws
// the frames github.com/schollz/progressbar drew with the options
// leakhound gave it (ASCII theme, 20 columns, ANSI erasing, erased when
// finished, count and rate of commits, elapsed and remaining time):
//
//	| leakhound: 7 commits, 1 finding, 1.5 MB  [3s]
//	leakhound: 2 findings, 1.5 MB  25% [====>...............] (10/40, 3 commits/s) [3s:10s]
//
// That library also brought net/http, crypto/tls and x509 into the
// binary, whose initialisation and dynamic linking every process paid
// (`leakhound version` took 4 ms more). A bar is used by one goroutine
// at a time (progress's poller, then stop).
type bar struct {
	w        io.Writer
	total    int64 // commits; 0 draws a spinner
	n        int64
	desc     string
	start    time.Time
	drawn    bool
	finished bool

	// rates are commits per second over the last ten periods of at least
	// half a second; the rate shown is their mean (the overall rate
	// before the first period ends).
	rates       []float64
	periodStart time.Time
	periodN     int64
}

const (
	barWidth        = 20
	spinnerFrames   = `|/-\`
	spinnerInterval = 100 * time.Millisecond
	eraseToEOL      = "\x1b[0K" // ECMA-48 EL 0
	eraseBar        = "\x1b[2K\r"
)

// newBar draws a bar of total commits (a spinner for 0) and returns it.
func newBar(w io.Writer, total int64, desc string) *bar {
	b := &bar{w: w, total: total, desc: desc, start: time.Now()}
	b.draw()
	return b
}

// set records that n commits are done and redraws; the bar erases itself
// when n reaches its total.
func (b *bar) set(n int64) {
	if b.finished || b.total <= 0 {
		return
	}
	now := time.Now()
	if b.periodStart.IsZero() {
		b.periodStart = now
	}
	b.periodN += n - b.n
	if d := now.Sub(b.periodStart).Seconds(); d > 0.5 {
		b.rates = append(b.rates, float64(b.periodN)/d)
		if len(b.rates) > 10 {
			b.rates = b.rates[1:]
		}
		b.periodStart, b.periodN = now, 0
	}
	b.n = min(n, b.total)
	b.draw()
}

// finish ends the bar (or spinner) and erases it.
func (b *bar) finish() {
	b.n = b.total
	b.finished = true
	b.draw()
}

// draw writes the current frame, or erases the line once finished.
func (b *bar) draw() {
	if !b.finished && b.total > 0 && b.n >= b.total {
		b.finished = true
	}
	if b.finished {
		if b.drawn {
			_, _ = io.WriteString(b.w, eraseBar)
		}
		return
	}
	b.drawn = true
	_, _ = io.WriteString(b.w, b.frame(time.Since(b.start)))
}

// frame is what the line shows after elapsed.
func (b *bar) frame(elapsed time.Duration) string {
	secs := func(s float64) string { return (time.Duration(max(s, 0)) * time.Second).String() }
	if b.total <= 0 {
		spin := spinnerFrames[int(elapsed/spinnerInterval)%len(spinnerFrames)]
		return fmt.Sprintf("\r%c %s  [%s] %s", spin, b.desc, secs(elapsed.Seconds()), eraseToEOL)
	}
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.n) / elapsed.Seconds()
	}
	if len(b.rates) > 0 {
		rate = 0
		for _, r := range b.rates {
			rate += r / float64(len(b.rates))
		}
	}
	var perTime string
	switch {
	case rate > 1:
		perTime = fmt.Sprintf("%.0f commits/s", rate)
	case rate*60 > 1:
		perTime = fmt.Sprintf("%.0f commits/min", rate*60)
	default:
		perTime = fmt.Sprintf("%.0f commits/hr", rate*3600)
	}
	remaining := 0.0
	if rate > 0 {
		remaining = 1 / rate * float64(b.total-b.n)
	}
	pct := int(float64(b.n) / float64(b.total) * 100)
	filled := int(float64(pct) / 100 * barWidth)
	line := ""
	if filled > 0 {
		head := ">"
		if filled == barWidth {
			head = "="
		}
		line = strings.Repeat("=", filled-1) + head
	}
	line = "[" + line + strings.Repeat(".", barWidth-filled) + "]"
	return fmt.Sprintf("\r%s%4d%% %s (%d/%d, %s) [%s:%s]%s", b.desc, pct, line, b.n, b.total, perTime,
		secs(elapsed.Seconds()), secs(remaining), eraseToEOL)
}
