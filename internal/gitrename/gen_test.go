package gitrename

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// gen draws the random content, edits and paths of the differential test.
type gen struct {
	r     *rand.Rand
	large float64 // probability that a text file is a few hundred KB
}

var (
	genWords = []string{"func", "return", "if", "err", "nil", "token", "secret", "key", "value", "{", "}",
		"the", "a", "config", "leak", "x", "y", "i++", "// comment", "=", ":=", "password", "AKIA", "\t"}
	genDirs  = []string{"", "", "a/", "b/", "a/c/", "d e/", "src/pkg/", "z/", "c/"}
	genBases = []string{"main.go", "util.go", "README", "config.yaml", "f1", "f2", "x.txt", "data.bin",
		"blob.dat", "notes.txtx", "a", "c", "Makefile", ".env", "é.txt"}
)

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) path() string {
	base := g.pick(genBases)
	if g.chance(0.4) {
		base = fmt.Sprintf("n%03d%s", g.r.IntN(300), g.pick([]string{"", ".go", ".bin", ".txtx"}))
	}
	return g.pick(genDirs) + base
}

func (g *gen) line() string {
	switch g.r.IntN(12) {
	case 0: // longer than a 64-byte chunk
		var b strings.Builder
		for b.Len() < 65+g.r.IntN(200) {
			b.WriteString(g.pick(genWords))
			b.WriteByte(' ')
		}
		return b.String()
	case 1:
		return ""
	}
	n := 1 + g.r.IntN(8)
	w := make([]string, n)
	for i := range w {
		w[i] = g.pick(genWords)
	}
	return strings.Join(w, " ")
}

func (g *gen) text(lines int) []byte {
	var b bytes.Buffer
	for range lines {
		b.WriteString(g.line())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (g *gen) binary(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		if g.chance(0.3) {
			b[i] = byte(g.r.IntN(4)) // NULs and a few small values
		} else {
			b[i] = byte(g.r.IntN(256))
		}
		if g.chance(0.02) {
			b[i] = '\n'
		}
	}
	return b
}

// content draws a regular file's content and a word for it.
func (g *gen) content() ([]byte, string) {
	var data []byte
	kind := "text"
	switch x := g.r.Float64(); {
	case x < 0.05:
		return []byte{}, "empty"
	case x < 0.12:
		n := 1 + g.r.IntN(4)
		data = make([]byte, n)
		for i := range data {
			data[i] = "ab\n\r\x00"[g.r.IntN(5)]
		}
		return data, "tiny"
	case x < 0.20:
		return g.binary(1 + g.r.IntN(6000)), "binary"
	case x < 0.20+g.large:
		data, kind = g.text(2000+g.r.IntN(8000)), "large"
	case x < 0.25+g.large:
		// Text with a NUL after the first 8000 bytes: git still calls it text.
		data = append(g.text(300+g.r.IntN(100)), 0)
		data = append(data, g.text(10)...)
		kind = "late-nul"
	default:
		data = g.text(1 + g.r.IntN(120))
	}
	if g.chance(0.15) {
		data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		kind += "+crlf"
	}
	if g.chance(0.15) && len(data) > 0 {
		data = bytes.TrimRight(data, "\r\n")
		kind += "+noeol"
	}
	return data, kind
}

// edit applies one random edit and names it.
func (g *gen) edit(data []byte) ([]byte, string) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	join := func() []byte { return bytes.Join(lines, nil) }
	switch g.r.IntN(10) {
	case 0, 1:
		frac := []float64{0.02, 0.1, 0.25, 0.4, 0.6}[g.r.IntN(5)]
		for i := range lines {
			if g.chance(frac) {
				lines[i] = []byte(g.line() + "\n")
			}
		}
		return join(), fmt.Sprintf("replace %.0f%%", frac*100)
	case 2:
		k := 1 + g.r.IntN(1+min(len(lines)/3, 40))
		for range k {
			at := g.r.IntN(len(lines) + 1)
			lines = append(lines[:at], append([][]byte{[]byte(g.line() + "\n")}, lines[at:]...)...)
		}
		return join(), fmt.Sprintf("insert %d", k)
	case 3:
		k := g.r.IntN(1 + min(len(lines)/3, 40))
		for range k {
			if len(lines) > 0 {
				at := g.r.IntN(len(lines))
				lines = append(lines[:at], lines[at+1:]...)
			}
		}
		return join(), fmt.Sprintf("delete %d", k)
	case 4:
		if len(lines) > 2 {
			a := g.r.IntN(len(lines))
			b := a + 1 + g.r.IntN(len(lines)-a)
			block := slices2(lines[a:b])
			rest := append(slices2(lines[:a]), lines[b:]...)
			at := g.r.IntN(len(rest) + 1)
			lines = append(rest[:at], append(block, rest[at:]...)...)
		}
		return join(), "move"
	case 5:
		if bytes.Contains(data, []byte("\r\n")) {
			return bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), "crlf->lf"
		}
		return bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")), "lf->crlf"
	case 6:
		return append(slices1(data), g.text(1+g.r.IntN(20))...), "append"
	case 7:
		return slices1(data[:g.r.IntN(len(data)+1)]), "truncate"
	case 8:
		out := slices1(data)
		k := 1 + g.r.IntN(8)
		for range k {
			if len(out) > 0 {
				out[g.r.IntN(len(out))] = byte(g.r.IntN(256))
			}
		}
		return out, fmt.Sprintf("flip %d", k)
	default:
		if bytes.HasSuffix(data, []byte("\n")) {
			return bytes.TrimSuffix(data, []byte("\n")), "noeol"
		}
		return append(slices1(data), '\n'), "eol"
	}
}

func slices1(b []byte) []byte     { return append([]byte(nil), b...) }
func slices2(b [][]byte) [][]byte { return append([][]byte(nil), b...) }

// derive is a destination made from a source: identical or edited.
func (g *gen) derive(data []byte) ([]byte, string) {
	if g.chance(0.3) {
		return slices1(data), "same"
	}
	var names []string
	n := 1 + g.r.IntN(3)
	for range n {
		var name string
		data, name = g.edit(data)
		names = append(names, name)
	}
	return data, strings.Join(names, ",")
}

// destPath is where a renamed file goes: same basename elsewhere, a new
// name in the same folder, or anywhere.
func (g *gen) destPath(src string) string {
	dir, base := "", src
	if i := strings.LastIndexByte(src, '/'); i >= 0 {
		dir, base = src[:i+1], src[i+1:]
	}
	switch g.r.IntN(4) {
	case 0, 1:
		return g.pick(genDirs) + base
	case 2:
		base := g.path()
		return dir + base[strings.LastIndexByte(base, '/')+1:]
	}
	return g.path()
}

func (g *gen) regularMode() uint32 {
	if g.chance(0.1) {
		return modeExec
	}
	return modeFile
}

func (g *gen) gitlinkID() string {
	return fmt.Sprintf("%040x", g.r.Uint64())
}

// genCase draws one case from its seed.
func genCase(seed uint64) *gcase {
	b := &caseBuilder{
		gen: gen{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))},
		c:   &gcase{name: fmt.Sprint(seed), seed: seed, old: map[string]entry{}, new: map[string]entry{}},
	}
	b.oldTree()
	deleted, kept := b.deleteSome()
	for _, from := range deleted {
		k := 1
		switch x := b.r.Float64(); {
		case x < 0.2:
			k = 0
		case x < 0.35:
			k = 2 + b.r.IntN(2)
		}
		for range k {
			e, why := b.derived(from)
			b.add(b.destPath(from), e, why)
		}
	}
	for _, from := range kept {
		if b.chance(0.05) { // similar to a file that stays: not a source
			e, why := b.derived(from)
			b.add(b.destPath(from), e, why)
		}
		if b.chance(0.1) {
			b.modify(from)
		}
	}
	for range b.r.IntN(5) {
		data, kind := b.content()
		b.add(b.path(), blobEntry(b.regularMode(), data), kind)
	}
	if b.chance(0.4) {
		b.c.mArg = b.pick([]string{"10%", "25%", "40%", "60%", "75%", "90%", "100%", ".55", "8", "3"})
	}
	if b.chance(0.3) {
		b.c.limit = []int{1, 2, 3, 5, 10, -1}[b.r.IntN(6)]
	}
	return b.c
}

// caseBuilder draws a case's trees.
type caseBuilder struct {
	gen
	c *gcase
}

func (b *caseBuilder) note(format string, args ...any) {
	b.c.notes = append(b.c.notes, fmt.Sprintf(format, args...))
}

// oldTree draws the committed files: mostly text, some binary, empty or
// tiny, identical copies, symlinks and gitlinks; from one to 300 of them.
func (b *caseBuilder) oldTree() {
	n := 1 + b.r.IntN(25)
	switch x := b.r.Float64(); {
	case x < 0.1:
		n = 150 + b.r.IntN(150)
	case x < 0.3:
		n = 25 + b.r.IntN(55)
	}
	b.large = 0.01
	if n > 30 {
		b.large = 0.002
	}
	var paths []string
	for range n {
		p := b.path()
		if !fits(b.c.old, p) {
			continue
		}
		var e entry
		switch x := b.r.Float64(); {
		case x < 0.1 && len(paths) > 0: // identical content elsewhere
			e = b.c.old[paths[b.r.IntN(len(paths))]]
			if e.mode != modeGitlink && e.mode != modeSymlink {
				e = blobEntry(b.regularMode(), e.data)
			}
			b.note("old %s: copy", p)
		case x < 0.17:
			e = blobEntry(modeSymlink, []byte(b.path()))
			b.note("old %s: symlink", p)
		case x < 0.20:
			e = entry{mode: modeGitlink, id: b.gitlinkID()}
			b.note("old %s: gitlink", p)
		default:
			data, kind := b.content()
			e = blobEntry(b.regularMode(), data)
			b.note("old %s: %s %d bytes", p, kind, len(data))
		}
		b.c.old[p] = e
		paths = append(paths, p)
	}
	for p, e := range b.c.old {
		b.c.new[p] = e
	}
}

// deleteSome drops a random share of the files from the new tree.
func (b *caseBuilder) deleteSome() (deleted, kept []string) {
	p := []float64{0.1, 0.3, 0.6, 1}[b.r.IntN(4)]
	for _, path := range sortedPaths(b.c.old) {
		if b.chance(p) {
			delete(b.c.new, path)
			deleted = append(deleted, path)
		} else {
			kept = append(kept, path)
		}
	}
	return deleted, kept
}

// add puts a new path in the new tree if it fits and is new.
func (b *caseBuilder) add(p string, e entry, why string) {
	if _, was := b.c.old[p]; !was && fits(b.c.new, p) {
		b.c.new[p] = e
		b.note("new %s: %s", p, why)
	}
}

// derived is a file made from an old one: a copy or an edit, a gitlink to
// the same or another commit, a symlink to the same or another target, or
// a regular file holding a symlink's target.
func (b *caseBuilder) derived(from string) (entry, string) {
	src := b.c.old[from]
	switch src.mode {
	case modeGitlink:
		if b.chance(0.7) {
			return src, "gitlink of " + from
		}
		return entry{mode: modeGitlink, id: b.gitlinkID()}, "other gitlink"
	case modeSymlink:
		switch x := b.r.Float64(); {
		case x < 0.6:
			return src, "symlink of " + from
		case x < 0.8:
			data, how := b.edit(src.data)
			return blobEntry(modeSymlink, data), "symlink " + how + " of " + from
		}
		return blobEntry(modeFile, src.data), "file with the target of " + from
	}
	data, how := b.derive(src.data)
	mode := src.mode
	if b.chance(0.15) {
		mode ^= 0o111
	}
	return blobEntry(mode, data), how + " of " + from
}

// modify changes a kept path: its content, its executable bit, or its
// type (a symlink now).
func (b *caseBuilder) modify(path string) {
	o := b.c.old[path]
	switch x := b.r.Float64(); {
	case x < 0.5 && o.mode != modeGitlink:
		data, how := b.edit(o.data)
		b.c.new[path] = blobEntry(o.mode, data)
		b.note("modified %s: %s", path, how)
	case x < 0.7 && (o.mode == modeFile || o.mode == modeExec):
		b.c.new[path] = blobEntry(o.mode^0o111, o.data)
		b.note("modified %s: mode", path)
	default:
		b.c.new[path] = blobEntry(modeSymlink, []byte(b.path()))
		b.note("modified %s: now a symlink", path)
	}
}
