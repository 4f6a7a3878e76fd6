package audit

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
	"time"
)

//go:embed audit.html.tmpl
var htmlTemplate string

// htmlPage is the page's template, parsed when an HTML audit is first
// written: parsing it at every process start cost `leakhound version`
// and every scan a third of a millisecond and 800 allocations.
var htmlPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("audit").Parse(htmlTemplate))
})

// timelineRows caps the timeline: past a few hundred bars it is a smear,
// and the table below lists everything.
const timelineRows = 300

type htmlRow struct {
	N                          int
	ID, Rule, Severity, Status string
	SevRank                    int
	Secret, Author, Path       string
	Line                       int
	Introduced, Removed        string
	IntroducedUnix             int64
	Commit, RemovedCommit      string
	Days, Occurrences          int
	Refs, Reused, InHead       string
	Confidence, Description    string
}

type htmlBar struct {
	Y, X1, W     float64
	Label, Color string
	Present      bool
}

type htmlCount struct {
	Name  string
	N     int
	Width float64
}

type htmlData struct {
	Repository, Head, HeadRef, Generated string
	Incomplete                           bool
	Sum                                  Summary
	Rows                                 []htmlRow
	Bars                                 []htmlBar
	TimelineHeight                       float64
	Start, End                           string
	More                                 int
	Authors, Rules                       []htmlCount
}

// severityColor is a severity's color on the timeline.
func severityColor(sev string) string {
	switch sev {
	case "critical":
		return "#b3001b"
	case "high":
		return "#d9480f"
	case "medium":
		return "#e0a800"
	case "low":
		return "#5c7cfa"
	case "info":
		return "#868e96"
	}
	return ""
}

// writeHTML writes one self-contained page: no network, inline CSS, JS
// and SVG. Everything from the repository goes through html/template's
// escaping, and the script only reads the table the page holds.
func writeHTML(w io.Writer, r *Report, opt Options) error {
	d := htmlData{Repository: r.Repository, Head: short(r.Head), HeadRef: r.HeadRef,
		Generated: r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"), Incomplete: r.Incomplete, Sum: Summarize(r)}
	for i := range r.Secrets {
		s := &r.Secrets[i]
		row := htmlRow{N: i + 1, ID: s.ID, Rule: s.RuleID, Severity: s.Severity.String(), SevRank: int(s.Severity),
			Status: status(s), Secret: opt.value(s.Value), Author: author(s.Introduced.Commit), Path: s.Introduced.Path,
			Line: s.Introduced.Line, Introduced: day(s.Introduced.Date), IntroducedUnix: s.Introduced.Date.Unix(),
			Commit: short(s.Introduced.ID), Days: s.DaysExposed, Occurrences: len(s.Locations),
			Refs: strings.Join(s.Refs, ", "), Reused: strings.Join(s.ReusedAt, ", "), Confidence: s.Confidence.String(),
			Description: s.Description}
		if s.Removed != nil {
			row.Removed, row.RemovedCommit = day(s.Removed.Date), short(s.Removed.ID)
		}
		var in []string
		for _, p := range s.HeadPlaces {
			in = append(in, fmt.Sprintf("%s:%d", p.Path, p.Line))
		}
		row.InHead = strings.Join(in, ", ")
		d.Rows = append(d.Rows, row)
	}
	d.Bars, d.TimelineHeight, d.Start, d.End, d.More = timeline(r)
	d.Authors = counts(d.Sum.ByAuthor)
	d.Rules = counts(d.Sum.ByRule)
	return htmlPage().Execute(w, d)
}

// timeline lays out one bar per secret, from its introduction to its
// removal or to the report's time, on a shared time axis.
func timeline(r *Report) (bars []htmlBar, height float64, start, end string, more int) {
	const width, left, rowH = 900.0, 10.0, 14.0
	var lo, hi time.Time
	for i := range r.Secrets {
		t := r.Secrets[i].Introduced.Date
		if !t.IsZero() && (lo.IsZero() || t.Before(lo)) {
			lo = t
		}
	}
	hi = r.GeneratedAt
	if lo.IsZero() || !hi.After(lo) {
		return nil, 0, "", "", 0
	}
	span := hi.Sub(lo).Seconds()
	x := func(t time.Time) float64 { return left + (width-2*left)*t.Sub(lo).Seconds()/span }
	for i := range r.Secrets {
		if len(bars) == timelineRows {
			more = len(r.Secrets) - timelineRows
			break
		}
		s := &r.Secrets[i]
		endT := hi
		if s.Removed != nil && !s.StillPresent {
			endT = s.Removed.Date
		}
		y := float64(len(bars))*rowH + 4
		x1, x2 := x(s.Introduced.Date), x(endT)
		if x2 < x1+2 {
			x2 = x1 + 2
		}
		bars = append(bars, htmlBar{Y: y, X1: x1, W: x2 - x1, Label: s.RuleID + " " + day(s.Introduced.Date),
			Color: severityColor(s.Severity.String()), Present: s.StillPresent})
	}
	return bars, float64(len(bars))*rowH + 8, day(lo), day(hi), more
}

func counts(m map[string]int) []htmlCount {
	var out []htmlCount
	top := 0
	for _, k := range sortedCounts(m) {
		if m[k] > top {
			top = m[k]
		}
		out = append(out, htmlCount{Name: k, N: m[k]})
	}
	for i := range out {
		out[i].Width = 200 * float64(out[i].N) / float64(max(top, 1))
	}
	return out
}
