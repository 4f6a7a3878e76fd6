package gitplumb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// pipeSize is the buffer asked for on the pipes git writes to.
const pipeSize = 1 << 20

// ErrMissing is matched (errors.Is) by the error for an object the
// repository does not hold: a shallow clone's boundary, a partial clone, a
// corrupt repository.
var ErrMissing = errors.New("object not in repository")

// MissingError is the error for an object cat-file answered "missing" (or
// "ambiguous") for. The batch goes on: later requests are still answered.
type MissingError struct {
	ID     string
	Answer string // what git said: "missing", "ambiguous"
}

func (e *MissingError) Error() string { return "object " + e.ID + ": " + e.Answer }

// Is makes errors.Is(err, ErrMissing) true.
func (e *MissingError) Is(target error) bool { return target == ErrMissing }

// Object is one answer of cat-file.
type Object struct {
	ID   string
	Type string // "blob", "tree", "commit", "tag"
	Size int64
	// Data is the content; nil when TooLarge.
	Data []byte
	// TooLarge is set when Size exceeded the caller's limit: the content
	// was read and discarded, never held.
	TooLarge bool
}

// CatFile is a long-running `git cat-file --batch`. Request queues ids and
// never blocks; a goroutine of CatFile's own writes them to git, so the
// caller may request many ids and then read the answers with Next, in
// request order, without the pipes deadlocking. Request and Next may be
// called from different goroutines, but Next from one at a time.
type CatFile struct {
	cmd    interface{ Wait() error }
	cancel context.CancelFunc
	stderr *Stderr
	out    *os.File
	r      *bufio.Reader

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []string // ids not yet written to git
	pending []string // ids written or queued and not yet answered
	closed  bool
	wdone   chan error
	waited  bool
}

// CatFile starts `git cat-file --batch`. Close it when done.
func (g *Git) CatFile(ctx context.Context) (*CatFile, error) {
	ctx, cancel := context.WithCancel(ctx)
	// No --buffer: git then flushes after each object, so an answer is
	// readable as soon as it is written, which Next relies on when the
	// caller waits for an answer before requesting more.
	cmd := g.Command(ctx, "cat-file", "--batch")
	c := &CatFile{cmd: cmd, cancel: cancel, stderr: &Stderr{}, wdone: make(chan error, 1)}
	c.cond = sync.NewCond(&c.mu)
	cmd.Stderr = c.stderr
	stdin, r, err := startPiped(cmd)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	c.out = r
	c.r = bufio.NewReaderSize(readCloser{r}, 1<<20)
	go c.write(stdin)
	return c, nil
}

// Request queues id; its answer comes from a later Next.
func (c *CatFile) Request(id string) error {
	if !validID(id) {
		return fmt.Errorf("cat-file: invalid object id %q", Truncate(id, 80))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClosed
	}
	c.queue = append(c.queue, id)
	c.pending = append(c.pending, id)
	c.cond.Signal()
	return nil
}

// write sends queued ids to git until Close, flushing whenever the queue
// runs dry.
func (c *CatFile) write(stdin io.WriteCloser) {
	w := bufio.NewWriterSize(stdin, 64<<10)
	var batch []string
	var err error
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.cond.Wait()
		}
		batch = append(batch[:0], c.queue...)
		c.queue = c.queue[:0]
		closed := c.closed
		c.mu.Unlock()
		for _, id := range batch {
			if err == nil {
				w.WriteString(id)
				err = w.WriteByte('\n')
			}
		}
		if err == nil {
			err = w.Flush()
		}
		if closed {
			stdin.Close()
			c.wdone <- err
			return
		}
	}
}

// Outstanding returns how many requests have not been answered by Next.
func (c *CatFile) Outstanding() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// Next reads the answer to the oldest unanswered request. An object
// larger than limit bytes (when limit > 0) comes back with TooLarge and no
// data. The content is appended to dst[:0] when it fits, so a caller may
// reuse a buffer; otherwise it is newly allocated. An object git does not
// have gives a *MissingError, and the next request still works; any other
// error means git is gone and the CatFile is unusable.
func (c *CatFile) Next(limit int64, dst []byte) (Object, error) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return Object{}, errors.New("cat-file: Next without a pending request")
	}
	want := c.pending[0]
	c.pending = c.pending[1:]
	c.mu.Unlock()
	obj, err := c.read(want, limit, dst)
	if err != nil && !errors.Is(err, ErrMissing) {
		return obj, fmt.Errorf("git cat-file: %w", c.stderr.Wrap(err))
	}
	return obj, err
}

func (c *CatFile) read(want string, limit int64, dst []byte) (Object, error) {
	hdr, err := c.r.ReadSlice('\n')
	if err != nil {
		return Object{}, EndedEarly(err)
	}
	f := bytes.Fields(hdr)
	if len(f) == 0 || string(f[0]) != want {
		return Object{}, fmt.Errorf("answer %q does not match request %s", Truncate(string(hdr), 100), want)
	}
	if len(f) == 2 {
		return Object{ID: want}, &MissingError{ID: want, Answer: string(f[1])}
	}
	if len(f) != 3 {
		return Object{}, fmt.Errorf("malformed answer %q", Truncate(string(hdr), 100))
	}
	obj := Object{ID: want, Type: string(f[1])}
	if obj.Size, err = strconv.ParseInt(string(f[2]), 10, 64); err != nil || obj.Size < 0 {
		return Object{}, fmt.Errorf("malformed answer %q", Truncate(string(hdr), 100))
	}
	if limit > 0 && obj.Size > limit {
		obj.TooLarge = true
		if _, err := io.CopyN(io.Discard, c.r, obj.Size); err != nil {
			return Object{}, EndedEarly(err)
		}
	} else {
		if int64(cap(dst)) >= obj.Size {
			obj.Data = dst[:obj.Size]
		} else {
			obj.Data = make([]byte, obj.Size)
		}
		if _, err := io.ReadFull(c.r, obj.Data); err != nil {
			return Object{}, EndedEarly(err)
		}
	}
	if b, err := c.r.ReadByte(); err != nil || b != '\n' {
		return Object{}, fmt.Errorf("object %s: answer not terminated", want)
	}
	return obj, nil
}

// Close tells git there are no more requests, waits for it (killing it if
// answers are still unread) and returns any error it reported.
func (c *CatFile) Close() error {
	c.mu.Lock()
	unread := len(c.pending) > 0
	already := c.closed
	c.closed = true
	c.cond.Signal()
	c.mu.Unlock()
	if already {
		return nil
	}
	defer c.out.Close()
	if unread {
		// git may be blocked writing answers nobody will read, and the
		// writer blocked behind it: stop git first.
		c.cancel()
		<-c.wdone
		_ = c.cmd.Wait()
		return nil
	}
	werr := <-c.wdone
	err := c.cmd.Wait()
	c.cancel()
	if err != nil {
		return fmt.Errorf("git cat-file: %w", c.stderr.Wrap(err))
	}
	if werr != nil {
		return fmt.Errorf("git cat-file: %w", werr)
	}
	return nil
}

// Blobs reads objects by id: answers come back from Next in the order
// Request asked for them, with CatFile's semantics (TooLarge past the
// limit, a *MissingError for an object the repository lacks, the content
// appended to dst[:0] when it fits). *CatFile is one; an in-process
// reader is another.
type Blobs interface {
	Request(id string) error
	Next(limit int64, dst []byte) (Object, error)
	Close() error
}

var _ Blobs = (*CatFile)(nil)
