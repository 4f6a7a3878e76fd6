package gitrename

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSimilarity(t *testing.T) {
	x := strings.Repeat
	tests := []struct {
		name     string
		src, dst string
		minScore int
		want     int
	}{
		// One 6-byte line of 12 is shared.
		{"one line of two", "line1\nline2\n", "line1\nline3\n", DefaultMinScore, 30000},
		{"identical", "abc\n", "abc\n", DefaultMinScore, MaxScore},
		// A last line without a newline is no chunk: identical files
		// without a final newline score below 100% (exact renames do not
		// get here).
		{"no final newline", "abc\ndef", "abc\ndef", DefaultMinScore, 4 * MaxScore / 7},
		// Text: the CR of CRLF is skipped, but the size keeps it.
		{"crlf against lf", "a\r\nb\r\n", "a\nb\n", DefaultMinScore, 4 * MaxScore / 6},
		// Binary (a NUL): the CR stays, so no chunk matches.
		{"crlf in binary", "a\r\nb\r\n\x00", "a\nb\n", 1, 0},
		// 130 a's and a newline are chunks of 64, 64 and 3 bytes.
		{"64-byte chunks", x("a", 130) + "\n", x("a", 64) + "\n", 6000, 64 * MaxScore / 131},
		{"64-byte chunks, size rejects", x("a", 130) + "\n", x("a", 64) + "\n", DefaultMinScore, 0},
		// 10 bytes against 100 differ by more than half the larger.
		{"size rejects", x("0123456789", 1), x("0123456789", 10), DefaultMinScore, 0},
		{"size rejects at 1%", x("0123456789\n", 1), x("0123456789\n", 2), 1, MaxScore / 2},
		{"empty", "", "", DefaultMinScore, 0},
		{"empty source", "", "a\n", 1, 0},
		// A NUL at byte 8000 is past what git looks at: text.
		{"nul after 8000 bytes is text", x("x", 8000) + "\x00\r\n", x("x", 8000) + "\x00\n", DefaultMinScore, 8002 * MaxScore / 8003},
		// At byte 7999 it makes the source binary, so its CR counts.
		{"nul at 7999 is binary", x("x", 7999) + "\x00\r\n", x("x", 7999) + "\x00\n", DefaultMinScore, 8000 * MaxScore / 8002},
		// Chunks count as often as the source has them, no more.
		{"repeated lines", "a\na\nb\n", "a\na\na\na\n", 1, 4 * MaxScore / 8},
		{"moved lines", "1\n2\n3\n4\n", "3\n4\n1\n2\n", DefaultMinScore, MaxScore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Similarity([]byte(tt.src), []byte(tt.dst), tt.minScore); got != tt.want {
				t.Errorf("Similarity = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	for _, tt := range []struct{ score, want int }{
		{MaxScore, 100}, {59999, 99}, {30000, 50}, {29999, 49}, {600, 1}, {599, 0}, {0, 0},
	} {
		if got := Percent(tt.score); got != tt.want {
			t.Errorf("Percent(%d) = %d, want %d", tt.score, got, tt.want)
		}
	}
}

func TestParseScore(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		err  bool
	}{
		{"", 0, false}, {"50%", 30000, false}, {"5", 36000 * 5 / 6, false}, {"50", 30000, false},
		{".5", 30000, false}, {"0.5", 30000, false}, {"100%", MaxScore, false}, {"200%", MaxScore, false},
		{"1", 6000, false}, {"9", 54000, false}, {"99", 59400, false}, {"123456", 7407, false},
		{"33.3%", 19980, false}, {".00001", 0, false}, {".00002", 1, false},
		{"5x", 0, true}, {"50%%", 0, true}, {"1.2.3", 0, true},
	} {
		got, err := ParseScore(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseScore(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// store is an in-memory object store that counts loads.
type store struct {
	blobs map[string][]byte
	loads map[string]int
}

func newStore() *store { return &store{blobs: map[string][]byte{}, loads: map[string]int{}} }

func (s *store) file(path, content string) File {
	e := blobEntry(modeFile, []byte(content))
	s.blobs[e.id] = e.data
	return File{Path: path, Mode: modeFile, ID: e.id}
}

func (s *store) load(id string) ([]byte, error) {
	s.loads[id]++
	b, ok := s.blobs[id]
	if !ok {
		return nil, fmt.Errorf("object %s missing", id)
	}
	return b, nil
}

func TestDetect(t *testing.T) {
	s := newStore()
	body := lines("body", 0, 20)
	deleted := []File{
		s.file("z/old.go", body),
		s.file("a/same", "same\n"),
		s.file("gone", lines("gone", 0, 20)),
	}
	added := []File{
		s.file("new.go", body+"extra line\n"),
		s.file("b/same", "same\n"),
		s.file("fresh", lines("fresh", 0, 20)),
	}
	res, err := Detect(deleted, added, Options{Load: s.load})
	if err != nil {
		t.Fatal(err)
	}
	// b/same sorts before new.go: the output is by destination path.
	want := []Pair{{Src: 1, Dst: 1, Score: MaxScore}, {Src: 0, Dst: 0, Score: len(body) * MaxScore / (len(body) + len("extra line\n"))}}
	if !slices.Equal(res.Pairs, want) || res.NeededLimit != 0 {
		t.Fatalf("Detect = %+v, want %v", res, want)
	}
	if s.loads[deleted[1].ID] != 0 {
		t.Errorf("an exact rename loaded its blob")
	}
	for id, n := range s.loads {
		if n > 1 {
			t.Errorf("blob %s loaded %d times", id, n)
		}
	}
	order := Order(deleted, added, []string{"m"}, res.Pairs)
	wantOrder := []Entry{
		{Kind: Renamed, Index: 1, Src: 1, Score: MaxScore},
		{Kind: Added, Index: 2},
		{Kind: Deleted, Index: 2},
		{Kind: Other, Index: 0},
		{Kind: Renamed, Index: 0, Src: 0, Score: want[1].Score},
	}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("Order = %+v, want %+v", order, wantOrder)
	}
}

func TestDetectLoadError(t *testing.T) {
	s := newStore()
	deleted := []File{s.file("a", lines("a", 0, 10))}
	added := []File{{Path: "b", Mode: modeFile, ID: strings.Repeat("f", 40)}}
	_, err := Detect(deleted, added, Options{Load: s.load})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Detect error = %v, want the load error", err)
	}
	sizeErr := errors.New("no size")
	_, err = Detect(deleted, added, Options{Load: s.load, Size: func(string) (int64, error) { return 0, sizeErr }})
	if !errors.Is(err, sizeErr) {
		t.Fatalf("Detect error = %v, want %v", err, sizeErr)
	}
}

func TestDetectOptions(t *testing.T) {
	s := newStore()
	for _, ms := range []int{-1, MaxScore + 1} {
		if _, err := Detect(nil, nil, Options{MinScore: ms, Load: s.load}); err == nil {
			t.Errorf("MinScore %d accepted", ms)
		}
	}
	if _, err := Detect(nil, nil, Options{}); err == nil {
		t.Error("nil Load accepted")
	}
	// Symlinks and gitlinks are never loaded.
	deleted := []File{{Path: "l", Mode: modeSymlink, ID: strings.Repeat("1", 40)}, {Path: "s", Mode: modeGitlink, ID: strings.Repeat("2", 40)}}
	added := []File{{Path: "l2", Mode: modeSymlink, ID: strings.Repeat("3", 40)}, {Path: "s2", Mode: modeGitlink, ID: strings.Repeat("4", 40)}}
	res, err := Detect(deleted, added, Options{Load: s.load})
	if err != nil || len(res.Pairs) != 0 {
		t.Fatalf("Detect = %+v, %v", res, err)
	}
}

// TestDetectSizeSavesLoads: with sizes known, a pair whose sizes differ
// too much is never loaded.
func TestDetectSizeSavesLoads(t *testing.T) {
	s := newStore()
	deleted := []File{s.file("small", "a\n")}
	added := []File{s.file("big", lines("big", 0, 100))}
	size := func(id string) (int64, error) { return int64(len(s.blobs[id])), nil }
	res, err := Detect(deleted, added, Options{Load: s.load, Size: size})
	if err != nil || len(res.Pairs) != 0 {
		t.Fatalf("Detect = %+v, %v", res, err)
	}
	if len(s.loads) != 0 {
		t.Errorf("loads = %v, want none", s.loads)
	}
}

// TestDetectUnlimited checks the rename limit without git: 1001 x 1001
// candidates are over the default limit, and a negative limit lifts it.
func TestDetectUnlimited(t *testing.T) {
	s := newStore()
	var deleted, added []File
	for i := range 1001 {
		deleted = append(deleted, s.file(fmt.Sprintf("d/s%04d", i), fmt.Sprintf("x %04d\nshared\n", i)))
		added = append(added, s.file(fmt.Sprintf("a/t%04d", i), fmt.Sprintf("x %04d\nshared\nmore\n", i)))
	}
	res, err := Detect(deleted, added, Options{Load: s.load})
	if err != nil || len(res.Pairs) != 0 || res.NeededLimit != 1001 {
		t.Fatalf("default limit: %d pairs, needed limit %d, %v", len(res.Pairs), res.NeededLimit, err)
	}
	if testing.Short() {
		return
	}
	res, err = Detect(deleted, added, Options{Load: s.load, RenameLimit: -1})
	if err != nil || len(res.Pairs) != 1001 || res.NeededLimit != 0 {
		t.Fatalf("no limit: %d pairs, needed limit %d, %v", len(res.Pairs), res.NeededLimit, err)
	}
	for _, p := range res.Pairs {
		if p.Src != p.Dst || p.Score != 14*MaxScore/19 {
			t.Fatalf("pair %+v", p)
		}
	}
}

func TestBinaryOption(t *testing.T) {
	s := newStore()
	deleted := []File{s.file("a.txt", "one\r\ntwo\r\nthree\r\n")}
	added := []File{s.file("b.txt", "one\ntwo\nthree\n")}
	for _, tt := range []struct {
		mode BinaryMode
		want int
	}{{ByContent, 14 * MaxScore / 17}, {Text, 14 * MaxScore / 17}, {Binary, 0}} {
		res, err := Detect(deleted, added, Options{Load: s.load, MinScore: 1, Binary: func(string) BinaryMode { return tt.mode }})
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		if len(res.Pairs) == 1 {
			got = res.Pairs[0].Score
		}
		if got != tt.want {
			t.Errorf("mode %d: score %d, want %d", tt.mode, got, tt.want)
		}
	}
}
