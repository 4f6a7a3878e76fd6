package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/leakhound/leakhound/internal/accuracy"
)

// Finding is what scoring reads of a reported finding.
type Finding struct {
	Path       string
	Line       int
	Rule       string
	Confidence string // "" for scanners that give none
}

func parseReport(r io.Reader) ([]Finding, error) {
	hits, err := accuracy.ParseReport(r, "")
	if err != nil {
		return nil, err
	}
	out := make([]Finding, 0, len(hits))
	for _, h := range hits {
		x := Finding{Path: strings.TrimPrefix(h.Path, "./"), Line: h.Line, Rule: h.Rule, Confidence: h.Confidence}
		if i := strings.Index(x.Path, "data/"); i > 0 {
			x.Path = x.Path[i:] // an absolute path or one under a prefix
		} else if i < 0 {
			x.Path = "data/" + x.Path // relative to the folder scanned
		}
		out = append(out, x)
	}
	return out, nil
}

// Count is precision and recall's raw material.
type Count struct{ TP, FP, FN int }

func (c Count) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }
func (c Count) Recall() float64    { return ratio(c.TP, c.TP+c.FN) }
func (c Count) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Levels are leakhound's confidence levels, most sure first.
var Levels = []string{"high", "medium", "low"}

// Score is one scanner's result.
type Score struct {
	Total      Count
	Categories map[string]*Count
	// ByLevel counts the labels reached by findings of exactly that
	// confidence; AtLeast those reached by findings of that level or above
	// (what --min-confidence keeps).
	ByLevel, AtLeast map[string]*Count
	Rules            map[string]*Count // per rule: TP and FP labels
	Unlabeled        int               // findings on lines without a label
	FalsePositives   []Label
	Misses           []Label
}

// Evaluate scores findings by the line rule. A finding reaches a label
// when its first line lies within the label's lines. A T label reached by
// any finding is a true positive, one reached by none a miss. An F or X
// label is a false positive when a finding reaches it that reaches no T
// label: a finding on a line that holds a credential and also a labeled
// non-credential is the credential's.
func Evaluate(labels []Label, findings []Finding) Score {
	s := Score{Categories: map[string]*Count{}, ByLevel: map[string]*Count{}, AtLeast: map[string]*Count{}, Rules: map[string]*Count{}}
	h := reachLabels(labels, findings)
	s.Unlabeled = h.unlabeled
	s.countLabels(labels, h)
	s.countLevels(labels, h)
	s.countRules(h)
	return s
}

// lvHit is a label reached by a finding of a confidence level.
type lvHit struct {
	level string
	label int
}

// hits is which labels the findings reach, and how.
type hits struct {
	hitT, hitF     []bool // by label: reached as a true or a false positive
	tpAt, fpAt     map[lvHit]bool
	ruleTP, ruleFP map[string]map[int]bool // rule → labels
	unlabeled      int                     // findings reaching no label
}

// reachLabels finds the labels each finding reaches.
func reachLabels(labels []Label, findings []Finding) *hits {
	type fileLine struct {
		path string
		line int
	}
	at := map[fileLine][]int{} // label indexes by every line they cover
	for i, l := range labels {
		for n := l.LineStart; n <= l.LineEnd; n++ {
			k := fileLine{l.Path, n}
			at[k] = append(at[k], i)
		}
	}
	h := &hits{hitT: make([]bool, len(labels)), hitF: make([]bool, len(labels)),
		tpAt: map[lvHit]bool{}, fpAt: map[lvHit]bool{}, ruleTP: map[string]map[int]bool{}, ruleFP: map[string]map[int]bool{}}
	mark := func(m map[string]map[int]bool, rule string, i int) {
		if m[rule] == nil {
			m[rule] = map[int]bool{}
		}
		m[rule][i] = true
	}
	for _, f := range findings {
		idx := at[fileLine{f.Path, f.Line}]
		if len(idx) == 0 {
			h.unlabeled++
			continue
		}
		hasT := false
		for _, i := range idx {
			if labels[i].Truth == "T" {
				hasT = true
			}
		}
		for _, i := range idx {
			if labels[i].Truth == "T" {
				h.hitT[i] = true
				h.tpAt[lvHit{f.Confidence, i}] = true
				mark(h.ruleTP, f.Rule, i)
			} else if !hasT {
				h.hitF[i] = true
				h.fpAt[lvHit{f.Confidence, i}] = true
				mark(h.ruleFP, f.Rule, i)
			}
		}
	}
	return h
}

// countLabels counts each label as a true positive, a miss or a false
// positive, in total and per category.
func (s *Score) countLabels(labels []Label, h *hits) {
	cat := func(name string) *Count {
		if s.Categories[name] == nil {
			s.Categories[name] = &Count{}
		}
		return s.Categories[name]
	}
	for i, l := range labels {
		switch {
		case l.Truth == "T" && h.hitT[i]:
			s.Total.TP++
			for _, c := range l.Categories {
				cat(c).TP++
			}
		case l.Truth == "T":
			s.Total.FN++
			s.Misses = append(s.Misses, l)
			for _, c := range l.Categories {
				cat(c).FN++
			}
		case h.hitF[i]:
			s.Total.FP++
			s.FalsePositives = append(s.FalsePositives, l)
			for _, c := range l.Categories {
				cat(c).FP++
			}
		default:
			for _, c := range l.Categories {
				cat(c)
			}
		}
	}
}

// countLevels counts the labels reached at each confidence level, and at
// that level or above. It needs the totals countLabels makes.
func (s *Score) countLevels(labels []Label, h *hits) {
	totalT := s.Total.TP + s.Total.FN
	for li, lv := range Levels {
		by, least := &Count{}, &Count{}
		for i := range labels {
			if h.tpAt[lvHit{lv, i}] {
				by.TP++
			}
			if h.fpAt[lvHit{lv, i}] {
				by.FP++
			}
			t, f := false, false
			for _, up := range Levels[:li+1] {
				t = t || h.tpAt[lvHit{up, i}]
				f = f || h.fpAt[lvHit{up, i}]
			}
			if t {
				least.TP++
			}
			if f {
				least.FP++
			}
		}
		least.FN = totalT - least.TP
		s.ByLevel[lv], s.AtLeast[lv] = by, least
	}
}

// countRules counts each rule's true and false positive labels.
func (s *Score) countRules(h *hits) {
	for r, m := range h.ruleTP {
		s.Rules[r] = &Count{TP: len(m)}
	}
	for r, m := range h.ruleFP {
		if s.Rules[r] == nil {
			s.Rules[r] = &Count{}
		}
		s.Rules[r].FP = len(m)
	}
}

func scoreCmd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("score", flag.ExitOnError)
	out := fs.String("out", "", "the folder rebuild wrote (data/ and meta/)")
	verbose := fs.Bool("v", false, "list every false positive and miss of the first report, with its line")
	rules := fs.Bool("rules", false, "true and false positives per rule")
	var without multiFlag
	fs.Var(&without, "without", "also score without the labels of this category (repeatable), e.g. UUID")
	fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		return errors.New("score needs -out and at least one NAME=REPORT.json")
	}
	labels, err := readMetaDir(filepath.Join(*out, "meta"))
	if err != nil {
		return err
	}
	var names []string
	var scores []Score
	var findingsOf [][]Finding
	for _, arg := range fs.Args() {
		name, file, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q: want NAME=REPORT.json", arg)
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		findings, err := parseReport(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		names = append(names, name)
		findingsOf = append(findingsOf, findings)
		scores = append(scores, Evaluate(labels, findings))
	}
	writeTables(w, labels, names, scores)
	if len(without) > 0 {
		kept := labels[:0:0]
	next:
		for _, l := range labels {
			for _, c := range l.Categories {
				if contains(without, c) {
					continue next
				}
			}
			kept = append(kept, l)
		}
		fmt.Fprintf(w, "\nwithout the labels of %s (%d of %d labels left):\n", strings.Join(without, ", "), len(kept), len(labels))
		fmt.Fprintf(w, "%-12s %6s %6s %6s %9s %7s %6s\n", "scanner", "TP", "FP", "FN", "precision", "recall", "F1")
		for i, name := range names {
			c := Evaluate(kept, findingsOf[i]).Total
			fmt.Fprintf(w, "%-12s %6d %6d %6d %9.3f %7.3f %6.3f\n", name, c.TP, c.FP, c.FN, c.Precision(), c.Recall(), c.F1())
		}
	}
	if *rules {
		writeRules(w, names, scores)
	}
	if *verbose {
		writeDetails(w, *out, names[0], scores[0])
	}
	return nil
}

func writeTables(w io.Writer, labels []Label, names []string, scores []Score) {
	t, f, x := 0, 0, 0
	files := map[string]bool{}
	for _, l := range labels {
		files[l.Path] = true
		switch l.Truth {
		case "T":
			t++
		case "F":
			f++
		default:
			x++
		}
	}
	fmt.Fprintf(w, "CredData line rule: %d labels (T %d, F %d, X %d) in %d files\n\n", len(labels), t, f, x, len(files))
	fmt.Fprintf(w, "%-12s %6s %6s %6s %9s %7s %6s %10s\n", "scanner", "TP", "FP", "FN", "precision", "recall", "F1", "unlabeled")
	for i, s := range scores {
		c := s.Total
		fmt.Fprintf(w, "%-12s %6d %6d %6d %9.3f %7.3f %6.3f %10d\n", names[i], c.TP, c.FP, c.FN, c.Precision(), c.Recall(), c.F1(), s.Unlabeled)
	}

	cats := map[string]bool{}
	for _, s := range scores {
		for c := range s.Categories {
			cats[c] = true
		}
	}
	var order []string
	for c := range cats {
		order = append(order, c)
	}
	first := scores[0].Categories
	sort.Slice(order, func(i, j int) bool {
		a, b := first[order[i]], first[order[j]]
		na, nb := 0, 0
		if a != nil {
			na = a.TP + a.FN
		}
		if b != nil {
			nb = b.TP + b.FN
		}
		if na != nb {
			return na > nb
		}
		return order[i] < order[j]
	})
	fmt.Fprintf(w, "\n%-31s %5s", "category", "T")
	for _, n := range names {
		fmt.Fprintf(w, " | %-27s", n+" P / R / F1 (FP)")
	}
	fmt.Fprintln(w)
	for _, c := range order {
		var total int
		if k := first[c]; k != nil {
			total = k.TP + k.FN
		}
		fmt.Fprintf(w, "%-31s %5d", c, total)
		for _, s := range scores {
			k := s.Categories[c]
			if k == nil {
				k = &Count{}
			}
			fmt.Fprintf(w, " | %5.3f %5.3f %5.3f (%4d) ", k.Precision(), k.Recall(), k.F1(), k.FP)
		}
		fmt.Fprintln(w)
	}

	for i, s := range scores {
		if s.ByLevel["high"].TP+s.ByLevel["high"].FP+s.ByLevel["medium"].TP+s.ByLevel["low"].TP == 0 {
			continue // no confidence in this report
		}
		fmt.Fprintf(w, "\n%s by confidence    %5s %5s %9s | at least this level: %9s %7s %6s\n", names[i], "TP", "FP", "precision", "precision", "recall", "F1")
		for _, lv := range Levels {
			b, a := s.ByLevel[lv], s.AtLeast[lv]
			fmt.Fprintf(w, "  %-20s %5d %5d %9.3f |                      %9.3f %7.3f %6.3f\n", lv, b.TP, b.FP, b.Precision(), a.Precision(), a.Recall(), a.F1())
		}
	}
}

func writeRules(w io.Writer, names []string, scores []Score) {
	for i, s := range scores {
		fmt.Fprintf(w, "\n%s per rule %30s %5s %5s\n", names[i], "", "TP", "FP")
		var rs []string
		for r := range s.Rules {
			rs = append(rs, r)
		}
		sort.Slice(rs, func(a, b int) bool {
			x, y := s.Rules[rs[a]], s.Rules[rs[b]]
			if x.TP+x.FP != y.TP+y.FP {
				return x.TP+x.FP > y.TP+y.FP
			}
			return rs[a] < rs[b]
		})
		for _, r := range rs {
			fmt.Fprintf(w, "  %-45s %5d %5d\n", r, s.Rules[r].TP, s.Rules[r].FP)
		}
	}
}

// writeDetails lists false positives and misses with the labeled line,
// for the person tuning rules (the files hold CredData's fake values).
func writeDetails(w io.Writer, out, name string, s Score) {
	show := func(title string, ls []Label) {
		fmt.Fprintf(w, "\n%s %s (%d):\n", name, title, len(ls))
		for _, l := range ls {
			fmt.Fprintf(w, "  %s:%d %s %s\n      %s\n", l.Path, l.LineStart, l.Truth, strings.Join(l.Categories, ":"), lineOf(out, l))
		}
	}
	show("false positives", s.FalsePositives)
	show("misses", s.Misses)
}

var fileCache = map[string][]string{}

func lineOf(out string, l Label) string {
	lines, ok := fileCache[l.Path]
	if !ok {
		f, err := os.Open(filepath.Join(out, filepath.FromSlash(l.Path)))
		if err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			f.Close()
		}
		fileCache[l.Path] = lines
	}
	if l.LineStart > len(lines) {
		return "(no such line)"
	}
	s := strings.TrimSpace(lines[l.LineStart-1])
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
