package audit

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
)

//go:embed merge.html.tmpl
var mergeHTMLTemplate string

// mergePage is the merged worklist's template, parsed when first used,
// as htmlPage is.
var mergePage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("merge").Parse(mergeHTMLTemplate))
})

type mergeHTMLRepo struct {
	Repository, Input, Status  string
	Introduced, Commit, Author string
	Removed, InHead, Paths     string
	Refs                       string
	Days, Occurrences          int
}

type mergeHTMLRow struct {
	N                                   int
	ID, Rule, Severity, Confidence      string
	Description, Secret, Status, Reused string
	SevRank, Repositories, Days         int
	FirstIntroduced                     string
	FirstUnix                           int64
	Present                             bool
	Repos                               []mergeHTMLRepo
	Names                               string
}

type mergeHTMLData struct {
	Generated, Version string
	Failed             bool
	Sum                MergeSummary
	Notes, Problems    []string
	Rows               []mergeHTMLRow
	Inputs             []Input
	Rules              []htmlCount
}

// writeMergedHTML writes one self-contained page, as writeHTML does:
// no network, inline CSS and JS, everything from the inputs escaped by
// html/template.
func writeMergedHTML(w io.Writer, m *Merged, opt Options) error {
	d := mergeHTMLData{Version: m.ToolVersion, Failed: m.Failed(), Sum: SummarizeMerged(m), Notes: m.Notes,
		Problems: problems(m), Inputs: m.Inputs}
	if !m.GeneratedAt.IsZero() {
		d.Generated = m.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	for i := range m.Secrets {
		d.Rows = append(d.Rows, mergeHTMLRowOf(i+1, &m.Secrets[i], opt))
	}
	d.Rules = counts(d.Sum.ByRule)
	return mergePage().Execute(w, d)
}

func mergeHTMLRowOf(n int, s *MergedSecret, opt Options) mergeHTMLRow {
	row := mergeHTMLRow{N: n, ID: s.ID, Rule: s.RuleID, Severity: s.Severity.String(), Confidence: s.Confidence.String(),
		Description: s.Description, Secret: opt.shown(s), Status: mergedStatus(s), SevRank: int(s.Severity),
		Repositories: len(s.Repos), Days: s.DaysExposed(), FirstIntroduced: day(s.FirstIntroduced()),
		FirstUnix: s.FirstIntroduced().Unix(), Present: s.StillPresent()}
	if s.Reused() {
		row.Reused = "reused"
	}
	var names []string
	for k := range s.Repos {
		r := &s.Repos[k]
		names = append(names, r.Repository)
		hr := mergeHTMLRepo{Repository: r.Repository, Input: r.Input, Status: r.Status, Introduced: day(r.Introduced.Date),
			Commit: short(r.Introduced.ID), Author: author(r.Introduced.Commit), Paths: strings.Join(r.paths(), ", "),
			Refs: strings.Join(r.Refs, ", "), Days: r.DaysExposed, Occurrences: r.Occurrences}
		if r.Removed != nil {
			hr.Removed = day(r.Removed.Date) + " " + short(r.Removed.ID)
		}
		var in []string
		for _, p := range r.HeadPlaces {
			in = append(in, fmt.Sprintf("%s:%d", p.Path, p.Line))
		}
		hr.InHead = strings.Join(in, ", ")
		row.Repos = append(row.Repos, hr)
	}
	row.Names = strings.Join(names, ", ")
	return row
}
