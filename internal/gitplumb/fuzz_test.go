package gitplumb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/source"
)

// FuzzRawParser feeds arbitrary bytes to the diff-tree output parser: it
// must return commits or an error, never panic or loop.
func FuzzRawParser(f *testing.F) {
	id := strings.Repeat("a", 40)
	zero := strings.Repeat("0", 40)
	f.Add([]byte(id + "\x00Ann\x00a@x\x002020-01-01T00:00:00+02:00\x00subj\x00" + id + "\x00\n:000000 100644 " + zero + " " + id + " A\x00p\x00"))
	f.Add([]byte(id + "\x00A\x00e\x00d\x00s\x00" + id + "\x00\x00"))
	f.Add([]byte(id + "\x00A\x00e\x00d\x00s\x00" + id + "\x00\n::100644 100644 100644 " + id + " " + id + " " + id + " MM\x00a\nb\x00" + id + "\x00"))
	f.Add([]byte(":100644"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := rawParser{r: bufio.NewReaderSize(bytes.NewReader(data), 16)}
		for range len(data) + 1 {
			c, err := p.next()
			if err != nil {
				if errors.Is(err, io.EOF) && len(data) > 0 && c != nil {
					t.Fatal("commit with EOF")
				}
				return
			}
			for _, ch := range c.Changes {
				if len(ch.Parents) == 0 || !validID(ch.Blob) {
					t.Fatalf("bad change %+v", ch)
				}
			}
		}
		t.Fatal("parser did not stop")
	})
}

// FuzzPackScanObjects feeds arbitrary bytes as a commit, a tree and a tag,
// and as cat-file's whole output, to PackScan's parsers: a hostile
// repository's objects must give records or errors, never a panic. The
// attribution that follows must not panic either, whatever was parsed.
func FuzzPackScanObjects(f *testing.F) {
	id := strings.Repeat("ab", 20)
	f.Add([]byte("tree "+id+"\nparent "+id+"\nauthor A <a@x> 1700000000 +0130\ncommitter C <c@x> 1700000000 -0700\n\nsubject\n\nbody\n"),
		[]byte("100644 f\x00"+strings.Repeat("\x01", 20)+"40000 d\x00"+strings.Repeat("\x02", 20)),
		[]byte(id+" blob 3\nabc\n"+id+" tree 0\n\n"))
	f.Add([]byte("author <> x y\n"), []byte("100644 \x00"), []byte("x blob -1\n"))
	f.Fuzz(func(t *testing.T, commit, tree, stream []byte) {
		st := newStore(20)
		c := st.intern(bytes.Repeat([]byte{1}, 20))
		tr := st.intern(bytes.Repeat([]byte{2}, 20))
		tg := st.intern(bytes.Repeat([]byte{3}, 20))
		_ = st.add(c, "commit", commit)
		_ = st.add(tr, "tree", tree)
		_ = st.add(tg, "tag", commit)
		p := &PackScan{MaxBytes: 64}
		_ = p.parse(bufio.NewReaderSize(bytes.NewReader(stream), 16), st, func(uint32, []byte, []byte) {})
		a := &attributor{st: st, ev: source.NopEvents{}, emit: func([]detect.Finding) error { return nil }}
		tips := []string{strings.Repeat("01", 20)}
		if err := a.run(context.Background(), tips); err != nil {
			t.Logf("run: %v", err)
		}
	})
}
