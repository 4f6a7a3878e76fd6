package linediff

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// want describes one Run by its text: the whole run, its owned part and the
// line number of its first byte.
type want struct {
	text  string
	line  int
	owned string
}

func (w want) String() string { return fmt.Sprintf("{line %d %q owned %q}", w.line, w.text, w.owned) }

func got(newer []byte, runs []Run) []want {
	var out []want
	for _, r := range runs {
		out = append(out, want{
			text:  string(newer[r.Start:r.End]),
			line:  r.Line,
			owned: string(newer[r.Start+r.OwnedStart : r.Start+r.OwnedEnd]),
		})
	}
	return out
}

// lines joins its arguments, each followed by "\n".
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// Long distinct lines, none of them filler.
var (
	l1, l2, l3, l4, l5, l6, l7, l8 = "line_one_aaaa", "line_two_bbbb", "line_three_cc", "line_four_ddd",
		"line_five_eee", "line_six_ffff", "line_seven_gg", "line_eight_hh"
	n1, n2 = "new_line_xxxx", "new_line_yyyy"
)

const (
	hdr    = "-----BEGIN RSA PRIVATE KEY-----"
	ftr    = "-----END RSA PRIVATE KEY-----"
	keyA1  = "MIIEowIBAAKCAQEAwJ5pa6mB9kV7ZV0rtTzH8qVhoaGrbRKkO1uVRPnNJaJKYJxm"
	keyA2  = "5T4n8nDxJ3QmhT0yGEjL1mZMPhrB0RrJ2AmqCD6X9OkxqVvH2GxhQyLqJfPlNkRa"
	keyA3  = "Kp2GRzHxOMfQ0XKp9yP9UeQSmKmC2IBl1R3pVGnqF0FjjF7lCk8wZkHgqLSZrG4c"
	keyB1  = "MIIEpAIBAAKCAQEAzQ2HhN5nqXhL3JvYdrN2hKx9KXxrRa1FmCwF1Zs7YtL6wqG0"
	keyB2  = "HBpYtYt7c8oZ9nL0qE3vK1wMdRfT5sUuJ2rXcZg6p8yAaN4Wb0iQhDe7kGjFmVsO"
	keyB3  = "R2dCv6tWq9yJ0hL3nP5bM8xK1zF4gS7eA2uT6iY9oQ3wE0rD5cV8bN1mX4jZ7kH="
	aws    = `AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"`
	putty1 = "PuTTY-User-Key-File-2: ssh-rsa"
)

func TestAdded(t *testing.T) {
	base := lines(l1, l2, l3, l4, l5)
	keyA := lines(hdr, keyA1, keyA2, keyA3, ftr)
	tests := []struct {
		name    string
		newer   string
		olders  []string
		context int
		want    []want
	}{
		{"empty", "", nil, 3, nil},
		{"empty newer, old content", "", []string{base}, 3, nil},
		{"no olders: whole file", base, nil, 3, []want{{base, 1, base}}},
		{"empty older: whole file", "x\ny", []string{""}, 1, []want{{"x\ny", 1, "x\ny"}}},
		{"identical", base, []string{base}, 3, nil},
		{"identical to the second parent", base, []string{"other\n", base}, 3, nil},
		{"deletions only", lines(l1, l3, l5), []string{base}, 3, nil},
		{"all lines deleted", "", []string{base}, 0, nil},
		{"one line changed, context 1", lines(l1, l2, n1, l4, l5), []string{base}, 1,
			[]want{{lines(l2, n1, l4), 2, n1 + "\n"}}},
		{"one line changed, context 0", lines(l1, l2, n1, l4, l5), []string{base}, 0,
			[]want{{n1 + "\n", 3, n1 + "\n"}}},
		{"context clipped at the ends; two runs share context", lines(n1, l1, n2), []string{lines(l1)}, 3,
			[]want{{lines(n1, l1, n2), 1, n1 + "\n"}, {lines(n1, l1, n2), 1, n2 + "\n"}}},
		{"negative context is 0", lines(l1, n1, l2), []string{lines(l1, l2)}, -4,
			[]want{{n1 + "\n", 2, n1 + "\n"}}},
		{"appended without final newline", lines(l1, l2) + n1, []string{lines(l1, l2)}, 1,
			[]want{{l2 + "\n" + n1, 2, n1}}},
		{"final newline added is not new", l1 + "\n", []string{l1}, 3, nil},
		{"final newline removed is not new", l1, []string{l1 + "\n"}, 3, nil},
		{"CRLF to LF is not new", "a\nb\n", []string{"a\r\nb\r\n"}, 3, nil},
		{"LF to CRLF is not new", "a\r\nb\r\n", []string{"a\nb\n"}, 3, nil},
		{"CRLF line added", "a\r\nb\r\nc\r\n", []string{"a\nb\n"}, 1, []want{{"b\r\nc\r\n", 2, "c\r\n"}}},
		{"only one CR is stripped", "a\r\r\n", []string{"a\r\n"}, 0, []want{{"a\r\r\n", 1, "a\r\r\n"}}},
		{"whitespace change is new", "  a\n", []string{"a\n"}, 0, []want{{"  a\n", 1, "  a\n"}}},
		{"moved line is not new", lines(l3, l1, l2, l5, l4), []string{base}, 3, nil},
		{"duplicated old line is not new", lines(l1, l2, l1, l3, l1, l4, l5), []string{base}, 3, nil},
		{"invalid UTF-8 and NUL", "\xff\x00a\n\xfe\x00\n", []string{"\xff\x00a\n"}, 1,
			[]want{{"\xff\x00a\n\xfe\x00\n", 1, "\xfe\x00\n"}}},
		{"NUL-only lines", "\x00\n\x00\x00\n", []string{"\x00\n"}, 0, []want{{"\x00\x00\n", 2, "\x00\x00\n"}}},
		{"empty line added", lines(l1, "", l2), []string{lines(l1, l2)}, 0, []want{{"\n", 2, "\n"}}},
		{"line numbers deep in the file", lines(l1, l2, l3, l4, l5, l6, n1, l7), []string{lines(l1, l2, l3, l4, l5, l6, l7)}, 2,
			[]want{{lines(l5, l6, n1, l7), 5, n1 + "\n"}}},

		{"merge: clean merge adds nothing", lines(l1, l2, l3, l4), []string{lines(l1, l2), lines(l3, l4)}, 3, nil},
		{"merge: evil line", lines(l1, l2, n1, l3, l4), []string{lines(l1, l2), lines(l3, l4)}, 1,
			[]want{{lines(l2, n1, l3), 2, n1 + "\n"}}},
		{"merge: line from any parent is old", lines(l1, l2, l3), []string{lines(l1), lines(l2), lines(l3)}, 1, nil},
		{"merge: three parents, two new lines", lines(l1, n1, l2, l3, l4, l5, l6, n2), []string{lines(l1), lines(l2, l3), lines(l4, l5, l6)}, 1,
			[]want{{lines(l1, n1, l2), 1, n1 + "\n"}, {lines(l6, n2), 7, n2 + "\n"}}},

		{"runs with filler between merge", lines(l1, n1, "}", "", n2, l2), []string{lines(l1, "}", "", l2)}, 1,
			[]want{{lines(l1, n1, "}", "", n2, l2), 1, lines(n1, "}", "", n2)}}},
		{"filler gap longer than 2×context does not merge", lines(l1, n1, "}", "", "{", n2, l2), []string{lines(l1, "}", "", "{", l2)}, 1,
			[]want{{lines(l1, n1, "}"), 1, n1 + "\n"}, {lines("{", n2, l2), 5, n2 + "\n"}}},
		{"gap line that could hold a secret is never owned", lines(l1, n1, aws, n2, l2), []string{lines(l1, aws, l2)}, 1,
			[]want{{lines(l1, n1, aws), 1, n1 + "\n"}, {lines(aws, n2, l2), 3, n2 + "\n"}}},
		{"context 0 never bridges", lines(n1, "}", n2), []string{"}\n"}, 0,
			[]want{{n1 + "\n", 1, n1 + "\n"}, {n2 + "\n", 3, n2 + "\n"}}},
		{"adjacent new lines are one run", lines(l1, n1, n2, l2), []string{lines(l1, l2)}, 0,
			[]want{{lines(n1, n2), 2, lines(n1, n2)}}},
		{"old secret in context is not owned", lines(aws, n1), []string{lines(aws)}, 3,
			[]want{{lines(aws, n1), 1, n1 + "\n"}}},

		{"key replaced: owned from its header, run reaches its footer", lines(l1, hdr, keyB1, keyB2, keyB3, ftr, l2), []string{lines(l1) + keyA + lines(l2)}, 0,
			[]want{{lines(hdr, keyB1, keyB2, keyB3, ftr), 2, lines(hdr, keyB1, keyB2, keyB3)}}},
		{"key edited in place", lines(l1, hdr, keyA1, keyB2, keyA3, ftr, l2), []string{lines(l1) + keyA + lines(l2)}, 1,
			[]want{{lines(l1, hdr, keyA1, keyB2, keyA3, ftr), 1, lines(hdr, keyA1, keyB2)}}},
		{"second key added under an old one", keyA + lines(l1) + lines(hdr, keyB1, keyB2, keyB3, ftr), []string{keyA + lines(l1)}, 0,
			[]want{{lines(hdr, keyB1, keyB2, keyB3, ftr), 7, lines(hdr, keyB1, keyB2, keyB3)}}},
		{"key edited in two places: ownership does not overlap", lines(hdr, keyB1, keyA2, keyB3, ftr), []string{keyA}, 0,
			[]want{{lines(hdr, keyB1, keyA2, keyB3, ftr), 1, lines(hdr, keyB1)}, {lines(keyB3, ftr), 4, keyB3 + "\n"}}},
		{"line after an old key is not in the block", keyA + lines(n1), []string{keyA}, 1,
			[]want{{lines(ftr, n1), 5, n1 + "\n"}}},
		{"key in one line is no block", lines(l1, `k = "`+hdr+`\n`+keyB1+`\n`+ftr+`"`, l2), []string{lines(l1, l2)}, 0,
			[]want{{lines(`k = "` + hdr + `\n` + keyB1 + `\n` + ftr + `"`), 2, lines(`k = "` + hdr + `\n` + keyB1 + `\n` + ftr + `"`)}}},
		{"indented key in YAML", lines("key: |", "  "+hdr, "  "+keyB1, "  "+ftr), []string{lines("key: |", "  "+hdr, "  "+keyA1, "  "+ftr)}, 0,
			[]want{{lines("  "+hdr, "  "+keyB1, "  "+ftr), 2, lines("  "+hdr, "  "+keyB1)}}},
		{"PuTTY key regenerated", lines(putty1, "Encryption: none", "Comment: me", "Public-Lines: 1", keyB1, "Private-Lines: 1", keyB2, "Private-MAC: 0011"),
			[]string{lines(putty1, "Encryption: none", "Comment: me", "Public-Lines: 1", keyA1, "Private-Lines: 1", keyA2, "Private-MAC: 0011")}, 0,
			[]want{
				{lines(putty1, "Encryption: none", "Comment: me", "Public-Lines: 1", keyB1, "Private-Lines: 1", keyB2, "Private-MAC: 0011"), 1, lines(putty1, "Encryption: none", "Comment: me", "Public-Lines: 1", keyB1)},
				{lines(keyB2, "Private-MAC: 0011"), 7, keyB2 + "\n"},
			}},
		{"footer without header is no block", lines(keyB1, ftr), []string{lines(keyA1, ftr)}, 0, []want{{keyB1 + "\n", 1, keyB1 + "\n"}}},
	}
	var d Differ // shared, so scratch reuse is exercised
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			olders := make([][]byte, len(tc.olders))
			for i, o := range tc.olders {
				olders[i] = []byte(o)
			}
			newer := []byte(tc.newer)
			runs := d.Added(newer, olders, tc.context)
			if g := got(newer, runs); !slices.Equal(g, tc.want) {
				t.Errorf("runs:\n got  %v\n want %v", g, tc.want)
			}
			checkInvariants(t, newer, olders, runs)
			if g := got(newer, Added(newer, olders, tc.context)); !slices.Equal(g, tc.want) {
				t.Errorf("package Added differs from Differ.Added: %v", g)
			}
		})
	}
}

// TestBlockReach: a header further back than maxBlock does not extend
// ownership, and a footer further than maxBlock past its header does not
// extend the run.
func TestBlockReach(t *testing.T) {
	filler := strings.Repeat(keyA1+"\n", maxBlock/len(keyA1)+1)
	older := []byte(hdr + "\n" + filler + keyA2 + "\n" + ftr + "\n")
	newer := []byte(hdr + "\n" + filler + keyB2 + "\n" + ftr + "\n")
	runs := Added(newer, [][]byte{older}, 0)
	if g := got(newer, runs); len(g) != 1 || g[0].owned != keyB2+"\n" || g[0].text != keyB2+"\n" {
		t.Errorf("far header: got %v", g)
	}
	newer = []byte(hdr + "\n" + keyB2 + "\n" + filler + ftr + "\n")
	older = []byte(hdr + "\n" + keyA2 + "\n" + filler + ftr + "\n")
	runs = Added(newer, [][]byte{older}, 0)
	if g := got(newer, runs); len(g) != 1 || g[0].owned != hdr+"\n"+keyB2+"\n" || g[0].text != g[0].owned {
		t.Errorf("far footer: got %v", g)
	}
}

// TestHugeLine: one 100 MB line costs linear time, whether old or new.
func TestHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 300 MB")
	}
	big := bytes.Repeat([]byte("-----BEGIN a"), 100<<20/12)
	older := append(append([]byte{}, big...), "\nold\n"...)
	newer := append(append([]byte{}, big...), "\nnew\n-----END x\n"...)
	var d Differ
	runs := d.Added(newer, [][]byte{older}, 1)
	if len(runs) != 1 || runs[0].Start != 0 || runs[0].Line != 1 || runs[0].Start+runs[0].OwnedStart != len(big)+1 {
		t.Fatalf("old huge line: runs %+v", runs)
	}
	runs = d.Added(big, [][]byte{[]byte("x")}, 3)
	if len(runs) != 1 || runs[0].End != len(big) || runs[0].OwnedEnd != len(big) {
		t.Fatalf("new huge line: runs %+v", runs)
	}
	runs = d.Added(newer, [][]byte{newer[:len(newer)-1]}, 3) // only the final newline differs
	if len(runs) != 0 {
		t.Fatalf("final newline: runs %+v", runs)
	}
}

func TestFiller(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"", true}, {"}", true}, {"\t\treturn err", true}, {"if err != nil {", true}, {"} else {", true},
		{"password: x", false}, {"ghp_abcd", false}, {"abc\xff\xfe\xfd\xfc\xfb", false}, {"12345678", false},
		{"a.b.c.d.e.f.g.h.i", true}, {"P@ss-w0rd!", true},
	} {
		t.Run(tc.line, func(t *testing.T) {
			if got := filler([]byte(tc.line)); got != tc.want {
				t.Errorf("filler(%q) = %v", tc.line, got)
			}
		})
	}
}

func TestSetZeroAndReuse(t *testing.T) {
	var s set
	s.fill([]uint64{0, 1, 17, 33})
	for _, h := range []uint64{0, 1, 17, 33} {
		if !s.has(h) {
			t.Errorf("missing %d", h)
		}
	}
	if s.has(2) || s.has(49) {
		t.Error("has a non-member")
	}
	s.fill([]uint64{5})
	if s.has(0) || s.has(1) || !s.has(5) {
		t.Error("fill did not empty the set")
	}
}
