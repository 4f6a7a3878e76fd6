package linediff

import "testing"

// FuzzAdded checks the invariants of checkInvariants against a naive
// reference, for zero to two old versions and context 0..4.
func FuzzAdded(f *testing.F) {
	key := hdr + "\n" + keyA1 + "\n" + keyA2 + "\n" + ftr + "\n"
	for _, s := range []struct {
		newer, o1, o2 string
		n, context    uint8
	}{
		{"", "", "", 0, 3},
		{"a\nb\nc\n", "", "", 0, 3},
		{"a\nb\nc\n", "a\nc\n", "", 1, 1},
		{"a\r\nb\r\n", "a\nb\n", "", 1, 3},
		{"x\n}\n\ny\nz", "}\n\nz\n", "q\n", 2, 1},
		{"\xff\x00\n\x00\n\xfe", "\x00\n", "\xff\x00", 2, 0},
		{key, hdr + "\n" + keyB1 + "\n" + keyA2 + "\n" + ftr + "\n", "", 1, 0},
		{hdr + "\n" + keyB1 + "\n" + keyA2 + "\n" + keyB2 + "\n" + ftr + "\n", key, "", 1, 2},
		{putty1 + "\nEncryption: none\n" + keyB1 + "\nPrivate-MAC: 00\n", putty1 + "\nEncryption: none\n" + keyA1 + "\nPrivate-MAC: 00\n", "", 1, 1},
		{"------BEGIN x\n" + keyB1 + "\n-----END\n------END x\n", "------BEGIN x\n-----END x\n", "", 1, 4},
		{aws + "\nnew_line_xxxx\n" + aws + "\n", aws + "\n", "", 1, 3},
	} {
		f.Add([]byte(s.newer), []byte(s.o1), []byte(s.o2), s.n, s.context)
	}
	var d Differ
	f.Fuzz(func(t *testing.T, newer, o1, o2 []byte, n, context uint8) {
		olders := [][]byte{o1, o2}[:n%3]
		runs := d.Added(newer, olders, int(context%5))
		checkInvariants(t, newer, olders, runs)
	})
}
