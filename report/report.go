// Package report writes findings for people and programs: text for a
// terminal or a log, JSON and JSON Lines for scripts, CSV for spreadsheets
// and JUnit XML for CI systems' test views. Every reporter is a
// pure function of its input over an io.Writer: the same findings give
// byte-identical output. Redaction happens here, never by changing a
// finding.
package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/leakhound/leakhound/detect"
)

// Options change how findings are written.
type Options struct {
	// Redact hides that percentage of each secret (0 shows it whole,
	// 100 replaces it with "REDACTED").
	Redact int
	// Reveal shows secrets whole in text output (--no-redact), which
	// otherwise shows only a short prefix: CI logs must not hold secrets
	// unless someone asked. JUnit output, shown in CI views, never does.
	Reveal bool
	// Color enables ANSI colors in text output.
	Color bool
	// Summary, for text output, is printed after the findings.
	Summary string
	// ToolVersion is leakhound's version as Go module versions are
	// written ("v1.2.3", or a pseudo-version), for SARIF.
	ToolVersion string
	// Repository, for a git scan, is where the repository came from
	// (SARIF's versionControlProvenance); nil when unknown.
	Repository *Repository
	// Automation, when set, identifies the run in the engineering system
	// that ran it (SARIF's run.automationDetails); nil leaves it out.
	Automation *Automation
	// Warn, if set, hears what a reporter had to leave out (SARIF over
	// GitHub's upload limits). Messages never hold a secret.
	Warn func(string)
	// Incomplete, when not empty, says why the scan did not cover all it
	// was asked to (interrupted, items unreadable). Formats with a place
	// for it say so (text, Markdown, JUnit, SARIF's invocation); JSON,
	// JSONL and CSV are bare lists, and the exit code (2) and stderr say it.
	Incomplete string
}

// Repository identifies a scanned repository: its remote URI (without
// credentials), the commit and branch checked out.
type Repository struct {
	URI, Revision, Branch string
}

// Automation is a run's identity in a CI system (SARIF 2.1.0 §3.17,
// runAutomationDetails): an id, and properties the system reads back.
type Automation struct {
	ID         string
	Properties map[string]string
}

// Reporter writes findings in one format.
type Reporter interface {
	Write(w io.Writer, findings []detect.Finding, opt Options) error
}

// Formats lists the names accepted by New.
var Formats = []string{"text", "json", "jsonl", "csv", "junit", "sarif"}

// New returns the reporter for a format name.
func New(format string) (Reporter, error) {
	switch strings.ToLower(format) {
	case "text", "":
		return Text{}, nil
	case "json":
		return JSON{}, nil
	case "jsonl":
		return JSONL{}, nil
	case "csv":
		return CSV{}, nil
	case "junit":
		return JUnit{}, nil
	case "sarif":
		return SARIF{}, nil
	}
	return nil, fmt.Errorf("unknown report format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// Mask hides percent of secret, keeping a prefix so a person can still
// tell which credential it is: "ghp_a1b2...". 100 gives "REDACTED" and 0
// returns the secret unchanged.
func Mask(secret string, percent int) string {
	if percent <= 0 || secret == "" {
		return secret
	}
	if percent >= 100 {
		return "REDACTED"
	}
	n := utf8.RuneCountInString(secret)
	keep := n * (100 - percent) / 100
	i := 0
	for k := 0; k < keep; k++ {
		_, size := utf8.DecodeRuneInString(secret[i:])
		i += size
	}
	return secret[:i] + "..."
}

// maskInMatch replaces the secret inside the match with its masked form.
func maskInMatch(match, secret string, percent int) string {
	if percent <= 0 || secret == "" {
		return match
	}
	return strings.ReplaceAll(match, secret, Mask(secret, percent))
}
