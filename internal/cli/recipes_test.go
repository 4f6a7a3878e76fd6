package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The organisation-wide audit's recipes (docs/org-audit) are checked with
// the tools their engines' users check them with: actionlint (with
// shellcheck for the run: scripts) for the workflow, kubeconform against
// the JSON schemas of Kubernetes' own OpenAPI definitions for the
// manifests. .ci/run installs each, pinned and cached, and sets
// LEAKHOUND_REQUIRE_RECIPE_TOOLS; with it (or CI) set a missing tool fails
// the tests, elsewhere it skips them.
const (
	recipeDir = "../../docs/org-audit"
	// k8sOpenAPIModule is the Go module whose api/openapi-spec/v3 holds
	// Kubernetes' OpenAPI definitions; .ci/run downloads the same.
	k8sOpenAPIModule = "k8s.io/kubernetes@v1.37.2"
)

func recipeToolsRequired() bool {
	return os.Getenv("LEAKHOUND_REQUIRE_RECIPE_TOOLS") != "" || os.Getenv("CI") != ""
}

// recipeTool returns the path of a checking tool: $envVar, else name on
// PATH, else where .ci/run installs it.
func recipeTool(t *testing.T, name, envVar string) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv(envVar); p != "" {
		candidates = append(candidates, p)
	}
	if p, err := exec.LookPath(name); err == nil {
		candidates = append(candidates, p)
	}
	if cache, err := os.UserCacheDir(); err == nil {
		found, _ := filepath.Glob(filepath.Join(cache, "leakhound-ci", "recipe-tools", name+"-*", name))
		candidates = append(candidates, found...)
	}
	for _, p := range candidates {
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return p
		}
	}
	if recipeToolsRequired() {
		t.Fatalf("no %s (looked at %v) and CI or LEAKHOUND_REQUIRE_RECIPE_TOOLS is set (.ci/run installs it)", name, candidates)
	}
	t.Skipf("no %s (set %s, or see .ci/run)", name, envVar)
	return ""
}

// k8sOpenAPI returns the folder of Kubernetes' OpenAPI v3 definitions:
// $LEAKHOUND_K8S_OPENAPI, else the module cache's copy of
// k8sOpenAPIModule.
func k8sOpenAPI(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LEAKHOUND_K8S_OPENAPI")
	if dir == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err == nil {
			dir = filepath.Join(strings.TrimSpace(string(out)), filepath.FromSlash(k8sOpenAPIModule), "api", "openapi-spec", "v3")
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "api__v1_openapi.json")); err != nil {
		if recipeToolsRequired() {
			t.Fatalf("no Kubernetes OpenAPI definitions at %q and CI or LEAKHOUND_REQUIRE_RECIPE_TOOLS is set (.ci/run runs go mod download %s)", dir, k8sOpenAPIModule)
		}
		t.Skipf("no Kubernetes OpenAPI definitions (go mod download %s, or set LEAKHOUND_K8S_OPENAPI)", k8sOpenAPIModule)
	}
	return dir
}

// actionlint runs actionlint on a workflow file and returns its output
// and whether it accepted the file.
func actionlint(t *testing.T, bin, shellcheck, file string) (string, bool) {
	t.Helper()
	cmd := exec.Command(bin, "-no-color", "-shellcheck="+shellcheck, file)
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("actionlint: %v", err)
	}
	return string(out), err == nil
}

// TestOrgAuditWorkflow: the GitHub Actions recipe passes actionlint (and
// shellcheck on its scripts), a broken copy does not, and it runs the
// commands this leakhound has.
func TestOrgAuditWorkflow(t *testing.T) {
	bin := recipeTool(t, "actionlint", "LEAKHOUND_ACTIONLINT")
	shellcheck := recipeTool(t, "shellcheck", "LEAKHOUND_SHELLCHECK")
	file := filepath.Join(recipeDir, "github-actions.yml")
	if out, ok := actionlint(t, bin, shellcheck, file); !ok || strings.TrimSpace(out) != "" {
		t.Fatalf("actionlint rejects %s:\n%s", file, out)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown matrix key", "${{ matrix.shard }}/", "${{ matrix.shards }}/", `property "shards" is not defined`},
		{"job without runs-on", "    runs-on: ubuntu-latest\n    timeout-minutes", "    timeout-minutes", `"runs-on" section is missing`},
		{"script error", `[ "$code" -gt 1 ]`, `[ "$code" -gt 1 `, "shellcheck reported issue"},
	} {
		broken := filepath.Join(t.TempDir(), "broken.yml")
		if !bytes.Contains(src, []byte(tc.from)) {
			t.Fatalf("%s: the workflow no longer has %q to break", tc.name, tc.from)
		}
		if err := os.WriteFile(broken, bytes.Replace(src, []byte(tc.from), []byte(tc.to), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, ok := actionlint(t, bin, shellcheck, broken); ok || !strings.Contains(out, tc.want) {
			t.Errorf("%s: actionlint accepts the broken workflow, or not for %q:\n%s", tc.name, tc.want, out)
		}
	}
	checkWorkflowShape(t, src)
}

// checkWorkflowShape: 0-based shard indexes 0..N-1, N taken from the
// matrix, and the flags each step uses are ones leakhound has.
func checkWorkflowShape(t *testing.T, src []byte) {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Strategy struct{ Matrix struct{ Shard []int } }
		}
	}
	if err := yaml.Unmarshal(src, &wf); err != nil {
		t.Fatal(err)
	}
	shards := wf.Jobs["audit"].Strategy.Matrix.Shard
	for i, s := range shards {
		if s != i {
			t.Errorf("matrix shards %v: want 0, 1, ..., N-1", shards)
			break
		}
	}
	for _, want := range []string{
		`--shard "$SHARD" --list`, "${{ matrix.shard }}/${{ strategy.job-total }}", "clone --bare",
		"leakhound audit --repos shard.txt --report-format json --report-path reports",
		`leakhound audit merge reports/ "$@"`, `--report-format markdown >> "$GITHUB_STEP_SUMMARY"`,
	} {
		if !bytes.Contains(src, []byte(want)) {
			t.Errorf("the workflow lacks %q", want)
		}
	}
}

// manifests reads every document of the Kubernetes recipe's files.
func manifests(t *testing.T, files ...string) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(fh)
		for {
			var d map[string]any
			if err := dec.Decode(&d); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%s: %v", f, err)
				}
				break
			}
			docs = append(docs, d)
		}
		fh.Close()
	}
	return docs
}

// k8sSchemas writes, for each kind the documents use, the JSON schema
// kubeconform looks for (named {{ .ResourceKind }}{{ .KindSuffix }}.json),
// made from Kubernetes' OpenAPI v3 definitions as kubeconform's own
// schemas are made from them: the kind's schema with every definition it
// may reference, and (kubeconform's -strict schemas) no property that the
// definitions do not name.
func k8sSchemas(t *testing.T, openapi string, docs []map[string]any) string {
	t.Helper()
	out := t.TempDir()
	for _, d := range docs {
		apiVersion, _ := d["apiVersion"].(string)
		kind, _ := d["kind"].(string)
		group, version, grouped := strings.Cut(apiVersion, "/")
		spec, suffix := "api__v1_openapi.json", "-"+apiVersion
		if grouped {
			spec = "apis__" + group + "__" + version + "_openapi.json"
			suffix = "-" + strings.Split(group, ".")[0] + "-" + version
		} else {
			group, version = "", apiVersion
		}
		raw, err := os.ReadFile(filepath.Join(openapi, spec))
		if err != nil {
			t.Fatalf("%s %s: %v", apiVersion, kind, err)
		}
		var doc struct {
			Components struct{ Schemas map[string]any }
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		name := schemaOf(doc.Components.Schemas, group, version, kind)
		if name == "" {
			t.Fatalf("no schema for %s %s in %s", apiVersion, kind, spec)
		}
		schema := map[string]any{
			"$schema":     "http://json-schema.org/draft-07/schema#",
			"allOf":       []any{map[string]any{"$ref": "#/definitions/" + name}},
			"definitions": strictSchema(doc.Components.Schemas),
		}
		b, err := json.Marshal(schema)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, strings.ToLower(kind+suffix)+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// schemaOf names the definition of a group, version and kind.
func schemaOf(schemas map[string]any, group, version, kind string) string {
	for name, s := range schemas {
		m, _ := s.(map[string]any)
		gvks, _ := m["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			g, _ := g.(map[string]any)
			if g["group"] == group && g["version"] == version && g["kind"] == kind {
				return name
			}
		}
	}
	return ""
}

// strictSchema rewrites OpenAPI references to the definitions' place and
// closes every object that lists its properties.
func strictSchema(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = strictSchema(x)
		}
		if ref, ok := v["$ref"].(string); ok {
			v["$ref"] = strings.Replace(ref, "#/components/schemas/", "#/definitions/", 1)
		}
		if _, ok := v["properties"].(map[string]any); ok && v["additionalProperties"] == nil {
			v["additionalProperties"] = false
		}
	case []any:
		for i, x := range v {
			v[i] = strictSchema(x)
		}
	}
	return v
}

// kubeconform validates files strictly against the schemas in dir and
// returns its summary and whether it accepted them all.
func kubeconform(t *testing.T, bin, schemas string, files ...string) (string, bool) {
	t.Helper()
	args := append([]string{"-strict", "-summary", "-schema-location", filepath.Join(schemas, "{{ .ResourceKind }}{{ .KindSuffix }}.json")}, files...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("kubeconform: %v", err)
	}
	return string(out), err == nil
}

// TestOrgAuditKubernetes: the Kubernetes recipe is valid against
// Kubernetes' own schemas, strictly (no unknown field), broken copies are
// not, and the Indexed Job's shards and volumes fit together.
func TestOrgAuditKubernetes(t *testing.T) {
	bin := recipeTool(t, "kubeconform", "LEAKHOUND_KUBECONFORM")
	files := []string{filepath.Join(recipeDir, "kubernetes", "audit.yaml"), filepath.Join(recipeDir, "kubernetes", "merge.yaml")}
	docs := manifests(t, files...)
	schemas := k8sSchemas(t, k8sOpenAPI(t), docs)
	out, ok := kubeconform(t, bin, schemas, files...)
	if want := fmt.Sprintf("Summary: %d resources found in %d files - Valid: %d, Invalid: 0, Errors: 0, Skipped: 0", len(docs), len(files), len(docs)); !ok || !strings.Contains(out, want) {
		t.Fatalf("kubeconform: %s\nwant %q", out, want)
	}
	src, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown field", "  completionMode: Indexed", "  completionMod: Indexed", "'completionMod' not allowed"},
		{"wrong type", "  parallelism: 4", "  parallelism: four", "/spec/parallelism"},
		{"string for a list", `accessModes: ["ReadWriteMany"]`, `accessModes: "ReadWriteMany"`, "/spec/accessModes"},
		{"missing required field", "        - name: audit\n", "        - nam: audit\n", "missing property 'name'"},
	} {
		if !bytes.Contains(src, []byte(tc.from)) {
			t.Fatalf("%s: the manifest no longer has %q to break", tc.name, tc.from)
		}
		broken := filepath.Join(t.TempDir(), "audit.yaml")
		if err := os.WriteFile(broken, bytes.Replace(src, []byte(tc.from), []byte(tc.to), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, ok := kubeconform(t, bin, schemas, broken); ok || !strings.Contains(out, tc.want) {
			t.Errorf("%s: kubeconform accepts the broken manifest, or not for %q:\n%s", tc.name, tc.want, out)
		}
	}
	checkIndexedJob(t, docs)
}

// k8sObject is what checkIndexedJob reads of a manifest.
type k8sObject struct {
	Kind     string
	Metadata struct{ Name string }
	Spec     struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int
		Parallelism    int
		Template       struct {
			Spec struct {
				Containers []struct {
					Args []string
					Env  []struct{ Name, Value string }
				}
				Volumes []struct {
					Name                  string
					PersistentVolumeClaim struct{ ClaimName string } `yaml:"persistentVolumeClaim"`
				}
			}
		}
	}
}

// checkIndexedJob: the audit Job is Indexed with SHARDS equal to its
// completions, uses JOB_COMPLETION_INDEX as its shard, writes where the
// merge Job reads, on the claim the recipe creates; its scripts pass
// shellcheck and use no $(NAME) that Kubernetes would expand.
func checkIndexedJob(t *testing.T, docs []map[string]any) {
	t.Helper()
	jobs, claims := map[string]k8sObject{}, map[string]bool{}
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var o k8sObject
		if err := yaml.Unmarshal(b, &o); err != nil {
			t.Fatal(err)
		}
		switch o.Kind {
		case "Job":
			jobs[o.Metadata.Name] = o
		case "PersistentVolumeClaim":
			claims[o.Metadata.Name] = true
		}
	}
	audit, merge := jobs["leakhound-audit"], jobs["leakhound-merge"]
	if audit.Spec.CompletionMode != "Indexed" || audit.Spec.Completions < 1 || audit.Spec.Parallelism < 1 {
		t.Errorf("audit Job: completionMode %q, completions %d, parallelism %d", audit.Spec.CompletionMode, audit.Spec.Completions, audit.Spec.Parallelism)
	}
	env := func(o k8sObject, name string) string {
		for _, c := range o.Spec.Template.Spec.Containers {
			for _, e := range c.Env {
				if e.Name == name {
					return e.Value
				}
			}
		}
		return ""
	}
	if got := env(audit, "SHARDS"); got != fmt.Sprint(audit.Spec.Completions) {
		t.Errorf("SHARDS is %q, completions %d: they must be equal", got, audit.Spec.Completions)
	}
	if env(audit, "REPORTS") == "" || env(audit, "REPORTS") != env(merge, "REPORTS") {
		t.Errorf("the audit writes to %q, the merge reads %q", env(audit, "REPORTS"), env(merge, "REPORTS"))
	}
	for name, job := range map[string]k8sObject{"audit": audit, "merge": merge} {
		for _, v := range job.Spec.Template.Spec.Volumes {
			if c := v.PersistentVolumeClaim.ClaimName; c != "" && !claims[c] {
				t.Errorf("%s Job mounts claim %q, which the recipe does not create", name, c)
			}
		}
		checkJobScript(t, name, job)
	}
	if !strings.Contains(strings.Join(audit.Spec.Template.Spec.Containers[0].Args, "\n"), `--shard "${JOB_COMPLETION_INDEX}/${SHARDS}"`) {
		t.Errorf("the audit Job does not take its shard from JOB_COMPLETION_INDEX")
	}
}

// checkJobScript runs shellcheck on a Job's bash script and checks that
// it has no $(NAME) of a variable the container defines, which Kubernetes
// would replace before bash sees it.
func checkJobScript(t *testing.T, name string, job k8sObject) {
	t.Helper()
	shellcheck := recipeTool(t, "shellcheck", "LEAKHOUND_SHELLCHECK")
	c := job.Spec.Template.Spec.Containers[0]
	if len(c.Args) != 1 {
		t.Fatalf("%s Job: want one script argument, got %d", name, len(c.Args))
	}
	for _, e := range append(c.Env, struct{ Name, Value string }{Name: "JOB_COMPLETION_INDEX"}) {
		if strings.Contains(c.Args[0], "$("+e.Name+")") {
			t.Errorf("%s Job: $(%s) in the script is expanded by Kubernetes, not bash", name, e.Name)
		}
	}
	script := filepath.Join(t.TempDir(), name+".sh")
	if err := os.WriteFile(script, []byte("#!/bin/bash\n"+c.Args[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(shellcheck, "-s", "bash", script).CombinedOutput(); err != nil {
		t.Errorf("shellcheck on the %s Job's script: %v\n%s", name, err, out)
	}
}
