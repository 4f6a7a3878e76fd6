package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/pipeline"
	"github.com/leakhound/leakhound/report"
)

const maskUsage = `Usage: leakhound mask [flags]

A filter for logs: reads standard input and writes it to standard output
line by line, each detected secret replaced by *** (by ***rule-id*** with
--show-rule). A line is written as soon as it is complete, so a live log
is not held back; a line longer than 64 KiB is written in pieces, a piece
as soon as it is read, and a secret across two pieces is still masked.
Bytes that are not text pass through unchanged. --report-path also writes
a report of what was masked (any --report-format; the secrets themselves
only with --no-redact). The exit code is 0 unless --exit-code says what to
return when something was masked, or an error occurs (2).

  some-command 2>&1 | leakhound mask
  ./deploy.sh | leakhound mask --show-rule --report-path masked.json --report-format json
`

// maskPiece is the most a line is held for: a longer line is masked and
// written in pieces of this size, each with maskCarry bytes of the
// previous piece as context, held back until the next piece is scanned,
// so a secret across the cut is still masked whole.
const (
	maskPiece = 64 << 10
	maskCarry = 1 << 10
)

func runMask(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("mask", env)
	var f scanFlags
	f.register(fs)
	f.exitCode = ExitClean
	showRule := fs.Bool("show-rule", false, "replace each secret with ***rule-id*** instead of ***")
	pos, code, done := parseArgs(fs, maskUsage, args, env)
	if done {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "leakhound mask: takes no arguments (got %q); pipe the log to it\n", pos[0])
		return ExitError
	}
	log, rep, set, err := commandSetup(f, ".", env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
		return ExitError
	}
	sc := pipeline.New(set, pipeline.Options{Log: log, DecodeDepth: &f.decodeMax})
	m := &masker{sc: sc, out: bufio.NewWriterSize(env.Stdout, 64<<10), showRule: *showRule}
	start := time.Now()
	err = m.run(ctx, bufio.NewReaderSize(env.Stdin, maskPiece))
	if ferr := m.out.Flush(); err == nil {
		err = ferr
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(env.Stderr, "leakhound mask: %v\n", err)
		return ExitError
	}
	if f.reportPath != "" {
		res := &pipeline.Result{Findings: m.found}
		if err := writeReport(f.reportPath, io.Discard, func(w io.Writer) error {
			return rep.Write(w, m.found, withTool(report.Options{Redact: maskRedact(f), Reveal: f.noRedact,
				Incomplete: incomplete(res)}, f.format, env, log))
		}); err != nil {
			fmt.Fprintf(env.Stderr, "leakhound: %v\n", err)
			return ExitError
		}
	}
	if log.Enabled(ctx, slog.LevelInfo) {
		fmt.Fprintf(env.Stderr, "leakhound mask: %d secret(s) masked in %d line(s) (%s) in %s\n",
			len(m.found), m.lines, humanBytes(m.bytes), time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		return ExitError // interrupted: what was read was masked and written
	}
	if len(m.found) > 0 {
		return f.exitCode
	}
	return ExitClean
}

// maskRedact is the report's redaction: the masked secrets are what a log
// must not hold, so a report of them hides them unless --no-redact.
func maskRedact(f scanFlags) int {
	switch {
	case f.noRedact:
		return 0
	case f.redactSet:
		return f.redact
	}
	return 100
}

type masker struct {
	sc       *pipeline.Scanner
	out      *bufio.Writer
	showRule bool
	found    []detect.Finding
	lines    int
	bytes    int64
	// pending is the held tail of a long line's previous piece.
	pending []byte
	// pendingStart is the column (in bytes) of pending within its line.
	pendingStart int
}

// run masks lines from r until EOF or ctx is done.
func (m *masker) run(ctx context.Context, r *bufio.Reader) error {
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		chunk, err := r.ReadSlice('\n')
		m.bytes += int64(len(chunk))
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		// A line ends at its newline or at the end of the input; a full
		// buffer is a piece of a longer line.
		if len(chunk) > 0 || len(m.pending) > 0 {
			m.piece(chunk, err == nil || errors.Is(err, io.EOF))
		}
		// Write out as soon as nothing more is waiting: a live log's line
		// appears at once, a fast stream is written in large blocks.
		if r.Buffered() == 0 {
			if ferr := m.out.Flush(); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// piece masks chunk, the next bytes of the current line; last says the
// line ends with it (newline or end of input).
func (m *masker) piece(chunk []byte, last bool) {
	text := append(m.pending, chunk...)
	base := m.pendingStart
	cut := len(text) // how much of text is written now
	if !last && len(text) > maskCarry {
		cut = len(text) - maskCarry
	} else if !last {
		cut = 0
	}
	fs := m.detect(text)
	// A secret that starts before the cut but runs past it moves the cut
	// back, so it is written whole, masked, with the next piece.
	for _, f := range fs {
		if f.Start < cut && f.End > cut {
			cut = f.Start
		}
	}
	var spans []detect.Finding
	for _, f := range fs {
		if f.Start < cut {
			spans = append(spans, f)
		}
	}
	m.write(text[:cut], spans)
	for _, f := range spans {
		f.StartLine, f.EndLine = m.lines+1, m.lines+1
		f.StartColumn += base
		f.EndColumn += base
		f.Path = "stdin"
		m.found = append(m.found, f)
	}
	m.pending = append(m.pending[:0:0], text[cut:]...)
	m.pendingStart = base + cut
	if last {
		m.write(m.pending, nil)
		m.pending, m.pendingStart = nil, 0
		m.lines++
	}
}

// detect finds the secrets in one line (or piece), after the filters.
func (m *masker) detect(text []byte) []detect.Finding {
	frag := &detect.Fragment{Content: text, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindStdin, Path: "stdin"}}
	cands, _ := m.sc.Detector.Detect(frag)
	fs := m.sc.Chain.Apply(cands)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Start < fs[j].Start })
	return fs
}

// write writes text with the spans of fs replaced by the mask.
func (m *masker) write(text []byte, fs []detect.Finding) {
	at := 0
	for _, f := range fs {
		if f.End <= at || f.Start >= len(text) || f.End <= f.Start {
			continue // overlaps one already masked, or a path-only finding
		}
		m.out.Write(text[at:max(at, f.Start)])
		if m.showRule {
			m.out.WriteString("***" + f.RuleID + "***")
		} else {
			m.out.WriteString("***")
		}
		at = min(f.End, len(text))
	}
	m.out.Write(text[at:])
}
