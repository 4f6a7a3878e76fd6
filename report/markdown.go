package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/leakhound/leakhound/detect"
)

// markdownMaxRows is how many findings the Markdown summary lists.
const markdownMaxRows = 20

// Markdown writes a short summary for a CI page (a GitHub Actions job
// summary): counts by rule and severity and a table of the first
// findings with file, line, commit and rule. It never shows a secret, not
// even masked: a job summary is public to everyone who can see the run.
type Markdown struct{}

// Write implements Reporter.
func (Markdown) Write(w io.Writer, fs []detect.Finding, opt Options) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## leakhound\n\n")
	if opt.Incomplete != "" {
		fmt.Fprintf(bw, "> **Incomplete scan:** %s\n\n", mdCell(opt.Incomplete))
	}
	if len(fs) == 0 {
		fmt.Fprintf(bw, "No secrets found.\n")
		if opt.Summary != "" {
			fmt.Fprintf(bw, "\n%s\n", mdCell(opt.Summary))
		}
		return bw.Flush()
	}
	fmt.Fprintf(bw, "**%d finding(s).** Rotate a real credential at its provider first: removing it from the code does not remove it from git history.\n\n", len(fs))
	type count struct {
		rule, severity string
		n              int
	}
	byRule := map[string]*count{}
	for i := range fs {
		c := byRule[fs[i].RuleID]
		if c == nil {
			c = &count{rule: fs[i].RuleID, severity: fs[i].Severity.String()}
			byRule[fs[i].RuleID] = c
		}
		c.n++
	}
	counts := make([]*count, 0, len(byRule))
	for _, c := range byRule {
		counts = append(counts, c)
	}
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].n != counts[j].n {
			return counts[i].n > counts[j].n
		}
		return counts[i].rule < counts[j].rule
	})
	fmt.Fprintf(bw, "| rule | severity | findings |\n|---|---|---|\n")
	for _, c := range counts {
		fmt.Fprintf(bw, "| %s | %s | %d |\n", mdCell(c.rule), c.severity, c.n)
	}
	fmt.Fprintf(bw, "\n| file | line | commit | rule |\n|---|---|---|---|\n")
	for i := range fs[:min(len(fs), markdownMaxRows)] {
		f := &fs[i]
		commit := "(not committed)"
		if f.Commit != "" {
			commit = "`" + f.Commit[:min(len(f.Commit), 12)] + "`"
		} else if f.Kind == detect.KindDir || f.Kind == detect.KindStdin {
			commit = ""
		}
		fmt.Fprintf(bw, "| %s | %d | %s | %s |\n", mdCell(f.Path), f.StartLine, commit, mdCell(f.RuleID))
	}
	if len(fs) > markdownMaxRows {
		fmt.Fprintf(bw, "\n%d more in the report.\n", len(fs)-markdownMaxRows)
	}
	fmt.Fprintf(bw, "\nNot a secret? Add a `leakhound:allow` comment on its line, or its fingerprint (in the report) to `.leakhoundignore`.\n")
	return bw.Flush()
}

// mdCell makes text safe in a Markdown table cell: no line breaks, pipes
// or backticks from a scanned path can break the table or start code.
func mdCell(s string) string {
	s = printable(s)
	r := strings.NewReplacer("|", "\\|", "`", "'", "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}
