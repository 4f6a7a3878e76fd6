package accuracy

import (
	"bytes"
	"strings"
	"testing"
)

const truthText = `# comment
a.go	3	vendor:github
a.go	5	password
b.env	1	generic
b.env	2	decoy:placeholder
`

func TestParseTruthReportsEveryProblem(t *testing.T) {
	_, err := ParseTruth(strings.NewReader("a\t1\n"+"a\tx\tvendor\n"+"a\t2\tsecretish\n"+"a\t3\tvendor\n"+"a\t3\tgeneric\n"), "t.tsv")
	if err == nil {
		t.Fatal("accepted a broken truth file")
	}
	for _, want := range []string{"t.tsv:1: want 3", "t.tsv:2: line \"x\"", "t.tsv:3: unknown label", "t.tsv:5: a:3 is labeled twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestEvaluate(t *testing.T) {
	truth, err := ParseTruth(strings.NewReader(truthText), "t.tsv")
	if err != nil {
		t.Fatal(err)
	}
	s := Evaluate(truth, []Hit{
		{Path: "a.go", Line: 3, Rule: "github-pat"},
		{Path: "a.go", Line: 3, Rule: "generic-secret"}, // same line: counted once
		{Path: "b.env", Line: 2, Rule: "generic-secret", Tags: []string{"generic"}},
		{Path: "c.txt", Line: 9, Rule: "url-credentials"},
	})
	if s.Total.Labeled != 3 || s.Total.Found != 1 || s.Total.FalseP != 2 {
		t.Fatalf("total = %+v, want 3 labeled, 1 found, 2 false positives", s.Total)
	}
	if len(s.Misses) != 2 || s.Misses[0].Line != 5 || s.Misses[0].Label != "password" {
		t.Errorf("misses = %+v", s.Misses)
	}
	byName := map[string]Count{}
	for _, c := range s.Categories {
		byName[c.Name] = c
	}
	if c := byName["vendor"]; c.Found != 1 || c.Recall() != 1 || c.Precision() != 1 {
		t.Errorf("vendor = %+v", c)
	}
	if c := byName["generic"]; c.FalseP != 1 || c.Recall() != 0 {
		t.Errorf("generic = %+v, want its false positive and its miss", c)
	}
	if c := byName["connection-string"]; c.FalseP != 1 || c.Precision() != 0 {
		t.Errorf("connection-string = %+v, want the url-credentials false positive", c)
	}
	var out bytes.Buffer
	WriteTable(&out, []string{"x", "y"}, []Score{s, s})
	if n := strings.Count(out.String(), "\nunlabeled "); n != 1 {
		t.Errorf("table has %d unlabeled rows, want 1:\n%s", n, out.String())
	}
}

func TestParseReportBothScanners(t *testing.T) {
	lh := `[{"rule_id":"jwt","file":"corpus/a.go","start_line":3,"tags":["jwt"]}]`
	gl := `[{"RuleID":"jwt","File":"corpus/a.go","StartLine":3,"Tags":[]}]`
	for _, r := range []string{lh, gl} {
		hits, err := ParseReport(strings.NewReader(r), "corpus")
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].Path != "a.go" || hits[0].Line != 3 || hits[0].Rule != "jwt" {
			t.Errorf("%s: hits = %+v", r, hits)
		}
	}
	if _, err := ParseReport(strings.NewReader("{"), ""); err == nil {
		t.Error("accepted a broken report")
	}
}
