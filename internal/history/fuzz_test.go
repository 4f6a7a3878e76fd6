package history

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/attrib"
	"github.com/leakhound/leakhound/internal/gitobj"
	"github.com/leakhound/leakhound/internal/source"
)

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
		st := gitobj.NewStore(20)
		c := st.Intern(bytes.Repeat([]byte{1}, 20))
		tr := st.Intern(bytes.Repeat([]byte{2}, 20))
		tg := st.Intern(bytes.Repeat([]byte{3}, 20))
		_ = st.Add(c, "commit", commit)
		_ = st.Add(tr, "tree", tree)
		_ = st.Add(tg, "tag", commit)
		p := &gitobj.Reader{MaxBytes: 64}
		_ = p.Parse(bufio.NewReaderSize(bytes.NewReader(stream), 16), st, func(uint32, []byte, []byte) {})
		a := attrib.New(st, source.NopEvents{}, func([]detect.Finding) error { return nil })
		tips := []string{strings.Repeat("01", 20)}
		if err := a.Run(context.Background(), tips); err != nil {
			t.Logf("run: %v", err)
		}
	})
}
