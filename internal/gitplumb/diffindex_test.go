package gitplumb

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseDiffIndex(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	z := zeroID()
	for _, tc := range []struct {
		name, in string
		want     []StagedChange
		bad      bool
	}{
		{name: "empty", in: ""},
		{name: "modify", in: ":100644 100644 " + a + " " + b + " M\x00p\x00",
			want: []StagedChange{{Path: "p", Mode: ModeFile, Blob: b, Old: Side{Mode: ModeFile, Blob: a}, Status: 'M'}}},
		{name: "rename", in: ":100644 100755 " + a + " " + b + " R087\x00from\x00to\x00:000000 100644 " + z + " " + b + " A\x00n\x00",
			want: []StagedChange{
				{Path: "to", From: "from", Mode: ModeExec, Blob: b, Old: Side{Mode: ModeFile, Blob: a}, Status: 'R'},
				{Path: "n", Mode: ModeFile, Blob: b, Old: Side{Blob: z}, Status: 'A'},
			}},
		{name: "no path", in: ":100644 100644 " + a + " " + b + " M\x00", bad: true},
		{name: "rename without new path", in: ":100644 100644 " + a + " " + b + " R100\x00p\x00", bad: true},
		{name: "short id", in: ":100644 100644 abc " + b + " M\x00p\x00", bad: true},
		{name: "bad mode", in: ":1006x4 100644 " + a + " " + b + " M\x00p\x00", bad: true},
		{name: "bad status", in: ":100644 100644 " + a + " " + b + " Q\x00p\x00", bad: true},
		{name: "no colon", in: "100644 100644 " + a + " " + b + " M\x00p\x00", bad: true},
		{name: "unterminated", in: ":100644", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDiffIndex([]byte(tc.in))
			if tc.bad {
				if err == nil {
					t.Fatalf("no error; got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func FuzzParseDiffIndex(f *testing.F) {
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	f.Add([]byte(":100644 100644 " + a + " " + b + " M\x00p\x00"))
	f.Add([]byte(":100644 100644 " + a + " " + b + " R050\x00x\x00y\x00"))
	f.Add([]byte(":000000 000000 " + a + " " + b + " U\x00c\x00\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		changes, err := parseDiffIndex(in)
		if err != nil {
			return
		}
		for _, c := range changes {
			if !validID(c.Blob) || !validID(c.Old.Blob) {
				t.Fatalf("invalid id accepted: %+v", c)
			}
		}
	})
}
