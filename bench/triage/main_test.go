package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTableCarriesVerdicts: a new report's rows keep the verdicts an older
// table gave the same findings, and never hold the secret.
func TestTableCarriesVerdicts(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.json")
	os.WriteFile(report, []byte(`[
  {"rule_id":"generic-password","file":"a.yml","start_line":3,"secret":"Zuco~Lipa16","commit":"c1"},
  {"rule_id":"jwt","file":"b.go","start_line":9,"secret":"eyJhbGciOi.x.y","commit":"c2"}
]`), 0o600)
	var first bytes.Buffer
	if err := tableCmd([]string{"-repo", "o/r", report}, &first); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(first.String(), "Zuco~Lipa16") {
		t.Fatal("the table holds a secret")
	}
	// Triage the first row by hand.
	lines := strings.Split(first.String(), "\n")
	c := strings.Split(lines[1], "\t")
	c[5], c[6] = "fixture", "CI database password"
	lines[1] = strings.Join(c, "\t")
	old := filepath.Join(dir, "old.tsv")
	os.WriteFile(old, []byte(strings.Join(lines, "\n")), 0o600)

	var second bytes.Buffer
	if err := tableCmd([]string{"-repo", "o/r", report, old}, &second); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(second.String(), "fixture\tCI database password") {
		t.Errorf("verdict not carried over:\n%s", second.String())
	}
	newTable := filepath.Join(dir, "new.tsv")
	os.WriteFile(newTable, second.Bytes(), 0o600)
	var score bytes.Buffer
	if err := scoreCmd([]string{newTable}, &score); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(score.String(), "o/r") || !strings.Contains(score.String(), "100.0%") {
		t.Errorf("score:\n%s", score.String())
	}
}

// TestReadTableRejectsBadRows: an unknown verdict or one without a reason
// is an error naming its line.
func TestReadTableRejectsBadRows(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.tsv")
	os.WriteFile(p, []byte(strings.Join(header, "\t")+"\n"+
		"o/r\tc1\ta\t1\tjwt\tmaybe\twho knows\tabc\n"+
		"o/r\tc1\ta\t2\tjwt\tcredential\t\tabc\n"), 0o600)
	_, err := readTable(p)
	if err == nil || !strings.Contains(err.Error(), "t.tsv:2") || !strings.Contains(err.Error(), "t.tsv:3") {
		t.Fatalf("error %v does not name both bad rows", err)
	}
}
