// Package accuracy scores a scanner's report against a labeled corpus: a
// truth file names, for each line that holds a secret, the line and the
// kind of secret, and for each decoy line (something that looks like a
// secret and is not) what sort of decoy it is. Every reported line is
// either a true positive (it holds a labeled secret) or a false positive;
// every labeled secret no report points at is a miss. Scoring is by line,
// not by rule, so that reports of different scanners (leakhound's JSON,
// gitleaks' JSON) are scored the same way.
package accuracy

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Positive labels, in table order.
var Categories = []string{"vendor", "private-key", "password", "connection-string", "generic"}

// Label is one row of a truth file.
type Label struct {
	Path  string
	Line  int
	Label string // a category, or "decoy:KIND"
}

// Decoy reports whether the label marks a decoy, and returns its kind.
func (l Label) Decoy() (string, bool) {
	return strings.CutPrefix(l.Label, "decoy:")
}

type key struct {
	path string
	line int
}

// Truth is a parsed truth file.
type Truth struct {
	labels map[key]Label
	order  []Label
}

// ParseTruth reads a truth file: tab-separated "path, line, label" rows,
// '#' comments and blank lines. A positive label may name a subkind after a
// colon ("vendor:github"); it is scored under its category. Every
// malformed row is reported at once.
func ParseTruth(r io.Reader, name string) (*Truth, error) {
	t := &Truth{labels: map[key]Label{}}
	var errs []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			errs = append(errs, fmt.Sprintf("%s:%d: want 3 tab-separated fields, got %d", name, n, len(f)))
			continue
		}
		ln, err := strconv.Atoi(f[1])
		if err != nil || ln < 1 {
			errs = append(errs, fmt.Sprintf("%s:%d: line %q is not a positive number", name, n, f[1]))
			continue
		}
		l := Label{Path: f[0], Line: ln, Label: f[2]}
		if _, decoy := l.Decoy(); !decoy {
			// "vendor:github" is scored as "vendor".
			l.Label, _, _ = strings.Cut(l.Label, ":")
		}
		if _, decoy := l.Decoy(); !decoy && !isCategory(l.Label) {
			errs = append(errs, fmt.Sprintf("%s:%d: unknown label %q (want one of %s or decoy:KIND)", name, n, l.Label, strings.Join(Categories, ", ")))
			continue
		}
		k := key{l.Path, l.Line}
		if _, dup := t.labels[k]; dup {
			errs = append(errs, fmt.Sprintf("%s:%d: %s:%d is labeled twice", name, n, l.Path, l.Line))
			continue
		}
		t.labels[k] = l
		t.order = append(t.order, l)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Sprintf("%s: %v", name, err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return t, nil
}

// Labels returns every row, in file order.
func (t *Truth) Labels() []Label { return t.order }

func isCategory(s string) bool {
	for _, c := range Categories {
		if c == s {
			return true
		}
	}
	return false
}

// Hit is one reported finding, reduced to what scoring needs.
type Hit struct {
	Path       string
	Line       int
	Rule       string
	Tags       []string
	Confidence string // "" for scanners that give none
}

// RuleCategory guesses the category of a rule that fired on an unlabeled
// line, from its tags or, for scanners whose reports carry none, its id.
func RuleCategory(rule string, tags []string) string {
	has := func(s string) bool {
		for _, t := range tags {
			if t == s {
				return true
			}
		}
		return strings.Contains(rule, s)
	}
	switch {
	case has("private-key"):
		return "private-key"
	case rule == "url-credentials" || has("connection-string"):
		return "connection-string"
	case has("password"):
		return "password"
	case has("generic"):
		return "generic"
	}
	return "vendor"
}

// Count is a row of the score table.
type Count struct {
	Name                   string
	Labeled, Found, FalseP int
}

// Recall is found/labeled (1 when nothing is labeled).
func (c Count) Recall() float64 { return ratio(c.Found, c.Labeled) }

// Precision is found/(found+false positives) (1 when nothing is reported).
func (c Count) Precision() float64 { return ratio(c.Found, c.Found+c.FalseP) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Score is the outcome of scoring one report.
type Score struct {
	Total      Count
	Categories []Count // one per Categories entry
	// Decoys counts, per decoy kind, the labeled decoy lines (Labeled) and
	// how many were reported (FalseP).
	Decoys []Count
	// Misses are the labeled secrets no hit points at; FalsePositives the
	// hits on lines that hold none (one per line).
	Misses         []Label
	FalsePositives []Hit
}

// Evaluate scores hits against t. Hits on paths outside the corpus are
// ignored by the caller; several hits on one line count once.
func Evaluate(t *Truth, hits []Hit) Score {
	byLine := firstHits(hits)
	cats := map[string]*Count{}
	var s Score
	for _, c := range Categories {
		s.Categories = append(s.Categories, Count{Name: c})
	}
	for i := range s.Categories {
		cats[s.Categories[i].Name] = &s.Categories[i]
	}
	decoys := map[string]*Count{}
	decoy := func(kind string) *Count {
		if decoys[kind] == nil {
			decoys[kind] = &Count{Name: kind}
		}
		return decoys[kind]
	}
	for _, l := range t.order {
		if kind, ok := l.Decoy(); ok {
			decoy(kind).Labeled++
			continue
		}
		c := cats[l.Label]
		c.Labeled++
		if _, hit := byLine[key{l.Path, l.Line}]; hit {
			c.Found++
		} else {
			s.Misses = append(s.Misses, l)
		}
	}
	for _, k := range sortedLines(byLine) {
		l, labeled := t.labels[k]
		if labeled {
			if _, isDecoy := l.Decoy(); !isDecoy {
				continue
			}
		}
		h := byLine[k]
		s.FalsePositives = append(s.FalsePositives, h)
		cats[RuleCategory(h.Rule, h.Tags)].FalseP++
		kind := "unlabeled"
		if labeled {
			kind, _ = l.Decoy()
		}
		decoy(kind).FalseP++
	}
	s.Total = sumCounts("all", s.Categories)
	for _, c := range decoys {
		s.Decoys = append(s.Decoys, *c)
	}
	sort.Slice(s.Decoys, func(i, j int) bool { return s.Decoys[i].Name < s.Decoys[j].Name })
	return s
}

// firstHits keeps the first of hits on each line.
func firstHits(hits []Hit) map[key]Hit {
	byLine := map[key]Hit{}
	for _, h := range hits {
		k := key{h.Path, h.Line}
		if _, ok := byLine[k]; !ok {
			byLine[k] = h
		}
	}
	return byLine
}

// sortedLines returns the lines of byLine by path, then line number.
func sortedLines(byLine map[key]Hit) []key {
	keys := make([]key, 0, len(byLine))
	for k := range byLine {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].path != keys[j].path {
			return keys[i].path < keys[j].path
		}
		return keys[i].line < keys[j].line
	})
	return keys
}

// sumCounts adds up counts under name.
func sumCounts(name string, counts []Count) Count {
	total := Count{Name: name}
	for _, c := range counts {
		total.Labeled += c.Labeled
		total.Found += c.Found
		total.FalseP += c.FalseP
	}
	return total
}
