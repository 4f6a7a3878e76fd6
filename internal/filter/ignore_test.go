package filter

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
)

func TestParseIgnore(t *testing.T) {
	ig, err := ParseIgnore(strings.NewReader(
		"# leakhound ignore file\n" +
			"\n" +
			"config/app.env:test-token:0a1b2c3d4e5f6a7b\n" +
			"  deploy/run.sh:r:1122 # rotated 2024-03-01\n" +
			"9fceb02d:deploy/run.sh:r:3344\t# after a tab\n" +
			"dir name/with space.txt:r:5566 # comment\n" +
			"path#hash.txt:r:7788\n" +
			"   # indented comment\n" +
			"\t\n" +
			"crlf.txt:r:99aa\r\n" +
			"config/app.env:test-token:0a1b2c3d4e5f6a7b\n" + // repeated
			"last:r:bbcc"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"9fceb02d:deploy/run.sh:r:3344",
		"config/app.env:test-token:0a1b2c3d4e5f6a7b",
		"crlf.txt:r:99aa",
		"deploy/run.sh:r:1122",
		"dir name/with space.txt:r:5566",
		"last:r:bbcc",
		"path#hash.txt:r:7788",
	}
	var got []string
	for fp := range ig.fps {
		got = append(got, fp)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fingerprints\n%q\nwant\n%q", got, want)
	}
	if ig.Len() != len(want) {
		t.Errorf("Len = %d", ig.Len())
	}
	if ig.Name() != "ignore-file" {
		t.Errorf("Name = %q", ig.Name())
	}
	for _, tt := range []struct {
		fp   string
		drop bool
	}{
		{"deploy/run.sh:r:1122", true},
		{"dir name/with space.txt:r:5566", true},
		{"deploy/run.sh:r:1122 # rotated 2024-03-01", false},
		{"# leakhound ignore file", false},
		{"", false},
		{"config/app.env:test-token:0a1b2c3d4e5f6a7", false},
	} {
		t.Run(tt.fp, func(t *testing.T) {
			drop, why := ig.Drop(&detect.Finding{Fingerprint: tt.fp})
			if drop != tt.drop || (drop && why != "fingerprint listed in ignore file") {
				t.Errorf("Drop = %v, %q", drop, why)
			}
		})
	}
}

func TestParseIgnoreLongLine(t *testing.T) {
	if _, err := ParseIgnore(strings.NewReader(strings.Repeat("x", 2<<20))); err == nil {
		t.Error("no error for a 2 MB line")
	}
}

func TestLoadIgnore(t *testing.T) {
	dir := t.TempDir()
	ig, err := LoadIgnore(filepath.Join(dir, ".leakhoundignore"))
	if ig != nil || err != nil {
		t.Errorf("missing file: %v, %v; want nil, nil", ig, err)
	}
	p := filepath.Join(dir, "ignore")
	if err := os.WriteFile(p, []byte("a:r:1\n# c\nb:r:2 # c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ig, err = LoadIgnore(p)
	if err != nil || ig.Len() != 2 {
		t.Fatalf("LoadIgnore = %v, %v", ig, err)
	}
	if _, err := LoadIgnore(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: error %v, want one naming it", err)
	}
}

func FuzzParseIgnore(f *testing.F) {
	f.Add("a:r:1\n# comment\n\nb:r:2 # c\n")
	f.Add("x\t#y\r\n #\n#\n")
	f.Add("dir name/f:r:3 # c # d")
	f.Fuzz(func(t *testing.T, data string) {
		ig, err := ParseIgnore(strings.NewReader(data))
		if err != nil {
			return
		}
		for fp := range ig.fps {
			if fp == "" || fp != strings.TrimSpace(fp) || strings.HasPrefix(fp, "#") || strings.ContainsAny(fp, "\n") || commentStart(fp) >= 0 {
				t.Fatalf("bad fingerprint %q from %q", fp, data)
			}
		}
	})
}
