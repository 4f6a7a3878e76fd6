package report

import (
	"bufio"
	"encoding/json"
	"io"
	"time"

	"github.com/leakhound/leakhound/detect"
)

// jsonFinding is the stable JSON shape of a finding: an interface that
// scripts depend on. Add fields; never rename or remove one.
type jsonFinding struct {
	RuleID      string   `json:"rule_id"`
	Description string   `json:"description"`
	File        string   `json:"file"`
	StartLine   int      `json:"start_line"`
	EndLine     int      `json:"end_line"`
	StartColumn int      `json:"start_column"`
	EndColumn   int      `json:"end_column"`
	Secret      string   `json:"secret"`
	Match       string   `json:"match"`
	Entropy     float64  `json:"entropy"`
	Fingerprint string   `json:"fingerprint"`
	Tags        []string `json:"tags"`
	Severity    string   `json:"severity"`
	Confidence  string   `json:"confidence"`
	Commit      string   `json:"commit,omitempty"`
	Author      string   `json:"author,omitempty"`
	Email       string   `json:"email,omitempty"`
	Date        string   `json:"date,omitempty"`
	Message     string   `json:"message,omitempty"`
}

func toJSON(f *detect.Finding, opt Options) jsonFinding {
	tags := f.Tags
	if tags == nil {
		tags = []string{}
	}
	j := jsonFinding{
		RuleID:      f.RuleID,
		Description: f.Description,
		File:        f.Path,
		StartLine:   f.StartLine,
		EndLine:     f.EndLine,
		StartColumn: f.StartColumn,
		EndColumn:   f.EndColumn,
		Secret:      Mask(f.Secret, opt.Redact),
		Match:       maskInMatch(f.Match, f.Secret, opt.Redact),
		Entropy:     round(f.Entropy),
		Fingerprint: f.Fingerprint,
		Tags:        tags,
		Severity:    f.Severity.String(),
		Confidence:  f.Confidence.String(),
		Commit:      f.Commit,
		Author:      f.Author,
		Email:       f.Email,
		Message:     f.Message,
	}
	if !f.Date.IsZero() {
		j.Date = f.Date.UTC().Format(time.RFC3339)
	}
	return j
}

// round keeps entropy to 4 decimals so output does not depend on the last
// bits of floating-point arithmetic.
func round(x float64) float64 {
	return float64(int64(x*10000+0.5)) / 10000
}

// JSON writes an array of finding objects, indented, ending in a newline.
type JSON struct{}

// Write implements Reporter.
func (JSON) Write(w io.Writer, fs []detect.Finding, opt Options) error {
	out := make([]jsonFinding, len(fs))
	for i := range fs {
		out[i] = toJSON(&fs[i], opt)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// JSONL writes one finding object per line.
type JSONL struct{}

// Write implements Reporter.
func (JSONL) Write(w io.Writer, fs []detect.Finding, opt Options) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range fs {
		if err := enc.Encode(toJSON(&fs[i], opt)); err != nil {
			return err
		}
	}
	return bw.Flush()
}
