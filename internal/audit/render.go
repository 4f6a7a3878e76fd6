package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/leakhound/leakhound/report"
)

// Formats are the audit's report formats.
var Formats = []string{"text", "json", "markdown", "html"}

// Options say how a report shows secrets.
type Options struct {
	// NoRedact shows secrets whole; by default a short prefix is shown.
	NoRedact bool
}

func (o Options) value(s string) string {
	if o.NoRedact {
		return s
	}
	return report.Preview(s)
}

// Write renders r in format to w.
func Write(w io.Writer, format string, r *Report, opt Options) error {
	switch format {
	case "text":
		return writeText(w, r, opt)
	case "json":
		return writeJSON(w, r, opt)
	case "markdown":
		return writeMarkdown(w, r, opt)
	case "html":
		return writeHTML(w, r, opt)
	}
	return fmt.Errorf("unknown audit report format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// Summary counts what a reader sees first.
type Summary struct {
	Secrets      int            `json:"secrets"`
	StillPresent int            `json:"still_present"`
	Removed      int            `json:"removed"`
	Reused       int            `json:"reused"`
	BySeverity   map[string]int `json:"by_severity"`
	ByRule       map[string]int `json:"by_rule"`
	ByAuthor     map[string]int `json:"by_author"`
}

// Summarize counts r's secrets.
func Summarize(r *Report) Summary {
	s := Summary{BySeverity: map[string]int{}, ByRule: map[string]int{}, ByAuthor: map[string]int{}}
	for i := range r.Secrets {
		x := &r.Secrets[i]
		s.Secrets++
		if x.StillPresent {
			s.StillPresent++
		} else if x.Removed != nil {
			s.Removed++
		}
		if len(x.ReusedAt) > 0 {
			s.Reused++
		}
		s.BySeverity[x.Severity.String()]++
		s.ByRule[x.RuleID]++
		s.ByAuthor[author(x.Introduced.Commit)]++
	}
	return s
}

func author(c Commit) string {
	switch {
	case c.Email == "":
		return c.Author
	case c.Author == "":
		return "<" + c.Email + ">"
	}
	return c.Author + " <" + c.Email + ">"
}

// status is the one word a table shows: present, removed, or gone (not
// in HEAD, and no commit of the default branch removed it: it lives on
// other refs only).
func status(s *Secret) string {
	switch {
	case s.StillPresent:
		return "present"
	case s.Removed != nil:
		return "removed"
	}
	return "not-in-head"
}

// The JSON schema, version 1 (docs/audit.md). Fields are added, never
// renamed or removed.
type jsonReport struct {
	Schema      string       `json:"schema"`
	Version     string       `json:"leakhound_version"`
	Repository  string       `json:"repository"`
	Head        jsonHead     `json:"head"`
	GeneratedAt string       `json:"generated_at"`
	Incomplete  bool         `json:"incomplete"`
	Summary     Summary      `json:"summary"`
	Secrets     []jsonSecret `json:"secrets"`
}

type jsonHead struct {
	Commit string `json:"commit"`
	Ref    string `json:"ref"`
}

type jsonCommit struct {
	Commit  string `json:"commit"`
	Author  string `json:"author"`
	Email   string `json:"email"`
	Date    string `json:"date"`
	Message string `json:"message"`
}

type jsonLocation struct {
	jsonCommit
	Path string `json:"path"`
	Line int    `json:"line"`
}

type jsonSecret struct {
	ID            string         `json:"id"`
	RuleID        string         `json:"rule_id"`
	Description   string         `json:"description"`
	Severity      string         `json:"severity"`
	Confidence    string         `json:"confidence"`
	Tags          []string       `json:"tags"`
	Secret        string         `json:"secret"`
	Status        string         `json:"status"`
	StillPresent  bool           `json:"still_present"`
	Introduced    jsonLocation   `json:"introduced"`
	Removed       *jsonCommit    `json:"removed"`
	HeadLocations []Place        `json:"head_locations"`
	Locations     []jsonLocation `json:"locations"`
	Occurrences   int            `json:"occurrences"`
	Refs          []string       `json:"refs"`
	DaysExposed   int            `json:"days_exposed"`
	ReusedAt      []string       `json:"reused_at"`
}

func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func toJSONCommit(c Commit) jsonCommit {
	return jsonCommit{Commit: c.ID, Author: c.Author, Email: c.Email, Date: isoDate(c.Date), Message: c.Message}
}

func toJSONLocation(l Location) jsonLocation {
	return jsonLocation{jsonCommit: toJSONCommit(l.Commit), Path: l.Path, Line: l.Line}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w io.Writer, r *Report, opt Options) error {
	out := jsonReport{Schema: "leakhound-audit/v1", Version: r.ToolVersion, Repository: r.Repository, Head: jsonHead{r.Head, r.HeadRef},
		GeneratedAt: isoDate(r.GeneratedAt), Incomplete: r.Incomplete, Summary: Summarize(r), Secrets: []jsonSecret{}}
	for i := range r.Secrets {
		s := &r.Secrets[i]
		j := jsonSecret{ID: s.ID, RuleID: s.RuleID, Description: s.Description, Severity: s.Severity.String(),
			Confidence: s.Confidence.String(), Tags: nonNil(s.Tags), Secret: opt.value(s.Value), Status: status(s),
			StillPresent: s.StillPresent, Introduced: toJSONLocation(s.Introduced), HeadLocations: nonNil(s.HeadPlaces),
			Occurrences: len(s.Locations), Refs: nonNil(s.Refs), DaysExposed: s.DaysExposed, ReusedAt: nonNil(s.ReusedAt)}
		if s.Removed != nil {
			c := toJSONCommit(*s.Removed)
			j.Removed = &c
		}
		for _, l := range s.Locations {
			j.Locations = append(j.Locations, toJSONLocation(l))
		}
		out.Secrets = append(out.Secrets, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func short(id string) string { return id[:min(len(id), 12)] }

func day(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02")
}

// sortedCounts returns a count map's keys by count, then name.
func sortedCounts(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

func writeText(w io.Writer, r *Report, opt Options) error {
	bw := bufio.NewWriter(w)
	sum := Summarize(r)
	head := "no commits on the default branch"
	if r.Head != "" {
		head = "HEAD " + short(r.Head) + " " + r.HeadRef
	}
	fmt.Fprintf(bw, "leakhound audit of %s (%s)\n", Printable(r.Repository), Printable(head))
	fmt.Fprintf(bw, "%d secret(s) to rotate: %d still in HEAD, %d removed, %d reused in several places\n\n",
		sum.Secrets, sum.StillPresent, sum.Removed, sum.Reused)
	for i := range r.Secrets {
		s := &r.Secrets[i]
		fmt.Fprintf(bw, "%s %s  %s  [%s]\n", strings.ToUpper(s.Severity.String()), s.RuleID, Printable(opt.value(s.Value)), status(s))
		in := s.Introduced
		fmt.Fprintf(bw, "  introduced  %s %s by %s: %s:%d\n", day(in.Date), short(in.ID), Printable(author(in.Commit)), Printable(in.Path), in.Line)
		if s.Removed != nil {
			fmt.Fprintf(bw, "  removed     %s %s by %s\n", day(s.Removed.Date), short(s.Removed.ID), Printable(author(*s.Removed)))
		}
		for _, p := range s.HeadPlaces {
			fmt.Fprintf(bw, "  in HEAD     %s:%d\n", Printable(p.Path), p.Line)
		}
		fmt.Fprintf(bw, "  exposed     %d day(s), %d occurrence(s), refs: %s\n", s.DaysExposed, len(s.Locations), Printable(strings.Join(s.Refs, ", ")))
		if len(s.ReusedAt) > 0 {
			fmt.Fprintf(bw, "  REUSED at   %s\n", Printable(strings.Join(s.ReusedAt, ", ")))
		}
		fmt.Fprintln(bw)
	}
	if r.Incomplete {
		fmt.Fprintln(bw, "The scan could not read everything: this audit is incomplete.")
	}
	return bw.Flush()
}

// Printable escapes control characters, as the findings' text report
// does: a path or author name must not move a terminal's cursor.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func mdCell(s string) string {
	s = Printable(s)
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "`", "'")
}

func writeMarkdown(w io.Writer, r *Report, opt Options) error {
	bw := bufio.NewWriter(w)
	sum := Summarize(r)
	fmt.Fprintf(bw, "## Secrets to rotate in %s\n\n", mdCell(r.Repository))
	fmt.Fprintf(bw, "**%d** secret(s): **%d still in HEAD** (%s), %d removed, %d reused in several places.\n\n",
		sum.Secrets, sum.StillPresent, mdCell(r.HeadRef), sum.Removed, sum.Reused)
	if r.Incomplete {
		fmt.Fprintf(bw, "> The scan could not read everything: this audit is incomplete.\n\n")
	}
	if sum.Secrets == 0 {
		return bw.Flush()
	}
	fmt.Fprintf(bw, "| severity | rule | secret | status | introduced | by | removed | days exposed | where | refs |\n")
	fmt.Fprintf(bw, "|---|---|---|---|---|---|---|---|---|---|\n")
	for i := range r.Secrets {
		s := &r.Secrets[i]
		removed := ""
		if s.Removed != nil {
			removed = day(s.Removed.Date) + " `" + short(s.Removed.ID) + "`"
		}
		where := s.Introduced.Path + ":" + fmt.Sprint(s.Introduced.Line)
		if len(s.ReusedAt) > 0 {
			where = "**reused:** " + strings.Join(s.ReusedAt, ", ")
		}
		fmt.Fprintf(bw, "| %s | %s | `%s` | %s | %s `%s` | %s | %s | %d | %s | %s |\n",
			s.Severity, mdCell(s.RuleID), mdCell(opt.value(s.Value)), status(s), day(s.Introduced.Date), short(s.Introduced.ID),
			mdCell(author(s.Introduced.Commit)), removed, s.DaysExposed, mdCell(where), mdCell(strings.Join(s.Refs, ", ")))
	}
	return bw.Flush()
}
