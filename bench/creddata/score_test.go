package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func label(path string, start, end int, truth string, cats ...string) Label {
	return Label{Path: path, LineStart: start, LineEnd: end, Truth: truth, Categories: cats}
}

// TestEvaluateLineRule pins CredData's 2021/22 line rule as the harness
// applies it.
func TestEvaluateLineRule(t *testing.T) {
	labels := []Label{
		label("data/r/a.py", 3, 3, "T", "Password"),          // hit: TP
		label("data/r/a.py", 5, 5, "T", "Secret", "Auth"),    // missed: FN in both categories
		label("data/r/a.py", 7, 7, "F", "Password"),          // hit: FP
		label("data/r/a.py", 9, 9, "X", "Key"),               // hit: FP (X counts as F)
		label("data/r/a.py", 11, 11, "T", "Token"),           // hit, and an F label on the same line:
		label("data/r/a.py", 11, 11, "F", "Key"),             // the finding is the T label's, no FP
		label("data/r/k.pem", 1, 20, "T", "PEM Private Key"), // multi-line: a finding inside counts
		label("data/r/b.js", 2, 2, "F", "Password"),          // not hit: neither
	}
	findings := []Finding{
		{Path: "data/r/a.py", Line: 3, Rule: "generic-password", Confidence: "medium"},
		{Path: "data/r/a.py", Line: 3, Rule: "generic-secret", Confidence: "high"}, // same label twice: one TP
		{Path: "data/r/a.py", Line: 7, Rule: "generic-password", Confidence: "low"},
		{Path: "data/r/a.py", Line: 9, Rule: "generic-key", Confidence: "high"},
		{Path: "data/r/a.py", Line: 11, Rule: "generic-secret", Confidence: "medium"},
		{Path: "data/r/k.pem", Line: 1, Rule: "private-key", Confidence: "high"},
		{Path: "data/r/a.py", Line: 40, Rule: "jwt", Confidence: "high"}, // unlabeled: left out
	}
	s := Evaluate(labels, findings)
	if s.Total != (Count{TP: 3, FP: 2, FN: 1}) {
		t.Fatalf("total = %+v, want TP 3 FP 2 FN 1", s.Total)
	}
	if s.Unlabeled != 1 {
		t.Errorf("unlabeled = %d, want 1", s.Unlabeled)
	}
	for cat, want := range map[string]Count{
		"Password":        {TP: 1, FP: 1},
		"Secret":          {FN: 1},
		"Auth":            {FN: 1},
		"Key":             {FP: 1},
		"Token":           {TP: 1},
		"PEM Private Key": {TP: 1},
	} {
		if got := *s.Categories[cat]; got != want {
			t.Errorf("category %s = %+v, want %+v", cat, got, want)
		}
	}
	// By level: high reached the Password T label (a second finding),
	// the Key X label and the PEM key; at least medium adds the Token.
	if got := *s.ByLevel["high"]; got != (Count{TP: 2, FP: 1}) {
		t.Errorf("high = %+v", got)
	}
	if got := *s.AtLeast["medium"]; got != (Count{TP: 3, FP: 1, FN: 1}) {
		t.Errorf("at least medium = %+v", got)
	}
	if got := *s.AtLeast["low"]; got != s.Total {
		t.Errorf("at least low = %+v, want the total %+v", got, s.Total)
	}
	if p, r := s.Total.Precision(), s.Total.Recall(); p != 0.6 || r != 0.75 {
		t.Errorf("precision %v recall %v", p, r)
	}
}

// TestParseReportPaths: leakhound names files relative to the scanned
// folder (data/...), gitleaks as given; both become meta's paths.
func TestParseReportPaths(t *testing.T) {
	lh := `[{"rule_id":"jwt","file":"r/a.py","start_line":4,"confidence":"high"}]`
	gl := `[{"RuleID":"jwt","File":"data/r/a.py","StartLine":4}]`
	for _, in := range []string{lh, gl} {
		fs, err := parseReport(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].Path != "data/r/a.py" || fs[0].Line != 4 || fs[0].Rule != "jwt" {
			t.Errorf("parseReport(%s) = %+v", in, fs)
		}
	}
	if _, err := parseReport(strings.NewReader(`{"not": "a list"}`)); err == nil {
		t.Error("a JSON object was accepted as a report")
	}
}

// TestReadMetaReportsEveryProblem: a broken meta file names each bad row.
func TestReadMetaReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.csv")
	body := strings.Join(metaHeader, ",") + "\n" +
		"1,abc,GitHub,r,data/r/a.py,3,3,T,4,10,,,Password\n" +
		"2,abc,GitHub,r,data/r/a.py,x,3,T,4,10,,,Password\n" +
		"3,abc,GitHub,r,data/r/a.py,3,3,Q,4,10,,,Password\n" +
		"4,abc,GitHub,r,data/r/a.py,3,3,F,4,10,,,\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	labels, err := readMeta(p)
	if err == nil {
		t.Fatal("no error for three bad rows")
	}
	for _, want := range []string{"r.csv:3", "r.csv:4", "r.csv:5"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if len(labels) != 1 {
		t.Errorf("%d good labels, want 1", len(labels))
	}
}
