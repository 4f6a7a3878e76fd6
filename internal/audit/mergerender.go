package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/leakhound/leakhound/report"
)

// WriteMerged renders the merged worklist m in format (one of Formats).
func WriteMerged(w io.Writer, format string, m *Merged, opt Options) error {
	switch format {
	case "text":
		return writeMergedText(w, m, opt)
	case "json":
		return writeMergedJSON(w, m, opt)
	case "markdown":
		return writeMergedMarkdown(w, m, opt)
	case "html":
		return writeMergedHTML(w, m, opt)
	}
	return fmt.Errorf("unknown audit report format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// shown is how a merged secret appears: the value when an input carried
// it and --no-redact asks for it, else a preview. A preview of a preview
// never shows more than the first did.
func (o Options) shown(s *MergedSecret) string {
	v := s.Value
	if v == "" {
		v = s.Shown
	}
	if o.NoRedact || v == "" {
		return v
	}
	return report.Preview(v)
}

// MergeSummary counts what a reader sees first.
type MergeSummary struct {
	Inputs       int            `json:"inputs"`
	Repositories int            `json:"repositories"`
	Failed       int            `json:"failed_inputs"`
	Duplicates   int            `json:"duplicate_inputs"`
	Secrets      int            `json:"secrets"`
	StillPresent int            `json:"still_present"`
	Reused       int            `json:"reused_across_repositories"`
	BySeverity   map[string]int `json:"by_severity"`
	ByRule       map[string]int `json:"by_rule"`
}

// SummarizeMerged counts m's inputs and secrets.
func SummarizeMerged(m *Merged) MergeSummary {
	s := MergeSummary{Inputs: len(m.Inputs), BySeverity: map[string]int{}, ByRule: map[string]int{}}
	for i := range m.Inputs {
		switch in := &m.Inputs[i]; {
		case in.State == InputMerged || in.State == InputIncomplete:
			s.Repositories++
		case in.State == InputDuplicate:
			s.Duplicates++
		}
		if m.Inputs[i].Failed() {
			s.Failed++
		}
	}
	for i := range m.Secrets {
		x := &m.Secrets[i]
		s.Secrets++
		if x.StillPresent() {
			s.StillPresent++
		}
		if x.Reused() {
			s.Reused++
		}
		s.BySeverity[x.Severity.String()]++
		s.ByRule[x.RuleID]++
	}
	return s
}

// paths lists every path a repository's audit names for the secret:
// where it was introduced and where HEAD holds it, sorted.
func (r *RepoSecret) paths() []string {
	set := map[string]bool{}
	for _, l := range r.Locations {
		set[l.Path] = true
	}
	for _, p := range r.HeadPlaces {
		set[p.Path] = true
	}
	if len(r.Locations) == 0 && r.Introduced.Path != "" {
		set[r.Introduced.Path] = true
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// The merged JSON schema, version 1 (docs/audit.md). Fields are added,
// never renamed or removed.
type jsonMerged struct {
	Schema      string             `json:"schema"`
	Version     string             `json:"leakhound_version"`
	GeneratedAt string             `json:"generated_at"`
	Incomplete  bool               `json:"incomplete"`
	Summary     MergeSummary       `json:"summary"`
	Notes       []string           `json:"notes"`
	Inputs      []jsonInput        `json:"inputs"`
	Secrets     []jsonMergedSecret `json:"secrets"`
}

type jsonInput struct {
	File        string   `json:"file"`
	State       string   `json:"state"`
	Problem     string   `json:"problem"`
	DuplicateOf string   `json:"duplicate_of"`
	Repository  string   `json:"repository"`
	Head        jsonHead `json:"head"`
	Version     string   `json:"leakhound_version"`
	GeneratedAt string   `json:"generated_at"`
	Secrets     int      `json:"secrets"`
}

type jsonMergedSecret struct {
	ID           string           `json:"id"`
	RuleID       string           `json:"rule_id"`
	Description  string           `json:"description"`
	Severity     string           `json:"severity"`
	Confidence   string           `json:"confidence"`
	Tags         []string         `json:"tags"`
	Secret       string           `json:"secret"`
	StillPresent bool             `json:"still_present"`
	Reused       bool             `json:"reused"`
	Repositories int              `json:"repository_count"`
	DaysExposed  int              `json:"days_exposed"`
	Repos        []jsonRepoSecret `json:"repositories"`
}

type jsonRepoSecret struct {
	Repository     string         `json:"repository"`
	Input          string         `json:"input"`
	Head           jsonHead       `json:"head"`
	Status         string         `json:"status"`
	StillPresent   bool           `json:"still_present"`
	Introduced     jsonLocation   `json:"introduced"`
	LastIntroduced jsonLocation   `json:"last_introduced"`
	Removed        *jsonCommit    `json:"removed"`
	HeadLocations  []Place        `json:"head_locations"`
	Paths          []string       `json:"paths"`
	Locations      []jsonLocation `json:"locations"`
	Occurrences    int            `json:"occurrences"`
	Refs           []string       `json:"refs"`
	DaysExposed    int            `json:"days_exposed"`
	ReusedAt       []string       `json:"reused_at"`
}

func toJSONInput(in *Input) jsonInput {
	return jsonInput{File: in.File, State: in.State, Problem: in.Problem, DuplicateOf: in.DuplicateOf, Repository: in.Repository,
		Head: jsonHead{in.Head, in.HeadRef}, Version: in.ToolVersion, GeneratedAt: isoDate(in.GeneratedAt), Secrets: in.Secrets}
}

func toJSONRepoSecret(r *RepoSecret) jsonRepoSecret {
	j := jsonRepoSecret{Repository: r.Repository, Input: r.Input, Head: jsonHead{r.Head, r.HeadRef}, Status: r.Status,
		StillPresent: r.StillPresent, Introduced: toJSONLocation(r.Introduced), LastIntroduced: toJSONLocation(r.LastIntroduced),
		HeadLocations: nonNil(r.HeadPlaces), Paths: r.paths(), Locations: []jsonLocation{}, Occurrences: r.Occurrences,
		Refs: nonNil(r.Refs), DaysExposed: r.DaysExposed, ReusedAt: nonNil(r.ReusedAt)}
	if r.Removed != nil {
		c := toJSONCommit(*r.Removed)
		j.Removed = &c
	}
	for _, l := range r.Locations {
		j.Locations = append(j.Locations, toJSONLocation(l))
	}
	return j
}

// writeMergedJSON writes the document one secret at a time: a worklist
// of a thousand repositories is tens of megabytes of JSON, which is not
// held whole. The bytes are those of one indented Encode of the document.
func writeMergedJSON(w io.Writer, m *Merged, opt Options) error {
	out := jsonMerged{Schema: MergeSchema, Version: m.ToolVersion, GeneratedAt: isoDate(m.GeneratedAt), Incomplete: m.Failed(),
		Summary: SummarizeMerged(m), Notes: nonNil(m.Notes), Inputs: []jsonInput{}, Secrets: []jsonMergedSecret{}}
	for i := range m.Inputs {
		out.Inputs = append(out.Inputs, toJSONInput(&m.Inputs[i]))
	}
	var buf bytes.Buffer
	if err := encodeIndented(&buf, "", out); err != nil {
		return err
	}
	const tail = "[]\n}\n"
	if len(m.Secrets) == 0 || !bytes.HasSuffix(buf.Bytes(), []byte(tail)) {
		_, err := w.Write(buf.Bytes())
		return err
	}
	bw := bufio.NewWriter(w)
	bw.Write(buf.Bytes()[:buf.Len()-len(tail)])
	bw.WriteString("[\n")
	for i := range m.Secrets {
		if i > 0 {
			bw.WriteString(",\n")
		}
		buf.Reset()
		if err := encodeIndented(&buf, "    ", toJSONMergedSecret(&m.Secrets[i], opt)); err != nil {
			return err
		}
		bw.WriteString("    ")
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

func encodeIndented(buf *bytes.Buffer, prefix string, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func toJSONMergedSecret(s *MergedSecret, opt Options) jsonMergedSecret {
	j := jsonMergedSecret{ID: s.ID, RuleID: s.RuleID, Description: s.Description, Severity: s.Severity.String(),
		Confidence: s.Confidence.String(), Tags: nonNil(s.Tags), Secret: opt.shown(s), StillPresent: s.StillPresent(),
		Reused: s.Reused(), Repositories: len(s.Repos), DaysExposed: s.DaysExposed()}
	for k := range s.Repos {
		j.Repos = append(j.Repos, toJSONRepoSecret(&s.Repos[k]))
	}
	return j
}

// problems lists the inputs that were not merged whole, one line each.
func problems(m *Merged) []string {
	var out []string
	for i := range m.Inputs {
		if in := &m.Inputs[i]; in.State != InputMerged {
			out = append(out, fmt.Sprintf("%s: %s: %s", in.File, in.State, in.Problem))
		}
	}
	return out
}

// mergedStatus is the one phrase a list shows for a secret's presence.
func mergedStatus(s *MergedSecret) string {
	n := 0
	for i := range s.Repos {
		if s.Repos[i].StillPresent {
			n++
		}
	}
	if n == 0 {
		return "in no HEAD"
	}
	return fmt.Sprintf("in HEAD of %d of %d", n, len(s.Repos))
}

func writeMergedText(w io.Writer, m *Merged, opt Options) error {
	bw := bufio.NewWriter(w)
	sum := SummarizeMerged(m)
	fmt.Fprintf(bw, "leakhound audit merge of %d input(s): %d repositories merged, %d failed, %d duplicate(s)\n",
		sum.Inputs, sum.Repositories, sum.Failed, sum.Duplicates)
	fmt.Fprintf(bw, "%d secret(s) to rotate: %d still in some HEAD, %d reused across repositories\n\n", sum.Secrets, sum.StillPresent, sum.Reused)
	for _, n := range m.Notes {
		fmt.Fprintf(bw, "NOTE: %s\n\n", Printable(n))
	}
	if ps := problems(m); len(ps) > 0 {
		fmt.Fprintln(bw, "Inputs not merged whole:")
		for _, p := range ps {
			fmt.Fprintf(bw, "  %s\n", Printable(p))
		}
		fmt.Fprintln(bw)
	}
	for i := range m.Secrets {
		writeMergedSecretText(bw, &m.Secrets[i], opt)
	}
	fmt.Fprintln(bw, "Inputs:")
	for i := range m.Inputs {
		in := &m.Inputs[i]
		fmt.Fprintf(bw, "  %s  %s  %s %s  %s  %s, %d secret(s)\n", Printable(in.File), Printable(in.Repository), Printable(short(in.Head)),
			Printable(in.HeadRef), Printable(in.ToolVersion), in.State, in.Secrets)
	}
	return bw.Flush()
}

func writeMergedSecretText(bw *bufio.Writer, s *MergedSecret, opt Options) {
	reuse := ""
	if s.Reused() {
		reuse = fmt.Sprintf("  REUSED in %d repositories", len(s.Repos))
	}
	fmt.Fprintf(bw, "%s %s %s  %s  [%s]%s\n", strings.ToUpper(s.Severity.String()), Printable(s.RuleID), Printable(s.ID), Printable(opt.shown(s)), mergedStatus(s), reuse)
	for k := range s.Repos {
		r := &s.Repos[k]
		in, last := r.Introduced, r.LastIntroduced
		fmt.Fprintf(bw, "  %s (%s)  %s\n", Printable(r.Repository), Printable(r.Input), r.Status)
		fmt.Fprintf(bw, "    introduced  %s %s by %s: %s:%d\n", day(in.Date), short(in.ID), Printable(author(in.Commit)), Printable(in.Path), in.Line)
		if last.ID != in.ID || last.Path != in.Path {
			fmt.Fprintf(bw, "    last        %s %s by %s: %s:%d\n", day(last.Date), short(last.ID), Printable(author(last.Commit)), Printable(last.Path), last.Line)
		}
		if r.Removed != nil {
			fmt.Fprintf(bw, "    removed     %s %s by %s\n", day(r.Removed.Date), short(r.Removed.ID), Printable(author(*r.Removed)))
		}
		for _, p := range r.HeadPlaces {
			fmt.Fprintf(bw, "    in HEAD     %s:%d\n", Printable(p.Path), p.Line)
		}
		fmt.Fprintf(bw, "    paths       %s\n", Printable(strings.Join(r.paths(), ", ")))
		fmt.Fprintf(bw, "    exposed     %d day(s), %d occurrence(s), refs: %s\n", r.DaysExposed, r.Occurrences, Printable(strings.Join(r.Refs, ", ")))
	}
	fmt.Fprintln(bw)
}

func writeMergedMarkdown(w io.Writer, m *Merged, opt Options) error {
	bw := bufio.NewWriter(w)
	sum := SummarizeMerged(m)
	fmt.Fprintf(bw, "## Secrets to rotate across %d repositories\n\n", sum.Repositories)
	fmt.Fprintf(bw, "**%d** secret(s): **%d still in some HEAD**, **%d reused across repositories**. %d input(s), %d failed, %d duplicate(s).\n\n",
		sum.Secrets, sum.StillPresent, sum.Reused, sum.Inputs, sum.Failed, sum.Duplicates)
	for _, n := range m.Notes {
		fmt.Fprintf(bw, "> **Note:** %s\n\n", mdCell(n))
	}
	if ps := problems(m); len(ps) > 0 {
		fmt.Fprintf(bw, "Inputs not merged whole:\n\n")
		for _, p := range ps {
			fmt.Fprintf(bw, "- %s\n", mdCell(p))
		}
		fmt.Fprintln(bw)
	}
	if sum.Secrets > 0 {
		fmt.Fprintf(bw, "| severity | rule | id | secret | repositories | status | first introduced | days exposed | where |\n")
		fmt.Fprintf(bw, "|---|---|---|---|---|---|---|---|---|\n")
		for i := range m.Secrets {
			writeMergedSecretMarkdown(bw, &m.Secrets[i], opt)
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "<details><summary>%d input(s)</summary>\n\n| file | repository | head | leakhound | state | secrets |\n|---|---|---|---|---|---|\n", sum.Inputs)
	for i := range m.Inputs {
		in := &m.Inputs[i]
		head := ""
		if in.Head != "" {
			head = "`" + mdCell(short(in.Head)) + "` " + mdCell(in.HeadRef)
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %d |\n", mdCell(in.File), mdCell(in.Repository), head, mdCell(in.ToolVersion), in.State, in.Secrets)
	}
	fmt.Fprintf(bw, "\n</details>\n")
	return bw.Flush()
}

func writeMergedSecretMarkdown(bw *bufio.Writer, s *MergedSecret, opt Options) {
	var repos, where []string
	for k := range s.Repos {
		r := &s.Repos[k]
		repos = append(repos, r.Repository+" ("+r.Status+")")
		where = append(where, r.Repository+": "+strings.Join(r.paths(), ", "))
	}
	reuse := ""
	if s.Reused() {
		reuse = "**reused** "
	}
	fmt.Fprintf(bw, "| %s | %s | `%s` | `%s` | %s%s | %s | %s | %d | %s |\n", s.Severity, mdCell(s.RuleID), mdCell(s.ID), mdCell(opt.shown(s)),
		reuse, mdCell(strings.Join(repos, ", ")), mergedStatus(s), day(s.FirstIntroduced()), s.DaysExposed(), mdCell(strings.Join(where, "; ")))
}
