package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/leakhound/leakhound/detect"
)

// CSV writes one row per finding under a header row, with the JSON
// report's fields as columns (tags joined with ';'), quoted as RFC 4180
// says, lines ending in CRLF as it also says.
//
// A cell that a spreadsheet would run as a formula (starting with =, +,
// -, @, a tab or a carriage return) is prefixed with a single quote, as
// OWASP recommends against CSV injection: a scanned file is hostile input
// and its text reaches the match and line columns. Such a cell then reads
// with a leading quote; a script that needs the raw value has the JSON
// report.
type CSV struct{}

var csvHeader = []string{"rule_id", "description", "file", "start_line", "end_line", "start_column",
	"end_column", "secret", "match", "entropy", "fingerprint", "tags", "severity",
	"confidence", "commit", "author", "email", "date", "message"}

// Write implements Reporter.
func (CSV) Write(w io.Writer, fs []detect.Finding, opt Options) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for i := range fs {
		j := toJSON(&fs[i], opt)
		row := []string{j.RuleID, j.Description, j.File, strconv.Itoa(j.StartLine), strconv.Itoa(j.EndLine),
			strconv.Itoa(j.StartColumn), strconv.Itoa(j.EndColumn), j.Secret, j.Match,
			strconv.FormatFloat(j.Entropy, 'f', -1, 64), j.Fingerprint, strings.Join(j.Tags, ";"), j.Severity,
			j.Confidence, j.Commit, j.Author, j.Email, j.Date, j.Message}
		for k, cell := range row {
			row[k] = defuseCell(cell)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// defuseCell prefixes a cell a spreadsheet would evaluate with a quote.
func defuseCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
