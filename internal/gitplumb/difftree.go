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
	"strings"
	"time"
)

// Mode is a git tree entry mode.
type Mode uint32

// Tree entry modes that matter to a scan.
const (
	ModeNone    Mode = 0        // the path does not exist on that side
	ModeFile    Mode = 0o100644 // regular file
	ModeExec    Mode = 0o100755 // executable file
	ModeSymlink Mode = 0o120000 // the blob holds the link's target
	ModeGitlink Mode = 0o160000 // submodule: the id is a commit of another repository
)

// Regular reports whether m is a file whose blob holds its content.
func (m Mode) Regular() bool { return m&0o170000 == 0o100000 }

// Commit is one commit and what it changed, as `git diff-tree -c` reports
// it: for a merge, only the paths whose result differs from every parent.
type Commit struct {
	ID     string
	Author string
	Email  string
	// Date is the author date, with the author's offset.
	Date time.Time
	// Subject is the first line of the message.
	Subject string
	Changes []Change
}

// Change is one path a commit changed.
type Change struct {
	// Path is the path as git stores it: '/'-separated, any bytes but NUL.
	Path string
	// Mode and Blob describe the commit's version; ModeNone and the zero
	// id when the commit deleted the path.
	Mode Mode
	Blob string
	// Parents holds one entry per parent, in parent order: that parent's
	// version of Path, ModeNone and the zero id where it had none. A root
	// commit (and a shallow clone's boundary) has one, empty, parent.
	Parents []Side
	// Status is git's status letters, one per parent (A, M, D, T).
	Status string
}

// Side is one parent's version of a changed path.
type Side struct {
	Mode Mode
	Blob string
}

// Deleted reports whether the commit removed the path.
func (c *Change) Deleted() bool { return c.Mode == ModeNone }

// diffTreeFormat prints each commit's header as NUL-separated fields. The
// id comes first and last: git prints no field past a NUL, except that a
// deliberately corrupted author line could hold one, which the repeated
// id lets the parser step over instead of losing its place. %B is the
// whole message (%s would join its first paragraph into one line); only
// its first line is kept.
const diffTreeFormat = "--format=%H%x00%an%x00%ae%x00%aI%x00%B%x00%H"

// DiffTree is a long-running `git diff-tree --stdin -r --raw -z
// --no-renames --root -c --always`: write commit ids with Request, read
// one Commit per id, in the same order, with Next. git skips, silently, an
// id it cannot find, so match answers on Commit.ID. Requests and reads must
// happen on different goroutines (or all requests be closed before
// reading), or the pipes between them can fill and deadlock.
type DiffTree struct {
	cmd    interface{ Wait() error }
	stdin  io.WriteCloser
	out    *os.File
	w      *bufio.Writer
	p      rawParser
	stderr *Stderr
	cancel context.CancelFunc
	done   bool
}

// DiffTree starts `git diff-tree`. Close it when done.
func (g *Git) DiffTree(ctx context.Context) (*DiffTree, error) {
	ctx, cancel := context.WithCancel(ctx)
	cmd := g.Command(ctx, "diff-tree", "--stdin", "-r", "--raw", "-z", "--no-renames",
		"--root", "-c", "--always", "--no-ext-diff", "--no-textconv", "--encoding=UTF-8", diffTreeFormat)
	d := &DiffTree{cmd: cmd, stderr: &Stderr{}, cancel: cancel}
	cmd.Stderr = d.stderr
	stdin, r, err := startPiped(cmd)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("git diff-tree: %w", err)
	}
	d.stdin = stdin
	d.w = bufio.NewWriterSize(d.stdin, 64<<10)
	d.out = r
	d.p = rawParser{r: bufio.NewReaderSize(readCloser{r}, 1<<20)}
	return d, nil
}

// Request asks for the changes of commit id. Requests are buffered; call
// Flush or CloseRequests so that git sees them.
func (d *DiffTree) Request(id string) error {
	if !validID(id) {
		return fmt.Errorf("diff-tree: invalid commit id %q", Truncate(id, 80))
	}
	d.w.WriteString(id)
	return d.w.WriteByte('\n')
}

// Flush sends the buffered requests to git.
func (d *DiffTree) Flush() error { return d.w.Flush() }

// CloseRequests sends the buffered requests and tells git there are no
// more; Next returns io.EOF after the last answer.
func (d *DiffTree) CloseRequests() error {
	err := d.w.Flush()
	if cerr := d.stdin.Close(); err == nil {
		err = cerr
	}
	return err
}

// Next returns the next requested commit and its changes, or io.EOF after
// the last one once requests are closed. The Commit is the caller's.
func (d *DiffTree) Next() (*Commit, error) {
	c, err := d.p.next()
	if errors.Is(err, io.EOF) {
		if werr := d.wait(); werr != nil {
			return nil, werr
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("git diff-tree: %w", d.stderr.Wrap(err))
	}
	return c, nil
}

func (d *DiffTree) wait() error {
	if d.done {
		return nil
	}
	d.done = true
	if err := d.cmd.Wait(); err != nil {
		return fmt.Errorf("git diff-tree: %w", d.stderr.Wrap(err))
	}
	return nil
}

// Close stops git (if it is still running) and releases the pipes.
func (d *DiffTree) Close() error {
	d.stdin.Close()
	d.cancel()
	if !d.done {
		d.done = true
		_ = d.cmd.Wait()
	}
	return d.out.Close()
}

// readCloser hides *os.File's WriteTo/ReadFrom from bufio.
type readCloser struct{ f *os.File }

func (r readCloser) Read(p []byte) (int, error) { return r.f.Read(p) }

// rawParser reads diff-tree's -z output with diffTreeFormat headers:
//
//	<id>\0<author>\0<email>\0<date>\0<subject>\0<id>\0
//	[\n]:<modes> <ids> <status>\0<path>\0 ...
//
// one ':' per parent in each record (git-diff-tree(1), "Raw output
// format" and "Combined diff format"); a record's path follows it, so a
// path is never mistaken for a header whatever bytes it holds.
type rawParser struct {
	r   *bufio.Reader
	tok []byte
}

// token reads up to the next NUL, however long; the result is valid until
// the next call.
func (p *rawParser) token() ([]byte, error) {
	p.tok = p.tok[:0]
	for {
		b, err := p.r.ReadSlice(0)
		p.tok = append(p.tok, b...)
		if err == nil {
			return p.tok[:len(p.tok)-1], nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) && len(p.tok) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

func (p *rawParser) next() (*Commit, error) {
	c, err := p.header()
	if err != nil {
		return nil, err
	}
	for {
		b, err := p.r.Peek(1)
		if len(b) == 0 {
			if errors.Is(err, io.EOF) {
				return c, nil
			}
			return nil, err
		}
		// git separates the header from the records with '\n', and ends
		// the header of a merge without changes with an extra NUL.
		if b[0] == '\n' || b[0] == 0 {
			p.r.Discard(1)
			continue
		}
		if b[0] != ':' {
			return c, nil
		}
		tok, err := p.token()
		if err != nil {
			return nil, EndedEarly(err)
		}
		ch, err := parseRecord(tok)
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.ID, err)
		}
		path, err := p.token()
		if err != nil {
			return nil, EndedEarly(err)
		}
		ch.Path = string(path)
		c.Changes = append(c.Changes, ch)
	}
}

// EndedEarly is err, or io.ErrUnexpectedEOF for io.EOF: the error of a
// read that git's output ended in the middle of.
func EndedEarly(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (p *rawParser) header() (*Commit, error) {
	var id string
	for id == "" {
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		id = string(bytes.TrimLeft(tok, "\n"))
	}
	if !validID(id) {
		return nil, fmt.Errorf("expected a commit id, got %q", Truncate(id, 80))
	}
	var fields []string
	for {
		tok, err := p.token()
		if err != nil {
			return nil, EndedEarly(err)
		}
		if string(tok) == id {
			break
		}
		if len(fields) > 64 {
			return nil, fmt.Errorf("commit %s: header does not end", id)
		}
		fields = append(fields, string(tok))
	}
	c := &Commit{ID: id}
	if len(fields) >= 4 {
		// A NUL inside the author name would add fields; the date and
		// subject are still the last two.
		n := len(fields)
		c.Author, c.Email = fields[0], strings.Join(fields[1:n-2], "\x00")
		c.Date, _ = time.Parse(time.RFC3339, fields[n-2])
		c.Subject, _, _ = strings.Cut(fields[n-1], "\n")
	}
	return c, nil
}

// parseRecord parses ":<mode>... <id>... <status>" with one ':' per parent:
// the parents' modes, the result's mode, the parents' ids, the result's id.
func parseRecord(tok []byte) (Change, error) {
	n := 0
	for n < len(tok) && tok[n] == ':' {
		n++
	}
	f := strings.Fields(string(tok[n:]))
	if n == 0 || len(f) != 2*(n+1)+1 {
		return Change{}, fmt.Errorf("malformed raw diff record %q", Truncate(string(tok), 200))
	}
	var ch Change
	ch.Parents = make([]Side, n)
	for i := 0; i <= n; i++ {
		m, err := strconv.ParseUint(f[i], 8, 32)
		id := f[n+1+i]
		if err != nil || !validID(id) {
			return Change{}, fmt.Errorf("malformed raw diff record %q", Truncate(string(tok), 200))
		}
		side := Side{Mode: Mode(m), Blob: id}
		if i < n {
			ch.Parents[i] = side
		} else {
			ch.Mode, ch.Blob = side.Mode, side.Blob
		}
	}
	ch.Status = f[2*(n+1)]
	return ch, nil
}
