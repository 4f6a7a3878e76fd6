package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/leakhound/leakhound/detect"
)

// JUnit writes JUnit XML, which CI systems (GitLab, Jenkins, Azure
// DevOps, GitHub test-report actions) show natively: one testsuite named
// leakhound with one failing testcase per finding (class: the file; name:
// the rule and line, and the commit for history findings), or a single
// passing testcase when nothing was found, so the suite is never empty.
// Test results end up in CI interfaces and their logs, so the secret is
// always masked, as in the text report. No times: output is
// deterministic.
type JUnit struct{}

// Write implements Reporter.
func (JUnit) Write(w io.Writer, fs []detect.Finding, opt Options) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	errs := 0
	if opt.Incomplete != "" {
		errs = 1
	}
	tests := max(len(fs), 1) + errs
	fmt.Fprintf(bw, "<testsuites name=\"leakhound\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n", tests, len(fs), errs)
	fmt.Fprintf(bw, "  <testsuite name=\"leakhound\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"0\">\n", tests, len(fs), errs)
	if errs > 0 {
		// An incomplete scan is an error of the suite, not a pass.
		fmt.Fprintf(bw, "    <testcase classname=\"leakhound\" name=\"scan complete\">\n      <error message=\"incomplete scan\" type=\"incomplete\">%s</error>\n    </testcase>\n", xmlText(opt.Incomplete))
	}
	if len(fs) == 0 {
		fmt.Fprintf(bw, "    <testcase classname=\"leakhound\" name=\"no secrets found\"></testcase>\n")
	}
	for i := range fs {
		f := &fs[i]
		name := fmt.Sprintf("%s at line %d", f.RuleID, f.StartLine)
		if f.Commit != "" {
			name += " in commit " + f.Commit[:min(len(f.Commit), 12)]
		}
		secret := textMask(f.Secret, opt.Redact)
		msg := fmt.Sprintf("%s: %s (%s:%d:%d)", f.RuleID, f.Description, f.Path, f.StartLine, f.StartColumn)
		var body strings.Builder
		fmt.Fprintf(&body, "%s\nrule: %s\nseverity: %s\nconfidence: %s\nfile: %s\nline: %d, column %d\n",
			f.Description, f.RuleID, f.Severity, f.Confidence, f.Path, f.StartLine, f.StartColumn)
		if f.Secret != "" {
			fmt.Fprintf(&body, "secret: %s\n", secret)
		}
		if f.Commit != "" {
			fmt.Fprintf(&body, "commit: %s\nauthor: %s <%s>, %s\nmessage: %s\n",
				f.Commit, f.Author, f.Email, f.Date.UTC().Format("2006-01-02"), f.Message)
		}
		fmt.Fprintf(&body, "fingerprint: %s\n", f.Fingerprint)
		body.WriteString("A real credential: revoke or rotate it first, then remove it. " +
			"Not a secret: add leakhound:allow on its line, or its fingerprint to .leakhoundignore.\n")
		fmt.Fprintf(bw, "    <testcase classname=\"%s\" name=\"%s\">\n", xmlText(f.Path), xmlText(name))
		fmt.Fprintf(bw, "      <failure message=\"%s\" type=\"%s\">%s</failure>\n", xmlText(msg), xmlText(f.RuleID), xmlText(body.String()))
		fmt.Fprintf(bw, "    </testcase>\n")
	}
	fmt.Fprintf(bw, "  </testsuite>\n</testsuites>\n")
	return bw.Flush()
}

// xmlText escapes s for XML 1.0 text and attributes, replacing what XML
// 1.0 cannot hold at all (control characters, invalid UTF-8, U+FFFE and
// U+FFFF) with U+FFFD: scanned paths and lines may hold any bytes.
func xmlText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune('\uFFFD')
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r == '\n':
			b.WriteString("&#10;")
		case r == '\r':
			b.WriteString("&#13;")
		case r == '\t':
			b.WriteString("&#9;")
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
