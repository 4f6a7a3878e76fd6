package source

import (
	"bytes"
	"context"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/leakhound/leakhound/detect"
)

// Stream chunking. A stream is cut into chunks of at most chunkSize bytes
// that overlap by 2×overlap: each chunk starts `overlap` bytes before the
// region it owns, for context, and ends at least `overlap` bytes after it,
// so every match no longer than `overlap` that starts in the owned region
// lies whole in the chunk. Owned regions tile the stream exactly, so a
// secret straddling a cut is found once. Cuts fall on line starts where a
// line start is near, so windows and anchors see whole lines. A chunk never
// starts inside a multi-byte character (columns count characters), which
// may move its start up to 3 bytes earlier: chunkSize must exceed
// 3×overlap+3.
const (
	defaultChunkSize = 4 << 20
	defaultOverlap   = 64 << 10
)

// chunker turns a reader into overlapping fragments.
type chunker struct {
	r         io.Reader
	chunkSize int
	overlap   int
	prov      detect.Provenance
}

// chunk is one fragment's content plus its place in the stream.
type chunk struct {
	frag detect.Fragment
	buf  []byte
}

// run reads the whole stream, handing each chunk to emit in stream order.
// buffers supplies and recycles chunk buffers, bounding memory to their
// number × chunkSize. It returns the number of bytes read.
func (c *chunker) run(ctx context.Context, buffers chan []byte, emit func(chunk) error) (int64, error) {
	var (
		total     int64
		line      = 1 // line of buf[0]
		col       = 0 // characters before buf[0] on its line
		ownedFrom = 0 // owned start within the current buffer
		carry     []byte
	)
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		buf := (<-buffers)[:0]
		buf = append(buf, carry...)
		n, err := io.ReadFull(c.r, buf[len(buf):c.chunkSize])
		buf = buf[:len(buf)+n]
		total += int64(n)
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			buffers <- buf
			return total, err
		}
		frag := detect.Fragment{Content: buf, StartLine: line, StartColumn: col, OwnedStart: ownedFrom, Provenance: c.prov}
		if eof {
			return total, emit(chunk{frag: frag, buf: buf})
		}
		cut := c.cut(buf, ownedFrom)
		frag.OwnedEnd = cut
		next := cut - c.overlap
		if next < 0 {
			next = 0
		}
		// Never start a chunk inside a UTF-8 sequence: columns are counted
		// in characters, and counting the two halves of a split character
		// separately would shift every column after it on that line.
		if b := runeStart(buf, next); b > 0 {
			next = b
		}
		// Track where the next chunk starts: its line and column.
		if nl := bytes.Count(buf[:next], []byte{'\n'}); nl > 0 {
			line += nl
			col = utf8.RuneCount(buf[bytes.LastIndexByte(buf[:next], '\n')+1 : next])
		} else {
			col += utf8.RuneCount(buf[:next])
		}
		carry = append(carry[:0], buf[next:]...)
		ownedFrom = cut - next
		if err := emit(chunk{frag: frag, buf: buf}); err != nil {
			return total, err
		}
	}
}

// cut picks where the next owned region starts: at least overlap bytes
// before the end of buf (so matches starting before it end inside buf),
// preferably at a line start.
func (c *chunker) cut(buf []byte, ownedFrom int) int {
	limit := len(buf) - c.overlap
	floor := limit - c.overlap
	if floor < ownedFrom+1 {
		floor = ownedFrom + 1
	}
	if floor < limit {
		if i := bytes.LastIndexByte(buf[floor:limit], '\n'); i >= 0 {
			return floor + i + 1
		}
	}
	if limit <= ownedFrom {
		limit = ownedFrom + 1 // chunkSize must exceed 3×overlap+3; guard anyway
	}
	return limit
}

// runeStart returns i, or the start of the UTF-8 sequence that straddles
// i when buf[i] is inside one. A byte that is not part of a valid sequence
// counts as one character (as utf8.RuneCount has it), so only a valid
// multi-byte sequence beginning before i can contain it; at the end of buf
// a sequence cut short may be valid once the rest is read, so it counts.
func runeStart(buf []byte, i int) int {
	for j := 1; j < utf8.UTFMax && j <= i; j++ {
		if _, size := utf8.DecodeRune(buf[i-j:]); size > j || !utf8.FullRune(buf[i-j:]) {
			return i - j
		}
	}
	return i
}

// Stdin scans a stream (standard input, a CI log) in bounded memory.
type Stdin struct {
	R       io.Reader
	Path    string // reported as the file; default "stdin"
	Threads int
	Events  Events
}

// Scan implements Source.
func (s *Stdin) Scan(ctx context.Context, emit Emit) error {
	path := s.Path
	if path == "" {
		path = "stdin"
	}
	events := s.Events
	if events == nil {
		events = NopEvents{}
	}
	n, err := scanStream(ctx, s.R, detect.Provenance{Kind: detect.KindStdin, Path: path}, s.Threads, defaultChunkSize, defaultOverlap, emit)
	if err != nil {
		return err
	}
	events.Scanned(path, n)
	return nil
}

// scanStream chunks r and emits the chunks from up to threads goroutines.
func scanStream(ctx context.Context, r io.Reader, prov detect.Provenance, threads, chunkSize, overlap int, emit Emit) (int64, error) {
	if threads < 1 {
		threads = 1
	}
	buffers := make(chan []byte, threads+1)
	for i := 0; i < threads+1; i++ {
		buffers <- make([]byte, 0, chunkSize)
	}
	work := make(chan chunk)
	errc := make(chan error, threads)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := 0; i < threads; i++ {
		go func() {
			var first error
			for ch := range work {
				if first == nil {
					if err := emit(&ch.frag); err != nil {
						first = err
						cancel()
					}
				}
				buffers <- ch.buf
			}
			errc <- first
		}()
	}
	c := &chunker{r: r, chunkSize: chunkSize, overlap: overlap, prov: prov}
	n, err := c.run(ctx, buffers, func(ch chunk) error {
		select {
		case work <- ch:
			return nil
		case <-ctx.Done():
			buffers <- ch.buf
			return ctx.Err()
		}
	})
	close(work)
	for i := 0; i < threads; i++ {
		if e := <-errc; e != nil && (err == nil || errors.Is(err, context.Canceled)) {
			err = e
		}
	}
	return n, err
}
