package accuracy

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

// reportFinding holds the fields scoring reads from a JSON report, under
// both leakhound's names (file, start_line, rule_id, tags) and gitleaks'
// (File, StartLine, RuleID, Tags). encoding/json matches keys without
// regard to case, so gitleaks' "File" fills File and leakhound's "file" too.
type reportFinding struct {
	File      string   `json:"file"`
	StartLine int      `json:"start_line"`
	GLLine    int      `json:"StartLine"`
	RuleID    string   `json:"rule_id"`
	GLRule    string   `json:"RuleID"`
	Tags      []string `json:"tags"`
	// Confidence is leakhound's; gitleaks gives none.
	Confidence string `json:"confidence"`
}

// ParseReport reads a JSON array of findings written by leakhound or by
// gitleaks and returns them as hits with paths relative to root (the
// folder that was scanned, as the report names it; "" keeps paths as
// they are).
func ParseReport(r io.Reader, root string) ([]Hit, error) {
	var fs []reportFinding
	if err := json.NewDecoder(r).Decode(&fs); err != nil {
		return nil, fmt.Errorf("report is not a JSON array of findings: %w", err)
	}
	hits := make([]Hit, 0, len(fs))
	for _, f := range fs {
		h := Hit{Path: filepath.ToSlash(f.File), Line: f.StartLine, Rule: f.RuleID, Tags: f.Tags, Confidence: f.Confidence}
		if h.Line == 0 {
			h.Line = f.GLLine
		}
		if h.Rule == "" {
			h.Rule = f.GLRule
		}
		if root != "" {
			prefix := strings.TrimSuffix(filepath.ToSlash(root), "/") + "/"
			h.Path = strings.TrimPrefix(h.Path, prefix)
		}
		hits = append(hits, h)
	}
	return hits, nil
}

// WriteTable prints scores side by side, one column pair (recall,
// precision) per scanner, one row per category, the total, and then the
// decoys each scanner reported, by kind.
func WriteTable(w io.Writer, names []string, scores []Score) {
	fmt.Fprintf(w, "%-18s %7s", "category", "labeled")
	for _, n := range names {
		fmt.Fprintf(w, " | %-22s", n+" recall/precision")
	}
	fmt.Fprintln(w)
	row := func(pick func(Score) Count) {
		first := pick(scores[0])
		fmt.Fprintf(w, "%-18s %7d", first.Name, first.Labeled)
		for _, s := range scores {
			c := pick(s)
			fmt.Fprintf(w, " | %5.3f %5.3f (%3d fp) ", c.Recall(), c.Precision(), c.FalseP)
		}
		fmt.Fprintln(w)
	}
	for i := range Categories {
		row(func(s Score) Count { return s.Categories[i] })
	}
	row(func(s Score) Count { return s.Total })
	fmt.Fprintf(w, "\n%-18s %7s", "decoy kind", "labeled")
	for _, n := range names {
		fmt.Fprintf(w, " | %-22s", n+" reported")
	}
	fmt.Fprintln(w)
	kinds := map[string]int{}
	var order []string
	for _, s := range scores {
		for _, d := range s.Decoys {
			if n, ok := kinds[d.Name]; !ok || d.Labeled > n {
				if !ok {
					order = append(order, d.Name)
				}
				kinds[d.Name] = d.Labeled
			}
		}
	}
	sort.Strings(order)
	for _, k := range order {
		fmt.Fprintf(w, "%-18s %7d", k, kinds[k])
		for _, s := range scores {
			n := 0
			for _, d := range s.Decoys {
				if d.Name == k {
					n = d.FalseP
				}
			}
			fmt.Fprintf(w, " | %-22d", n)
		}
		fmt.Fprintln(w)
	}
}
