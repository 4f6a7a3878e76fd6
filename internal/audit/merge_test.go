package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
	"github.com/leakhound/leakhound/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// auditJSON is what `leakhound audit --report-format json` writes for r.
func auditJSON(t testing.TB, r *Report, noRedact bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, "json", r, Options{NoRedact: noRedact}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// repoReport is a repository's audit built from findings and facts.
func repoReport(name, head, version string, fs []detect.Finding, ff fakeFacts, days int) *Report {
	now := day0.AddDate(0, 0, days)
	return &Report{Repository: name, Head: head, HeadRef: "refs/heads/main", GeneratedAt: now, ToolVersion: version,
		Secrets: Build(fs, ff, now)}
}

// mergeInputs are three repositories' audits: shop (the audit tests'
// sample), billing, which holds shop's TokA too, and ops, audited by
// another leakhound version, which holds TokB, removed.
func mergeInputs() map[string]*Report {
	fs, ff := sample()
	billing := []detect.Finding{
		finding("tok", testkit.TokA, "b1", "deploy/prod.env", 3, 50, rules.High),
		finding("tok", "tok_"+"k3j4h5g6f7d8", "b2", "ci/test.env", 1, 60, rules.Medium),
	}
	bff := fakeFacts{head: map[string][]Place{"tok" + testkit.TokA: {{Path: "deploy/prod.env", Line: 3}}},
		refs: map[string][]string{"b1": {"refs/heads/main"}, "b2": {"refs/heads/main"}}}
	ops := []detect.Finding{finding("tok", testkit.TokB, "o1", "old/keys.env", 7, 5, rules.Critical)}
	off := fakeFacts{removed: map[string]*Commit{"tok" + testkit.TokB: {ID: "o2", Author: "Cy", Date: day0.AddDate(0, 0, 8)}},
		refs: map[string][]string{"o1": {"refs/heads/main"}}}
	return map[string]*Report{
		"shop":    repoReport("shop", "c5c5c5c5c5c5c5", "v1.2.0", fs, ff, 100),
		"billing": repoReport("billing", "b9b9b9b9b9b9b9", "v1.2.0", billing, bff, 100),
		"ops":     repoReport("ops", "0f0f0f0f0f0f0f", "v1.3.0", ops, off, 90),
	}
}

// merge merges the named inputs' JSON, in order; a name without a report
// in reps is given the bytes in raw.
func merge(t testing.TB, reps map[string]*Report, raw map[string][]byte, noRedact bool, names ...string) *Merged {
	t.Helper()
	m := NewMerger()
	for _, n := range names {
		b, ok := raw[n]
		if !ok {
			b = auditJSON(t, reps[n], noRedact)
		}
		m.Add(n+".json", bytes.NewReader(b))
	}
	return m.Result("v9.9.9-test")
}

func TestMergeGroupsBySecretAcrossRepositories(t *testing.T) {
	m := merge(t, mergeInputs(), nil, false, "shop", "billing", "ops")
	if len(m.Inputs) != 3 || m.Failed() {
		t.Fatalf("inputs %+v", m.Inputs)
	}
	byID := map[string]*MergedSecret{}
	for i := range m.Secrets {
		byID[m.Secrets[i].ID] = &m.Secrets[i]
	}
	if len(byID) != 4 {
		t.Fatalf("%d secrets, want 4 (TokA, TokB, billing's, shop's other)", len(byID))
	}
	a := byID[detect.SecretHash("tok", testkit.TokA)]
	if a == nil || !a.Reused() || len(a.Repos) != 2 || a.Repos[0].Repository != "billing" || a.Repos[1].Repository != "shop" {
		t.Fatalf("TokA = %+v, want reused in billing and shop", a)
	}
	if shop := a.Repos[1]; shop.Introduced.ID != "c1" || shop.LastIntroduced.ID != "c3" || strings.Join(shop.paths(), ",") != "a/app.env,b/copy.env" {
		t.Errorf("TokA in shop: introduced %s, last %s, paths %v", shop.Introduced.ID, shop.LastIntroduced.ID, shop.paths())
	}
	b := byID[detect.SecretHash("tok", testkit.TokB)]
	if b == nil || !b.Reused() || b.StillPresent() || b.Repos[0].Repository != "ops" || b.Repos[0].Removed.ID != "o2" {
		t.Errorf("TokB = %+v, want in ops (removed by o2) and shop", b)
	}
	if a.Value != "" || a.Shown == "" || strings.Contains(a.Shown, testkit.TokA) {
		t.Errorf("redacted inputs gave value %q, shown %q: want only the preview", a.Value, a.Shown)
	}
}

func TestMergeOrder(t *testing.T) {
	m := merge(t, mergeInputs(), nil, false, "shop", "billing", "ops")
	var got []string
	for _, s := range m.Secrets {
		got = append(got, s.Severity.String()+":"+s.Repos[0].Repository+":"+mergedStatus(&s))
	}
	// Critical first (TokB, though removed everywhere); then the high
	// ones: TokA (present, two repositories) before shop's other secret
	// (in no HEAD); then billing's medium.
	want := "critical:ops:in no HEAD high:billing:in HEAD of 2 of 2 high:shop:in no HEAD medium:billing:in no HEAD"
	if strings.Join(got, " ") != want {
		t.Errorf("order\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	// The merge of one audit lists its secrets in the audit's order.
	one := merge(t, mergeInputs(), nil, false, "shop")
	r := mergeInputs()["shop"]
	for i := range r.Secrets {
		if one.Secrets[i].ID != r.Secrets[i].ID {
			t.Errorf("merge of one audit: secret %d is %s, the audit's is %s", i, one.Secrets[i].ID, r.Secrets[i].ID)
		}
	}
}

func TestMergeNotesVersions(t *testing.T) {
	m := merge(t, mergeInputs(), nil, false, "shop", "billing", "ops")
	if len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "v1.2.0: 2 file(s): shop.json, billing.json") ||
		!strings.Contains(m.Notes[0], "v1.3.0: 1 file(s): ops.json") {
		t.Errorf("notes %q, want one naming each version's files", m.Notes)
	}
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := WriteMerged(&buf, format, m, Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "2 leakhound versions") {
			t.Errorf("%s report does not say the inputs' versions differ", format)
		}
	}
	if m := merge(t, mergeInputs(), nil, false, "shop", "billing"); len(m.Notes) != 0 {
		t.Errorf("one version, notes %q", m.Notes)
	}
}

func TestMergeDuplicateInput(t *testing.T) {
	reps := mergeInputs()
	raw := map[string][]byte{"shop-again": auditJSON(t, reps["shop"], false)}
	m := merge(t, reps, raw, false, "shop", "billing", "shop-again")
	in := m.Inputs[2]
	if in.State != InputDuplicate || in.DuplicateOf != "shop.json" || m.Failed() {
		t.Errorf("second shop input: %+v", in)
	}
	for _, s := range m.Secrets {
		for _, r := range s.Repos {
			if r.Input == "shop-again.json" {
				t.Errorf("a duplicate input was counted: %s", s.ID)
			}
		}
	}
	// The same name at another head is another audit: kept, and noted.
	other := *reps["shop"]
	other.Head = "d6d6d6d6d6d6"
	raw["shop-later"] = auditJSON(t, &other, false)
	m = merge(t, reps, raw, false, "shop", "shop-later")
	if m.Inputs[1].State != InputMerged || len(m.Notes) != 1 || !strings.Contains(m.Notes[0], `"shop" was merged at 2 different heads`) {
		t.Errorf("shop at two heads: %+v, notes %q", m.Inputs[1], m.Notes)
	}
}

func TestMergeBadInputs(t *testing.T) {
	reps := mergeInputs()
	good := auditJSON(t, reps["billing"], true) // carries whole values: no problem may quote them
	incomplete := *reps["billing"]
	incomplete.Incomplete = true
	swap := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
	cases := []struct {
		name  string
		data  []byte
		state string
		want  string
	}{
		{"invalid", []byte("{\"schema\": " + testkit.TokA + "}"), InputError, "invalid JSON at byte"},
		{"truncated", good[:len(good)/2], InputError, "truncated"},
		{"empty", nil, InputError, "truncated"},
		{"array", []byte("[]"), InputError, "not an audit report"},
		{"schema", swap(AuditSchema, "leakhound-audit/v2"), InputError, `unknown schema "leakhound-audit/v2"`},
		{"schema-secret", swap(AuditSchema, testkit.TokA+" "), InputError, "unknown schema (want"},
		{"no-secrets", swap(`"secrets": [`, `"not_secrets": [`), InputError, `required field "secrets" is missing`},
		{"no-id", swap(`"id": "`, `"di": "`), InputError, `secrets[0]: required field "id" is missing`},
		{"bad-type", swap(`"line": 3`, `"line": "`+testkit.TokA+`"`), InputError, `wrong type`},
		{"trailing", append(append([]byte{}, good...), "{}"...), InputError, "data after the report's end"},
		{"incomplete", auditJSON(t, &incomplete, true), InputIncomplete, "incomplete: true"},
		{"merged", []byte(`{"schema": "` + MergeSchema + `", "secrets": []}`), InputSkipped, "a merged worklist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := merge(t, reps, map[string][]byte{c.name: c.data}, true, "shop", c.name)
			in := m.Inputs[1]
			if in.State != c.state || !strings.Contains(in.Problem, c.want) || in.File != c.name+".json" {
				t.Errorf("state %q, problem %q; want %q with %q", in.State, in.Problem, c.state, c.want)
			}
			if strings.Contains(in.Problem, testkit.TokA) || strings.Contains(in.Problem, "k3j4h5g6f7d8") {
				t.Errorf("problem %q quotes a secret", in.Problem)
			}
			if m.Failed() != (c.state == InputError || c.state == InputIncomplete) {
				t.Errorf("Failed() = %v for %s", m.Failed(), c.state)
			}
			if n := len(m.Secrets); (c.state == InputIncomplete) != (n > 3) {
				t.Errorf("%d secrets merged: a bad input's must not be, an incomplete one's must", n)
			}
		})
	}
}

func TestMergeShowsOnlyValuesInputsCarry(t *testing.T) {
	reps := mergeInputs()
	whole := merge(t, reps, nil, true, "shop", "billing")
	masked := merge(t, reps, nil, false, "shop", "billing")
	for _, c := range []struct {
		m        *Merged
		noRedact bool
		want     bool
	}{{whole, true, true}, {whole, false, false}, {masked, true, false}, {masked, false, false}} {
		for _, format := range Formats {
			var buf bytes.Buffer
			if err := WriteMerged(&buf, format, c.m, Options{NoRedact: c.noRedact}); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), testkit.TokA); got != c.want {
				t.Errorf("%s, inputs unmasked %v, --no-redact %v: value shown %v, want %v", format, c.m == whole, c.noRedact, got, c.want)
			}
			if !strings.Contains(buf.String(), "tok_") {
				t.Errorf("%s: no preview of the secret at all", format)
			}
		}
	}
}

func TestMergedJSONSchema(t *testing.T) {
	m := merge(t, mergeInputs(), map[string][]byte{"bad": []byte("{")}, false, "shop", "billing", "ops", "bad")
	var buf bytes.Buffer
	if err := WriteMerged(&buf, "json", m, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema     string
		Incomplete bool
		Summary    MergeSummary
		Inputs     []map[string]any
		Secrets    []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Summary
	if doc.Schema != MergeSchema || !doc.Incomplete || s.Inputs != 4 || s.Repositories != 3 || s.Failed != 1 || s.Secrets != 4 || s.Reused != 2 || s.StillPresent != 1 {
		t.Errorf("schema %q, incomplete %v, summary %+v", doc.Schema, doc.Incomplete, s)
	}
	for _, k := range []string{"id", "rule_id", "description", "severity", "confidence", "tags", "secret", "still_present", "reused",
		"repository_count", "days_exposed", "repositories"} {
		if _, ok := doc.Secrets[0][k]; !ok {
			t.Errorf("secret entry lacks %q", k)
		}
	}
	repo, _ := doc.Secrets[0]["repositories"].([]any)
	entry, _ := repo[0].(map[string]any)
	for _, k := range []string{"repository", "input", "head", "status", "still_present", "introduced", "last_introduced", "removed",
		"head_locations", "paths", "locations", "occurrences", "refs", "days_exposed", "reused_at"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("repository entry lacks %q", k)
		}
	}
	for _, k := range []string{"file", "state", "problem", "duplicate_of", "repository", "head", "leakhound_version", "generated_at", "secrets"} {
		if _, ok := doc.Inputs[3][k]; !ok {
			t.Errorf("input entry lacks %q", k)
		}
	}
}

// TestMergeGolden compares each format with its golden file; -update
// rewrites them. The merge adds no clock: the same inputs give the same
// bytes.
func TestMergeGolden(t *testing.T) {
	reps := mergeInputs()
	raw := map[string][]byte{"shop-copy": auditJSON(t, reps["shop"], false), "broken": auditJSON(t, reps["ops"], false)[:300]}
	names := []string{"shop", "billing", "ops", "shop-copy", "broken"}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var got, again bytes.Buffer
			if err := WriteMerged(&got, format, merge(t, reps, raw, false, names...), Options{}); err != nil {
				t.Fatal(err)
			}
			if err := WriteMerged(&again, format, merge(t, reps, raw, false, names...), Options{}); err != nil || !bytes.Equal(got.Bytes(), again.Bytes()) {
				t.Fatalf("output differs between runs (%v)", err)
			}
			path := filepath.Join("testdata", "golden", "merge."+format+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("output differs from %s (go test ./internal/audit -run TestMergeGolden -update rewrites it)", path)
			}
		})
	}
}

func TestMergedHTMLIsSelfContainedAndEscaped(t *testing.T) {
	reps := mergeInputs()
	reps["billing"].Secrets[0].Locations[0].Path = `<script>alert(1)</script>.env`
	reps["billing"].Repository = `"><img src=x onerror=alert(1)>`
	m := merge(t, reps, nil, false, "shop", "billing", "ops")
	var buf bytes.Buffer
	if err := WriteMerged(&buf, "html", m, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>alert(1)") || strings.Contains(out, "<img src=x") {
		t.Error("input content reached the page unescaped")
	}
	for _, bad := range []string{"http://", "https://", "src=\"//"} {
		if strings.Contains(out, bad) {
			t.Errorf("page refers to the network (%q)", bad)
		}
	}
	if n := strings.Count(out, `<tr class="row"`); n != 4 {
		t.Errorf("%d rows, want 4", n)
	}
}

// FuzzReadInput: the merge's parser of audit reports never panics, never
// quotes its input in an error, and what it accepts is well-formed.
func FuzzReadInput(f *testing.F) {
	reps := mergeInputs()
	for _, r := range reps {
		b := auditJSON(f, r, false)
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	f.Add([]byte(`{"schema":"leakhound-audit/v1","repository":"r","head":{},"incomplete":false,"secrets":[{}]}`))
	f.Add([]byte(`{"schema":"leakhound-audit/v1","repository":"r","head":null,"incomplete":true,"secrets":[]}`))
	f.Add([]byte(`{"schema":"` + MergeSchema + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := readInput(bytes.NewReader(data))
		if err != nil {
			if in != nil {
				t.Error("an error and a result")
			}
			if msg := err.Error(); len(data) >= 8 && len(msg) < 4*len(data) && strings.Contains(msg, string(data)) {
				t.Errorf("error %q quotes the input", msg)
			}
			return
		}
		for _, s := range in.secrets {
			if s.id == "" || s.ruleID == "" || s.repo.StillPresent != (s.repo.Status == "present") {
				t.Errorf("accepted a malformed secret %+v", s)
			}
		}
		m := NewMerger()
		m.Add("f.json", bytes.NewReader(data))
		if err := WriteMerged(&bytes.Buffer{}, "json", m.Result("v"), Options{}); err != nil {
			t.Error(err)
		}
	})
}
