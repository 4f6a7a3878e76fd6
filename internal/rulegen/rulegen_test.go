package rulegen

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/rules"
)

// everything is a configuration that sets every part of a rule set the
// built-in rules may one day use, also those they do not use today.
const everything = `
title = "all of it"

[[allowlists]]
description = "global"
condition = "and"
regex_target = "line"
regexes = ['''^x\d+$''']
paths = ['''(^|/)vendor/''']
stopwords = ["Example"]
commits = ["abc123"]
target_rules = ["tok"]

[[confidence]]
description = "tests"
at_most = "low"
paths = ['''_test\.go$''']
target_rules = ["tok"]

[check]
secrets_dirs = ["secrets"]
dev_secrets = ["dev.env"]
exempt_keys = ["^PUBLIC_"]
[[check.parity]]
reference = "prod.env"
environments = ["staging.env"]
defaults = ["defaults/*.env"]

[[rules]]
id = "tok"
description = "a token\twith a tab, a ` + "`" + ` and \"quotes\""
regex = '''\b(tok_[a-z0-9]{12})\b'''
keywords = ["TOK_"]
entropy = 3.25
min_bits = 40
low_entropy = "fixed prefix"
confidence = "medium"
checksum = "github-crc32"
validate = "base64-userinfo"
path = '''\.go$'''
tags = ["a", "b"]
severity = "critical"
window = 100
skip_report = true
examples = ["tok_a1b2c3d4e5f6"]
negatives = []
example_path = "x.go"
[rules.allowlist]
regexes = ['''^tok_0+$''']
shapes = ["words"]
[[rules.adjust]]
regex_target = "key"
regexes = ['''(?i)test''']
confidence = "low"
[[rules.required]]
id = "other"
within_lines = 2

[[rules]]
id = "other"
regex = '''other_[0-9]+'''
secret_group = 0

[[rules]]
id = "path-only"
path = '''(^|/)id_rsa$'''
`

// TestGeneratedCodeBuildsTheSet compiles the code generated for a set
// that uses every field and runs it: the set it builds must be the one
// the loader read. (The built-in rules are checked the same way, without
// a compiler, by package builtin's tests.)
func TestGeneratedCodeBuildsTheSet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	set, err := rules.Loader{}.Parse([]byte(everything), "everything.toml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := Generate(set, "main", "generated", "everything.toml", "a test")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"regexp.MustCompile(", "rules.CheckedPattern(", "rules.Critical", "&rules.CheckConfig{", "Parity:", "Required:", "Adjusts:"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
	// The generated file and a main that compares its set with the
	// loader's, placed in this module by an overlay: nothing is written
	// to the source tree.
	dir := t.TempDir()
	mainSrc := `package main

import (
	"fmt"
	"os"
	"reflect"

	"github.com/leakhound/leakhound/rules"
)

func main() {
	data, _ := os.ReadFile(os.Args[1])
	want, err := rules.Loader{}.Parse(data, "everything.toml")
	if err != nil {
		panic(err)
	}
	got := generated()
	memo := func(as []rules.Allowlist) {
		for i := range as {
			as[i].Memoize()
		}
	}
	memo(got.Allowlists)
	for _, r := range got.Rules {
		memo(r.Allowlists)
		for i := range r.Adjusts {
			r.Adjusts[i].Memoize()
		}
	}
	fmt.Print(reflect.DeepEqual(got, want))
}
`
	pkgDir, err := filepath.Abs("zz_rulegen_test_program")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"main.go": mainSrc, "generated.go": string(src), "everything.toml": everything}
	replace := map[string]string{}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if name != "everything.toml" {
			replace[filepath.Join(pkgDir, name)] = p
		}
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": replace})
	overlayPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayPath, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "-overlay", overlayPath, "./zz_rulegen_test_program", filepath.Join(dir, "everything.toml"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s\ngenerated:\n%s", err, out, src)
	}
	if string(out) != "true" {
		t.Fatalf("the generated code builds another set than the loader's:\n%s\ngenerated:\n%s", out, src)
	}
}

// TestGenerateRefuses: what cannot be written as Go is an error, not a
// field silently left out.
func TestGenerateRefuses(t *testing.T) {
	set, err := rules.Loader{}.Parse([]byte(everything), "everything.toml")
	if err != nil {
		t.Fatal(err)
	}
	set.Check.Exempt = func(string) bool { return true }
	if _, err := Generate(set, "p", "f", "s", "c"); err == nil || !strings.Contains(err.Error(), "Exempt") {
		t.Errorf("a function in the set: err = %v", err)
	}
}
