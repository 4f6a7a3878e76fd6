package rules

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// want is one expected problem, read from an annotated corpus file.
type want struct {
	line int
	rule string
	text string
}

func (w want) String() string { return fmt.Sprintf("line %d rule %q: %q", w.line, w.rule, w.text) }

var wantRE = regexp.MustCompile(`want(?: rule=(\S+))? ("(?:[^"\\]|\\.)*")`)

// readWants collects the `# want rule=ID "text"` annotations of a corpus.
func readWants(t *testing.T, data []byte) []want {
	t.Helper()
	var ws []want
	for i, line := range strings.Split(string(data), "\n") {
		c := strings.Index(line, "# want")
		if c < 0 {
			continue
		}
		for _, m := range wantRE.FindAllStringSubmatch(line[c:], -1) {
			text, err := strconv.Unquote(m[2])
			if err != nil {
				t.Fatalf("line %d: bad annotation %s: %v", i+1, m[2], err)
			}
			ws = append(ws, want{line: i + 1, rule: m[1], text: text})
		}
	}
	return ws
}

// TestErrorCorpus parses every file in testdata/errors and checks that it
// yields exactly the problems annotated in it: one per annotation, on the
// annotated line, naming the annotated rule.
func TestErrorCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			wants := readWants(t, data)
			set, err := Loader{}.Parse(data, file)
			if set != nil {
				t.Errorf("Parse returned a set along with errors")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse error = %v (%T), want an ErrorList", err, err)
			}
			got := append(ErrorList(nil), list...)
			for _, w := range wants {
				i := matchError(got, w)
				if i < 0 {
					t.Errorf("missing problem at %s", w)
					continue
				}
				got = append(got[:i], got[i+1:]...)
			}
			for _, e := range got {
				t.Errorf("unexpected problem: line %d rule %q: %s", e.Line, e.Rule, e.Msg)
			}
			for _, e := range list {
				if e.File != file {
					t.Errorf("problem %q names file %q, want %q", e.Msg, e.File, file)
				}
			}
			if !sortedByLine(list) {
				t.Errorf("problems not sorted by line:\n%v", list)
			}
		})
	}
}

func matchError(list ErrorList, w want) int {
	for i, e := range list {
		if e.Line == w.line && e.Rule == w.rule && strings.Contains(e.Msg, w.text) {
			return i
		}
	}
	return -1
}

func sortedByLine(list ErrorList) bool {
	for i := 1; i < len(list); i++ {
		if list[i].Line < list[i-1].Line {
			return false
		}
	}
	return true
}

// TestErrorsNeverShowExamples: a rule's examples are credentials (fake
// ones, but the field exists to hold realistic values), so no message may
// quote them, whatever else is wrong with the rule.
func TestErrorsNeverShowExamples(t *testing.T) {
	data, err := os.ReadFile("testdata/errors/mistakes.toml")
	if err != nil {
		t.Fatal(err)
	}
	const mark = "EXAMPLEMARK"
	if n := strings.Count(string(data), mark); n < 5 {
		t.Fatalf("corpus holds %d examples with the marker; the test would prove nothing", n)
	}
	_, err = Loader{}.Parse(data, "mistakes.toml")
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), mark) {
		t.Errorf("error shows an example:\n%v", err)
	}
	// Examples of the wrong type are named by position, not by value.
	cfg := "[[rules]]\nid = \"a\"\nregex = 'a(b)'\nexamples = [\"a" + mark + "\", 7]\nnegatives = 5\n"
	_, err = Loader{}.Parse([]byte(cfg), "t.toml")
	if err == nil || strings.Contains(err.Error(), mark) {
		t.Errorf("error = %v", err)
	}
}

func TestSyntaxError(t *testing.T) {
	tests := []struct {
		name string
		toml string
		line int
	}{
		{"unterminated string", "title = \"x\"\n[[rules]]\nid = \"a\"\nregex = 'abc\n", 4},
		{"missing value", "[[rules]]\nid =\nregex = 'a'\n", 2},
		{"duplicate key", "[[rules]]\nid = \"a\"\n\nid = \"b\"\n", 4},
		{"bad header", "[[rules]]\nid = \"a\"\n[[rules\n", 3},
		{"after a multi-line string", "[[rules]]\ndescription = '''\n\n\n'''\nid = = 1\n", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Loader{}.Parse([]byte(tt.toml), "s.toml")
			var list ErrorList
			if set != nil || !errors.As(err, &list) {
				t.Fatalf("Parse = %v, %v; want an ErrorList", set, err)
			}
			if len(list) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(list), err)
			}
			e := list[0]
			if e.Line != tt.line || e.File != "s.toml" || !strings.HasPrefix(e.Msg, "TOML syntax: ") {
				t.Errorf("problem = %+v, want line %d in s.toml starting \"TOML syntax: \"", *e, tt.line)
			}
			if want := fmt.Sprintf("s.toml:%d: TOML syntax: ", tt.line); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), want)
			}
		})
	}
}

func TestErrorList(t *testing.T) {
	var l ErrorList
	if l.Err() != nil {
		t.Errorf("empty list Err() = %v, want nil", l.Err())
	}
	if got := l.Error(); got != "no errors" {
		t.Errorf("empty Error() = %q", got)
	}
	l.Add("b.toml", 3, "r1", "third %d", 3)
	l.Add("a.toml", 9, "", "ninth")
	l.Add("b.toml", 1, "", "first")
	l.Add("b.toml", 0, "", "unknown line")
	err := l.Err()
	want := "4 problems in configuration:\n" +
		"  a.toml:9: ninth\n" +
		"  b.toml: unknown line\n" +
		"  b.toml:1: first\n" +
		"  b.toml:3: rule \"r1\": third 3"
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n%v\nwant\n%s", err, want)
	}
	one := ErrorList{{File: "c.toml", Line: 2, Rule: "x", Msg: "bad"}}
	if got := one.Error(); got != `c.toml:2: rule "x": bad` {
		t.Errorf("single Error() = %q", got)
	}
}
