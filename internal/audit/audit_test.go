package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
	"github.com/leakhound/leakhound/rules"
)

// fakeFacts answers from tables.
type fakeFacts struct {
	head    map[string][]Place
	removed map[string]*Commit
	refs    map[string][]string // commit → refs
}

func (f fakeFacts) InHead(rule, secret string) []Place { return f.head[rule+secret] }
func (f fakeFacts) Removal(rule, secret string) *Commit {
	return f.removed[rule+secret]
}
func (f fakeFacts) RefsReaching(groups [][]string) [][]string {
	out := make([][]string, len(groups))
	for g, commits := range groups {
		seen := map[string]bool{}
		for _, c := range commits {
			for _, r := range f.refs[c] {
				if !seen[r] {
					seen[r] = true
					out[g] = append(out[g], r)
				}
			}
		}
	}
	return out
}

var day0 = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)

func finding(rule, secret, commit, path string, line, dayN int, sev rules.Severity) detect.Finding {
	return detect.Finding{RuleID: rule, Secret: secret, StartLine: line, Severity: sev, Confidence: rules.ConfidenceHigh,
		Provenance: detect.Provenance{Kind: detect.KindHistory, Commit: commit, Path: path, Author: "Ada", Email: "ada@example.invalid",
			Date: day0.AddDate(0, 0, dayN), Message: "commit " + commit}}
}

func sample() ([]detect.Finding, fakeFacts) {
	a, b := testkit.TokA, testkit.TokB
	fs := []detect.Finding{
		finding("tok", a, "c3", "b/copy.env", 1, 30, rules.High), // the same value, later, elsewhere: reuse
		finding("tok", a, "c1", "a/app.env", 2, 0, rules.High),
		finding("tok", b, "c2", "a/old.env", 5, 10, rules.Critical),
		finding("other", "zzzzzzzzzzzzzzzz", "c4", "x.txt", 1, 40, rules.High),
	}
	ff := fakeFacts{
		head:    map[string][]Place{"tok" + a: {{Path: "a/app.env", Line: 2}, {Path: "b/copy.env", Line: 1}}},
		removed: map[string]*Commit{"tok" + b: {ID: "c5", Author: "Bo", Date: day0.AddDate(0, 0, 20)}},
		refs:    map[string][]string{"c1": {"refs/heads/main"}, "c2": {"refs/heads/main"}, "c3": {"refs/heads/main", "refs/tags/v1"}, "c4": {"refs/heads/topic"}},
	}
	return fs, ff
}

func TestBuildGroupsAndSorts(t *testing.T) {
	fs, ff := sample()
	now := day0.AddDate(0, 0, 100)
	got := Build(fs, ff, now)
	if len(got) != 3 {
		t.Fatalf("%d groups, want 3 (one per rule and secret)", len(got))
	}
	// Severity first: the critical one, though removed.
	b := got[0]
	if b.RuleID != "tok" || b.Value != testkit.TokB || b.StillPresent || b.Removed == nil || b.Removed.ID != "c5" || b.DaysExposed != 10 {
		t.Errorf("critical group = %+v, want TokB removed by c5 after 10 days", b)
	}
	// Then, among the high ones, still present before not in HEAD.
	a := got[1]
	if a.Value != testkit.TokA || !a.StillPresent || a.Removed != nil || a.Introduced.ID != "c1" || a.Introduced.Path != "a/app.env" {
		t.Errorf("present group = %+v, want TokA first introduced by c1 at a/app.env", a)
	}
	if len(a.Locations) != 2 || a.DaysExposed != 100 || strings.Join(a.Refs, ",") != "refs/heads/main,refs/tags/v1" {
		t.Errorf("present group locations %d, days %d, refs %v", len(a.Locations), a.DaysExposed, a.Refs)
	}
	if strings.Join(a.ReusedAt, ",") != "a/app.env,b/copy.env" {
		t.Errorf("reused at %v, want both paths", a.ReusedAt)
	}
	if o := got[2]; o.RuleID != "other" || o.StillPresent || o.Removed != nil || len(o.ReusedAt) != 0 || o.Refs[0] != "refs/heads/topic" {
		t.Errorf("topic-only group = %+v", o)
	}
}

func sampleReport() *Report {
	fs, ff := sample()
	now := day0.AddDate(0, 0, 100)
	return &Report{Repository: "shop", Head: "c5c5c5c5c5c5c5", HeadRef: "refs/heads/main", GeneratedAt: now, Secrets: Build(fs, ff, now)}
}

func TestJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "json", sampleReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), testkit.TokA) || strings.Contains(buf.String(), testkit.TokB) {
		t.Fatal("JSON report holds a secret without --no-redact")
	}
	var doc struct {
		Schema  string
		Summary struct {
			Secrets      int `json:"secrets"`
			StillPresent int `json:"still_present"`
			Removed      int `json:"removed"`
			Reused       int `json:"reused"`
		}
		Secrets []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "leakhound-audit/v1" || doc.Summary.Secrets != 3 || doc.Summary.StillPresent != 1 || doc.Summary.Removed != 1 || doc.Summary.Reused != 1 {
		t.Errorf("summary = %+v (schema %q)", doc.Summary, doc.Schema)
	}
	want := []string{"id", "rule_id", "description", "severity", "confidence", "tags", "secret", "status", "still_present",
		"introduced", "removed", "head_locations", "locations", "occurrences", "refs", "days_exposed", "reused_at"}
	for _, k := range want {
		if _, ok := doc.Secrets[0][k]; !ok {
			t.Errorf("secret entry lacks %q", k)
		}
	}
	buf.Reset()
	if err := Write(&buf, "json", sampleReport(), Options{NoRedact: true}); err != nil || !strings.Contains(buf.String(), testkit.TokA) {
		t.Errorf("--no-redact did not show the secret (%v)", err)
	}
}

func TestMarkdownAndTextNeverHoldSecrets(t *testing.T) {
	for _, format := range []string{"markdown", "text", "html"} {
		var buf bytes.Buffer
		if err := Write(&buf, format, sampleReport(), Options{}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, testkit.TokA) || strings.Contains(out, testkit.TokB) {
			t.Errorf("%s report holds a secret", format)
		}
		for _, want := range []string{"tok", "a/app.env", "refs/heads/main"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q", format, want)
			}
		}
	}
	if err := Write(&bytes.Buffer{}, "pdf", sampleReport(), Options{}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	r := sampleReport()
	r.Secrets[2].Introduced.Path = `<script>alert(1)</script>.env`
	r.Secrets[2].Introduced.Author = `"><img src=x onerror=alert(1)>`
	var buf bytes.Buffer
	if err := Write(&buf, "html", r, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>alert(1)") || strings.Contains(out, "<img src=x") {
		t.Error("repository content reached the page unescaped")
	}
	for _, bad := range []string{"http://", "https://", "src=\"//"} {
		if strings.Contains(out, bad) {
			t.Errorf("page refers to the network (%q): it must be self-contained", bad)
		}
	}
	if n := strings.Count(out, `<tr class="row"`); n != 3 {
		t.Errorf("%d table rows, want 3", n)
	}
	if !strings.Contains(out, "<svg id=\"timeline\"") {
		t.Error("no timeline")
	}
}
