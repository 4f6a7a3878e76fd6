package gitrename

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchCase is a Detect input with its blobs in memory.
type benchCase struct {
	s              *store
	deleted, added []File
	bytes          int64 // of every blob Detect may load
}

func (c *benchCase) add(dst *[]File, path string, data []byte) {
	e := blobEntry(modeFile, data)
	c.s.blobs[e.id] = e.data
	*dst = append(*dst, File{Path: path, Mode: modeFile, ID: e.id})
	c.bytes += int64(len(data))
}

// hookCase is a typical pre-commit change: a new folder of `added` files
// (2 KB of text each) next to `renames` moved files, half of them edited,
// and two deletions.
func hookCase(added, renames int) *benchCase {
	g := &gen{r: rand.New(rand.NewPCG(1, 2))}
	c := &benchCase{s: newStore()}
	for i := range added {
		c.add(&c.added, fmt.Sprintf("vendor/lib/f%03d.go", i), g.text(80))
	}
	for i := range renames {
		data := g.text(80)
		c.add(&c.deleted, fmt.Sprintf("old/r%02d.go", i), data)
		if i%2 == 1 {
			data, _ = g.edit(data)
		}
		c.add(&c.added, fmt.Sprintf("new/m%02d.go", i), data)
	}
	c.add(&c.deleted, "gone/a.go", g.text(80))
	c.add(&c.deleted, "gone/b.go", g.text(80))
	return c
}

// limitCase is the most work the default limit allows: 1000 sources and
// 1000 destinations of similar sizes, none of them exact, so that every
// pair is hashed and compared.
func limitCase() *benchCase {
	g := &gen{r: rand.New(rand.NewPCG(3, 4))}
	c := &benchCase{s: newStore()}
	for i := range DefaultRenameLimit {
		data := g.text(60)
		c.add(&c.deleted, fmt.Sprintf("src/%04d.txt", i), data)
		data, _ = g.edit(append(data, fmt.Sprintf("unique %d\n", i)...))
		c.add(&c.added, fmt.Sprintf("dst/%04d.md", i), data)
	}
	return c
}

func (c *benchCase) run(b *testing.B) {
	b.SetBytes(c.bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := Detect(c.deleted, c.added, Options{Load: c.s.load})
		if err != nil || res.NeededLimit != 0 {
			b.Fatal(err, res.NeededLimit)
		}
	}
}

func BenchmarkDetectHook(b *testing.B) {
	b.Run("5-renames", hookCase(0, 5).run)
	b.Run("5-renames-300-added", hookCase(300, 5).run)
}

func BenchmarkDetectRenameLimitWorstCase(b *testing.B) { limitCase().run(b) }

func BenchmarkChunkTable(b *testing.B) {
	g := &gen{r: rand.New(rand.NewPCG(5, 6))}
	data := g.text(4000)
	var h hasher
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		h.table(data, true)
	}
}
