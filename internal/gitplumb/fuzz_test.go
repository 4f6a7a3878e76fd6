package gitplumb

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
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
