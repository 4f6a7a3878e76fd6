package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema compiles the SARIF 2.1.0 schema kept under testdata.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../testdata/sarif/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validateSARIF checks doc against the SARIF 2.1.0 schema.
func validateSARIF(t *testing.T, sch *jsonschema.Schema, doc []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate: %v\n%s", err, doc)
	}
}

type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name, FullName, Version, SemanticVersion string
				Rules                                    []struct {
					ID, Name   string
					Help       struct{ Markdown string }
					Properties map[string]any
				}
			}
		}
		Results []struct {
			RuleID              string
			RuleIndex           int
			Level               string
			Message             struct{ Text string }
			PartialFingerprints map[string]string
			Properties          map[string]any
			Locations           []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI, URIBaseID string }
					Region           struct{ StartLine, StartColumn, EndLine, EndColumn int }
				}
			}
		}
	}
}

// TestSARIFValidAndComplete validates what users upload to GitHub: every
// document the fixture gives (plain, redacted, empty, capped) against the
// schema, and the fields code scanning uses.
func TestSARIFValidAndComplete(t *testing.T) {
	sch := sarifSchema(t)
	fs := fixture()
	var warnings []string
	opt := Options{ToolVersion: "v1.2.3", Warn: func(s string) { warnings = append(warnings, s) }}
	out := render(t, SARIF{}, fs, opt)
	validateSARIF(t, sch, out)
	validateSARIF(t, sch, render(t, SARIF{}, fs, Options{Redact: 100}))
	validateSARIF(t, sch, render(t, SARIF{}, nil, Options{}))
	if len(warnings) != 0 {
		t.Errorf("warnings %v", warnings)
	}

	var doc sarifDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if d := run.Tool.Driver; d.Name != "leakhound" || d.FullName != "leakhound v1.2.3" || d.Version != "1.2.3" || d.SemanticVersion != "1.2.3" || len(run.Results) != len(fs) {
		t.Fatalf("driver %+v, %d results", run.Tool.Driver, len(run.Results))
	}
	for i, r := range run.Results {
		f := fs[i]
		rule := run.Tool.Driver.Rules[r.RuleIndex]
		if rule.ID != f.RuleID || r.RuleID != f.RuleID {
			t.Errorf("result %d: rule %s at index %d, want %s", i, rule.ID, r.RuleIndex, f.RuleID)
		}
		tags, _ := rule.Properties["tags"].([]any)
		if len(tags) == 0 || tags[0] != "security" || rule.Properties["security-severity"] == "" || !strings.Contains(rule.Help.Markdown, "leakhound:allow") {
			t.Errorf("rule %s properties %v", rule.ID, rule.Properties)
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URIBaseID != "%SRCROOT%" || loc.Region.StartLine != f.StartLine || loc.Region.EndColumn != f.EndColumn+1 {
			t.Errorf("result %d location %+v", i, loc)
		}
		if f.Secret != "" && strings.Contains(r.Message.Text, f.Secret) {
			t.Errorf("result %d message holds the secret", i)
		}
		if fp := r.PartialFingerprints["leakhound/v1"]; fp == "" || strings.Contains(fp, f.Secret) && f.Secret != "" {
			t.Errorf("result %d partial fingerprint %q", i, fp)
		}
		if f.Commit != "" && r.Properties["commit"] != f.Commit {
			t.Errorf("result %d properties %v", i, r.Properties)
		}
	}

	// Moving a finding's line changes nothing code scanning tracks it by.
	moved := fixture()
	moved[0].StartLine += 40
	moved[0].EndLine += 40
	var doc2 sarifDoc
	json.Unmarshal(render(t, SARIF{}, moved, Options{}), &doc2)
	if a, b := doc.Runs[0].Results[0].PartialFingerprints, doc2.Runs[0].Results[0].PartialFingerprints; a["leakhound/v1"] != b["leakhound/v1"] {
		t.Errorf("partial fingerprint moved with the line: %v vs %v", a, b)
	}
}

// TestSARIFLimits: over GitHub's limits, the first results in report
// order are kept, the output still validates, and the caller is told.
func TestSARIFLimits(t *testing.T) {
	sch := sarifSchema(t)
	saved := sarifLimits
	defer func() { sarifLimits = saved }()
	fs := fixture()

	sarifLimits.results = 2
	var warnings []string
	out := render(t, SARIF{}, fs, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	validateSARIF(t, sch, out)
	var doc sarifDoc
	json.Unmarshal(out, &doc)
	if n := len(doc.Runs[0].Results); n != 2 || doc.Runs[0].Results[0].RuleID != fs[0].RuleID || len(warnings) != 1 {
		t.Errorf("%d results, warnings %v", n, warnings)
	}

	sarifLimits = saved
	sarifLimits.gzipBytes = 1200
	warnings = nil
	out = render(t, SARIF{}, fs, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	validateSARIF(t, sch, out)
	if gzipSize(out) > 1200 && !bytes.Contains(out, []byte(`"results": []`)) || len(warnings) != 1 {
		t.Errorf("compressed %d bytes, warnings %v", gzipSize(out), warnings)
	}

	sarifLimits = saved
	sarifLimits.tags = 1
	warnings = nil
	validateSARIF(t, sch, render(t, SARIF{}, fs, Options{Warn: func(s string) { warnings = append(warnings, s) }}))
	if len(warnings) == 0 {
		t.Error("no warning for too many tags")
	}
	for _, w := range warnings {
		for _, f := range fs {
			if f.Secret != "" && strings.Contains(w, f.Secret) {
				t.Errorf("warning holds a secret: %s", w)
			}
		}
	}
}

// TestSARIFSchemaCatchesInvalid proves the validation can fail.
func TestSARIFSchemaCatchesInvalid(t *testing.T) {
	sch := sarifSchema(t)
	inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version": "2.1.0", "runs": [{"tool": {}, "results": "nope"}]}`))
	if err := sch.Validate(inst); err == nil {
		t.Error("an invalid document validated")
	}
}

func TestSARIFURI(t *testing.T) {
	for path, want := range map[string]string{"a/b c.go": "a/b%20c.go", "données/x#1.txt": "donn%C3%A9es/x%231.txt", "stdin": "stdin"} {
		if got := sarifURI(path); got != want {
			t.Errorf("sarifURI(%q) = %q, want %q", path, got, want)
		}
	}
	_ = detect.Finding{}
}

// TestSARIFVersionControlProvenance: a git scan whose origin is known
// names it, and the document still validates.
func TestSARIFVersionControlProvenance(t *testing.T) {
	repo := &Repository{URI: "https://github.com/o/r.git", Revision: strings.Repeat("ab", 20), Branch: "main"}
	out := render(t, SARIF{}, fixture(), Options{Repository: repo})
	validateSARIF(t, sarifSchema(t), out)
	var doc struct {
		Runs []struct {
			VersionControlProvenance []struct {
				RepositoryURI, RevisionID, Branch string
				MappedTo                          struct{ URIBaseID string }
			}
		}
	}
	json.Unmarshal(out, &doc)
	if v := doc.Runs[0].VersionControlProvenance; len(v) != 1 || v[0].RepositoryURI != repo.URI || v[0].RevisionID != repo.Revision || v[0].Branch != "main" || v[0].MappedTo.URIBaseID != "%SRCROOT%" {
		t.Errorf("versionControlProvenance %+v", v)
	}
}

func TestRotationHelp(t *testing.T) {
	for id, want := range map[string]string{
		"aws-access-key-id": "docs.aws.amazon.com", "github-pat": "docs.github.com", "gcp-api-key": "cloud.google.com",
		"private-key": "", "some-new-vendor": "",
	} {
		text, link := rotationHelp(&detect.Finding{RuleID: id})
		if !strings.Contains(link, want) || text == "" || (want == "" && link != "") {
			t.Errorf("%s: %q, %q", id, text, link)
		}
	}
	if text, _ := rotationHelp(&detect.Finding{RuleID: "some-new-vendor"}); text != rotateGeneric {
		t.Errorf("generic: %q", text)
	}
}

// TestSARIFRuleName: a rule's name is its id in PascalCase, never the id
// itself but for case (the multitool's SARIF1001 on a rule named "jwt").
func TestSARIFRuleName(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"aws-access-key-id", "AwsAccessKeyId"},
		{"private_key.pem", "PrivateKeyPem"},
		{"jwt", "LeakedJwt"},
		{"Jwt", "LeakedJwt"},
		{"MyRule", "LeakedMyRule"},
		{"été-token", "ÉtéToken"},
		{"--", "Leaked"},
	} {
		if got := ruleName(c.id); got != c.want || strings.EqualFold(got, c.id) {
			t.Errorf("ruleName(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}

// TestSARIFVersions: the driver's version starts with a digit and is
// SemVer whatever leakhound was built as (the multitool's SARIF2005 on
// "dev"); fullName keeps the version as `leakhound version` prints it.
func TestSARIFVersions(t *testing.T) {
	for _, c := range []struct{ in, full, version, semantic string }{
		{"v1.2.3", "leakhound v1.2.3", "1.2.3", "1.2.3"},
		{"v0.0.0-20261204185234-15f82df1a2b3", "leakhound v0.0.0-20261204185234-15f82df1a2b3", "0.0.0-20261204185234-15f82df1a2b3", "0.0.0-20261204185234-15f82df1a2b3"},
		{"v1.2.4-0.20261204185234-15f82df1a2b3+dirty", "leakhound v1.2.4-0.20261204185234-15f82df1a2b3+dirty", "1.2.4-0.20261204185234-15f82df1a2b3+dirty", "1.2.4-0.20261204185234-15f82df1a2b3+dirty"},
		{"2.0.0", "leakhound 2.0.0", "2.0.0", "2.0.0"},
		{"dev", "leakhound dev", "0.0.0-dev", "0.0.0-dev"},
		{"", "leakhound 0.0.0-unknown", "0.0.0-unknown", "0.0.0-unknown"},
		{"v1.2", "leakhound v1.2", "1.2", ""},
	} {
		full, version, semantic := sarifVersions(c.in)
		if full != c.full || version != c.version || semantic != c.semantic {
			t.Errorf("sarifVersions(%q) = %q, %q, %q; want %q, %q, %q", c.in, full, version, semantic, c.full, c.version, c.semantic)
		}
	}
}

// TestSARIFAutomation: a run's automationDetails is the caller's, and is
// left out when there is none (GitHub's upload-sarif then sets its
// category).
func TestSARIFAutomation(t *testing.T) {
	type doc struct {
		Runs []struct {
			AutomationDetails *struct {
				ID         string
				Properties map[string]string
			}
		}
	}
	var plain doc
	json.Unmarshal(render(t, SARIF{}, fixture(), Options{}), &plain)
	if a := plain.Runs[0].AutomationDetails; a != nil {
		t.Errorf("automationDetails %+v without Options.Automation", a)
	}
	a := &Automation{ID: "azuredevops/pipeline/build/o/p/1/g/refs/heads/main/2", Properties: map[string]string{"k": "v"}}
	out := render(t, SARIF{}, fixture(), Options{Automation: a})
	validateSARIF(t, sarifSchema(t), out)
	var got doc
	json.Unmarshal(out, &got)
	if d := got.Runs[0].AutomationDetails; d == nil || d.ID != a.ID || d.Properties["k"] != "v" {
		t.Errorf("automationDetails %+v, want %+v", d, a)
	}
}
