package packfile

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// stdInflate is the reference: compress/zlib reading exactly size bytes,
// then the end of the stream and a matching checksum.
func stdInflate(in []byte, size int) ([]byte, bool) {
	z, err := zlib.NewReader(bytes.NewReader(in))
	if err != nil {
		return nil, false
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(z, out); err != nil {
		return nil, false
	}
	var one [1]byte
	if n, err := z.Read(one[:]); n > 0 || err != io.EOF {
		return nil, false
	}
	return out, true
}

// agree checks our inflater against the reference on one stream and
// claimed size.
func agree(t *testing.T, s *inflateState, in []byte, size int, what string) {
	t.Helper()
	want, ok := stdInflate(in, size)
	got := make([]byte, size)
	err := s.inflateZlib(in, got)
	switch {
	case ok && err != nil:
		t.Fatalf("%s: compress/zlib inflates %d bytes, ours fails: %v", what, size, err)
	case !ok && err == nil:
		t.Fatalf("%s: compress/zlib fails on %d bytes, ours inflates them", what, size)
	case ok && !bytes.Equal(got, want):
		t.Fatalf("%s: inflated bytes differ from compress/zlib's", what)
	}
}

// samples are contents of the shapes a repository holds: text, source
// with long repeats, runs of one byte, random bytes, and empty.
func samples(rng *rand.Rand) [][]byte {
	words := []string{"func ", "return ", "secret", " = ", "\"", "\n", "\t", "if err != nil {", "}", "key", "0x", "import", "//"}
	var out [][]byte
	for _, n := range []int{0, 1, 2, 7, 100, 1000, 5000, 40000, 70000} {
		var text bytes.Buffer
		for text.Len() < n {
			text.WriteString(words[rng.IntN(len(words))])
		}
		out = append(out, text.Bytes()[:n])
		random := make([]byte, n)
		for i := range random {
			random[i] = byte(rng.Uint32())
		}
		out = append(out, random)
		out = append(out, bytes.Repeat([]byte{'a'}, n))
		mixed := append([]byte(nil), text.Bytes()[:n]...)
		for i := 0; i < n; i += 1 + rng.IntN(64) {
			mixed[i] = byte(rng.Uint32())
		}
		out = append(out, mixed)
	}
	return out
}

func compress(t *testing.T, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	// Several writes and a flush in the middle make several blocks.
	half := len(data) / 2
	w.Write(data[:half])
	if level != flate.HuffmanOnly {
		w.Flush()
	}
	w.Write(data[half:])
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInflateAgreesWithZlib: on streams of every block type (stored,
// fixed and dynamic codes, Huffman only) over contents of several shapes
// and sizes, and on the same streams damaged (bits flipped, cut short,
// a wrong size claimed), our inflater and compress/zlib inflate the same
// bytes or both fail.
func TestInflateAgreesWithZlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s inflateState
	for i, data := range samples(rng) {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression, flate.HuffmanOnly} {
			in := compress(t, data, level)
			what := fmt.Sprintf("sample %d (%d bytes) level %d", i, len(data), level)
			got := make([]byte, len(data))
			if err := s.inflateZlib(in, got); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s: %v", what, err)
			}
			agree(t, &s, in, len(data)+1, what+", one byte too many claimed")
			if len(data) > 0 {
				agree(t, &s, in, len(data)-1, what+", one byte too few claimed")
			}
			if len(data) > 40000 {
				continue // damage to a long stream is tried on the shorter ones
			}
			for cut := range min(len(in), 12) {
				agree(t, &s, in[:len(in)-1-cut], len(data), fmt.Sprintf("%s, cut by %d", what, cut+1))
			}
			for range 30 {
				bad := append([]byte(nil), in...)
				bad[rng.IntN(len(bad))] ^= 1 << rng.IntN(8)
				agree(t, &s, bad, len(data), what+", a bit flipped")
			}
		}
	}
}

// TestInflateFixedAndDegenerateCodes: hand-made streams of the cases an
// encoder seldom writes: fixed codes, a dynamic block with one distance
// code of length 1 (zlib accepts it) and with none, and codes that are
// over-subscribed or incomplete.
func TestInflateFixedAndDegenerateCodes(t *testing.T) {
	var s inflateState
	var b bytes.Buffer
	// Fixed codes, as compress/flate writes for a tiny input.
	w, _ := zlib.NewWriterLevel(&b, flate.BestSpeed)
	w.Write([]byte("abcabcabcabc"))
	w.Close()
	agree(t, &s, b.Bytes(), 12, "fixed codes")
	// Random dynamic headers: most are invalid codes, which both must
	// refuse alike; some are the degenerate ones.
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		body := make([]byte, 4+rng.IntN(40))
		for j := range body {
			body[j] = byte(rng.Uint32())
		}
		body[0] = body[0]&^7 | 5 // final, dynamic
		in := append([]byte{0x78, 0x9c}, body...)
		agree(t, &s, in, rng.IntN(64), fmt.Sprintf("random dynamic block %d", i))
	}
}

// FuzzInflate: on any bytes and claimed size, our inflater agrees with
// compress/zlib, and never panics.
func FuzzInflate(f *testing.F) {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte("package main\n\nfunc main() { println(\"secret = 0123456789abcdef\") }\n"))
	w.Close()
	f.Add(b.Bytes(), uint16(70))
	f.Add([]byte{0x78, 0x01, 0x01, 0x03, 0x00, 0xfc, 0xff, 'a', 'b', 'c', 0x02, 0x4d, 0x01, 0x27}, uint16(3))
	f.Add([]byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}, uint16(0))
	var s inflateState
	f.Fuzz(func(t *testing.T, in []byte, size uint16) {
		agree(t, &s, in, int(size), "fuzzed stream")
	})
}
