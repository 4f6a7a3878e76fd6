package rules

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/leakhound/leakhound/config"
)

// FuzzParse feeds arbitrary bytes to the loader: it must never panic, and
// must return either a set or an ErrorList whose lines lie in the input.
// Seeds: every configuration under testdata, the default rules, and a few
// broken snippets.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.toml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(config.Default()))
	for _, s := range []string{
		"",
		"[[rules]]\nid = \"a\"\nregex = '''(a)(b)'''\nsecret_group = 2\nkeywords = [\"a\"]\n",
		"[[rules]]\nid = \"p\"\npath = '''\\.pem$'''\n[rules.allowlist]\nstopwords = [\"x\"]\n",
		"[allowlist]\nregexes = ['x']\n[[allowlists]]\ncondition = \"and\"\npaths = ['y']\nstopwords = ['z']\n",
		"[extend]\nuse_default = true\ndisabled_rules = [\"a\"]\n",
		"rules = [{id = \"a\", regex = \"(\"}]\n",
		"[[rules]]\nid = \"a\"\ndescription = '''\n[[rules]]\n'''\nregex = \"\"\"x\\\"\"\"\"\"\n",
		"[[rules]]\nid = \"a\"\nregex = 'a\n",
		"[[rules]]\n[[rules]]\nid = 1\nwindow = 99999999999\nentropy = nan\n",
		"\ufeff[[rules]]\r\nid = 'x'\r\nregex = 'x'\r\n",
		"a = [\n[[rules]]\n",
	} {
		f.Add([]byte(s))
	}
	ld := Loader{Default: func() (*Set, error) { return &Set{Source: "default"}, nil }}
	f.Fuzz(func(t *testing.T, data []byte) {
		newLineIndex(data) // also on text the TOML parser rejects
		if readsOutside(data) {
			t.Skip("[extend] path outside the package directory")
		}
		set, err := ld.Parse(data, "fuzz.toml")
		if (set == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one", set, err)
		}
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) {
				return // an [extend] base could not be read
			}
			if len(list) == 0 {
				t.Fatal("empty ErrorList returned as an error")
			}
			lines := bytes.Count(data, []byte{'\n'}) + 1
			for _, e := range list {
				if e.File == "fuzz.toml" && (e.Line < 0 || e.Line > lines) {
					t.Fatalf("problem on line %d of a %d-line input: %v", e.Line, lines, e)
				}
			}
			return
		}
		for _, r := range set.Rules {
			if r.ID == "" || r.SecretGroup < 0 || r.Window < 0 || r.Window > maxWindow || (r.Regex == "" && r.Path == nil) {
				t.Fatalf("accepted an invalid rule: %+v", r)
			}
		}
	})
}

// readsOutside reports whether data is a configuration that extends a file
// by a path that is not local (an absolute path could name /dev/zero).
func readsOutside(data []byte) bool {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return false
	}
	ext, _ := raw["extend"].(map[string]any)
	p, ok := ext["path"].(string)
	return ok && !filepath.IsLocal(p)
}
