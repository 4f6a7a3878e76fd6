package rules

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// parse parses cfg, failing the test on any problem.
func parse(t *testing.T, cfg string) *Set {
	t.Helper()
	set, err := Loader{}.Parse([]byte(cfg), "t.toml")
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return set
}

// problems parses cfg, which must be rejected, and returns its problems.
func problems(t *testing.T, ld Loader, cfg string) ErrorList {
	t.Helper()
	set, err := ld.Parse([]byte(cfg), "t.toml")
	if err == nil {
		t.Fatalf("Parse accepted:\n%s", cfg)
	}
	if set != nil {
		t.Errorf("Parse returned a set along with %v", err)
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v (%T) holds no ErrorList", err, err)
	}
	return list
}

func TestSecretGroup(t *testing.T) {
	tests := []struct {
		name  string
		rule  string
		group int
		err   string // substring of the one expected problem; "" for none
	}{
		{"groups, unset", `regex = 'k=([a-z]+)'`, 1, ""},
		{"no groups, unset", `regex = 'k=[a-z]+'`, 0, ""},
		{"non-capturing only", `regex = 'k=(?:[a-z]+)'`, 0, ""},
		{"named group", `regex = 'k=(?P<s>[a-z]+)'`, 1, ""},
		{"explicit 0 with groups", "regex = 'k=([a-z]+)'\nsecret_group = 0", 0, ""},
		{"explicit 2 of 2", "regex = '(k)=([a-z]+)'\nsecret_group = 2", 2, ""},
		{"3 of 2", "regex = '(k)=([a-z]+)'\nsecret_group = 3", 0, "secret_group 3 but the regex has 2 capture group(s)"},
		{"negative", "regex = '(k)'\nsecret_group = -1", 0, "secret_group -1 but the regex has 1"},
		{"1 without groups", "regex = 'k'\nsecret_group = 1", 0, "secret_group 1 but the regex has 0"},
		{"not an integer", "regex = '(k)'\nsecret_group = 1.5", 0, "secret_group must be an integer, not a number"},
		{"without a regex", "path = 'x'\nsecret_group = 1", 0, "secret_group set on a rule without a regex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := "[[rules]]\nid = \"r\"\n" + tt.rule + "\n"
			if tt.err != "" {
				list := problems(t, Loader{}, cfg)
				if len(list) != 1 || !strings.Contains(list[0].Msg, tt.err) || list[0].Rule != "r" {
					t.Errorf("problems = %v, want one for rule r containing %q", list, tt.err)
				}
				if wantLine := 4; strings.Contains(tt.rule, "secret_group") && list[0].Line != wantLine {
					t.Errorf("line = %d, want %d", list[0].Line, wantLine)
				}
				return
			}
			if got := parse(t, cfg).Rules[0].SecretGroup; got != tt.group {
				t.Errorf("SecretGroup = %d, want %d", got, tt.group)
			}
		})
	}
}

func TestRuleFields(t *testing.T) {
	set := parse(t, `
title = "fields"

[[rules]]
id = "full.rule_1-x"
description = "all fields"
regex = '''(?i)key\s*=\s*([a-z0-9]{8,})'''
keywords = ["KEY", "Token"]
entropy = 3.5
min_bits = 64
path = '''\.env$'''
tags = ["generic", "api"]
severity = "HIGH"
window = 1048576
examples = ["one", "two"]
negatives = ["three"]
example_path = "app/.env"

[[rules]]
id = "defaults"
regex = 'x'

[[rules]]
id = "path-only"
path = '''(^|/)id_rsa$'''
severity = "critical"
`)
	if set.Title != "fields" || set.Source != "t.toml" || len(set.Rules) != 3 {
		t.Fatalf("set = %+v", set)
	}
	r := set.ByID("full.rule_1-x")
	if r == nil {
		t.Fatal("ByID found no rule")
	}
	if r.Description != "all fields" || r.SecretGroup != 1 || r.Entropy != 3.5 || r.MinBits != 64 ||
		r.Severity != High || r.Window != 1<<20 || r.ExamplePath != "app/.env" || r.File != "t.toml" || r.Line != 4 {
		t.Errorf("rule = %+v", r)
	}
	if want := []string{"key", "token"}; !reflect.DeepEqual(r.Keywords, want) {
		t.Errorf("Keywords = %q, want %q (lower-cased)", r.Keywords, want)
	}
	if !reflect.DeepEqual(r.Tags, []string{"generic", "api"}) || len(r.Examples) != 2 || len(r.Negatives) != 1 {
		t.Errorf("Tags %q Examples %q Negatives %q", r.Tags, r.Examples, r.Negatives)
	}
	if r.Path == nil || !r.Path.MatchString("a/.env") {
		t.Errorf("Path = %v", r.Path)
	}
	d := set.ByID("defaults")
	if d.Severity != Medium || d.SecretGroup != 0 || d.Keywords != nil || d.Path != nil || d.Window != 0 || d.Line != 19 {
		t.Errorf("defaults = %+v", d)
	}
	p := set.ByID("path-only")
	if p.Regex != "" || p.Path == nil || !p.Path.MatchString("home/.ssh/id_rsa") || p.Severity != Critical {
		t.Errorf("path-only = %+v", p)
	}
	if set.ByID("nope") != nil {
		t.Error("ByID(nope) != nil")
	}
}

// TestRuleProblems checks each validation on its own: one rule, one
// problem, on the line of the offending key.
func TestRuleProblems(t *testing.T) {
	tests := []struct {
		name string
		body string // after `[[rules]]` on line 1
		line int
		rule string
		err  string
	}{
		{"no id", "regex = 'x'", 1, "", "rule #1 has no id"},
		{"empty id", "id = \"\"\nregex = 'x'", 1, "", "rule #1 has no id"},
		{"id not a string", "id = 5\nregex = 'x'", 2, "", "id must be a string, not an integer"},
		{"bad id", "id = \"a b\"\nregex = 'x'", 2, "a b", "id may contain only"},
		{"neither regex nor path", "id = \"r\"\ndescription = \"d\"", 1, "r", "rule needs a regex, a path, or both"},
		{"empty keyword", "id = \"r\"\nregex = 'x'\nkeywords = [\"a\", \" \"]", 4, "r", "keyword 2 is empty"},
		{"keywords not strings", "id = \"r\"\nregex = 'x'\nkeywords = [\"a\", 1]", 4, "r", "keywords[1] must be a string, not an integer"},
		{"keywords a string", "id = \"r\"\nregex = 'x'\nkeywords = \"a\"", 4, "r", "keywords must be an array of strings, not a string"},
		{"window negative", "id = \"r\"\nregex = 'x'\nwindow = -1", 4, "r", "window -1 outside 0..1048576 bytes"},
		{"window too large", "id = \"r\"\nregex = 'x'\nwindow = 1048577", 4, "r", "window 1048577 outside 0..1048576 bytes"},
		{"window a string", "id = \"r\"\nregex = 'x'\nwindow = \"1k\"", 4, "r", "window must be an integer, not a string"},
		{"entropy above 8", "id = \"r\"\nregex = 'x'\nentropy = 8.5", 4, "r", "entropy 8.50 outside 0..8"},
		{"entropy negative", "id = \"r\"\nregex = 'x'\nentropy = -1", 4, "r", "entropy -1.00 outside 0..8"},
		{"min_bits negative", "id = \"r\"\nregex = 'x'\nmin_bits = -3", 4, "r", "min_bits must not be negative"},
		{"bad path regex", "id = \"r\"\nregex = 'x'\npath = '('", 4, "r", "path does not compile: missing closing )"},
		{"bad regex", "id = \"r\"\nregex = 'a(?<'", 3, "r", "regex does not compile"},
		{"severity", "id = \"r\"\nregex = 'x'\nseverity = \"urgent\"", 4, "r", `severity "urgent" is not one of info, low, medium, high, critical`},
		{"severity type", "id = \"r\"\nregex = 'x'\nseverity = 3", 4, "r", "severity must be a string, not an integer"},
		{"unknown key", "id = \"r\"\nregex = 'x'\nsecretgroup = 1", 4, "r", `unknown key "secretgroup"`},
		{"low_entropy empty", "id = \"r\"\nregex = 'x'\nmin_bits = 64\nlow_entropy = \" \"", 5, "r", "low_entropy must say why"},
		{"low_entropy without min_bits", "id = \"r\"\nregex = 'x'\nlow_entropy = \"hex\"", 4, "r", "low_entropy needs min_bits"},
		{"confidence", "id = \"r\"\nregex = 'x'\nconfidence = \"sure\"", 4, "r", `confidence "sure" is not one of low, medium, high`},
		{"checksum", "id = \"r\"\nregex = 'x'\nchecksum = \"luhn\"", 4, "r", `checksum "luhn" is not one of github-crc32, bitbucket-crc32`},
		{"allowlist not a table", "id = \"r\"\nregex = 'x'\nallowlist = \"x\"", 4, "r", "allowlist must be a table"},
		{"allowlists not tables", "id = \"r\"\nregex = 'x'\nallowlists = [1]", 4, "r", "allowlists must be an array of tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := problems(t, Loader{}, "[[rules]]\n"+tt.body+"\n")
			if len(list) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(list), list)
			}
			e := list[0]
			if e.Line != tt.line || e.Rule != tt.rule || !strings.Contains(e.Msg, tt.err) {
				t.Errorf("problem = line %d rule %q %q; want line %d rule %q containing %q", e.Line, e.Rule, e.Msg, tt.line, tt.rule, tt.err)
			}
		})
	}
}

func TestTopLevelProblems(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		line int
		err  string
	}{
		{"unknown top key", "title = \"t\"\nrule = 1\n", 2, `unknown key "rule"`},
		{"title type", "title = 1\n", 1, "title must be a string"},
		{"rules a table", "[rules]\nid = \"x\"\n", 1, "rules must be an array of tables"},
		{"rules a string", "title = \"t\"\nrules = \"x\"\n", 2, "rules must be an array of tables"},
		{"allowlist a string", "\nallowlist = \"x\"\n", 2, "allowlist must be a table"},
		{"allowlists a table", "[allowlists]\npaths = ['x']\n", 1, "allowlists must be an array of tables"},
		{"extend a string", "extend = \"x\"\n", 1, "extend must be a table"},
		{"extend unknown key", "[extend]\nuse_default = false\nfile = \"x\"\n", 3, `[extend]: unknown key "file"`},
		{"disabled_rules type", "[extend]\ndisabled_rules = \"a\"\n", 2, "disabled_rules must be an array of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := problems(t, Loader{}, tt.cfg)
			if len(list) != 1 || list[0].Line != tt.line || list[0].Rule != "" || !strings.Contains(list[0].Msg, tt.err) {
				t.Errorf("problems = %#v, want one on line %d containing %q", list, tt.line, tt.err)
			}
		})
	}
}

func TestAllowlistForms(t *testing.T) {
	set := parse(t, `
[allowlist]
description = "global table"
paths = ['''^vendor/''']

[[allowlists]]
description = "global array 1"
condition = "AND"
regex_target = "line"
regexes = ['''nosecret''']
paths = ['''_test\.go$''']

[[allowlists]]
description = "global array 2"
stopwords = ["Example", "dummy"]

[[rules]]
id = "table"
regex = '(x)'
  [rules.allowlist]
  description = "rule table"
  regex_target = "match"
  regexes = ['''^a''', '''^b''']

[[rules]]
id = "inline"
regex = '(x)'
allowlist = { description = "rule inline", condition = "or", regex_target = "secret", stopwords = ["Foo"] }

[[rules]]
id = "array"
regex = '(x)'
  [[rules.allowlists]]
  description = "rule array 1"
  paths = ['''^a/''']
  [[rules.allowlists]]
  description = "rule array 2"
  condition = "and"
  regexes = ['''^z''']
  stopwords = ["q"]

[[rules]]
id = "inline-array"
regex = '(x)'
allowlists = [{ description = "rule inline array 1", paths = ['''^c/'''] }, { description = "rule inline array 2", paths = ['''^d/'''] }]

[[rules]]
id = "both"
regex = '(x)'
allowlist = { description = "both 1", paths = ['''^e/'''] }
  [[rules.allowlists]]
  description = "both 2"
  paths = ['''^f/''']
`)
	type al struct {
		Desc      string
		And       bool
		Target    Target
		Regexes   []string
		Stopwords []string
		Paths     []string
	}
	flat := func(as []Allowlist) []al {
		var out []al
		for _, a := range as {
			x := al{Desc: a.Description, And: a.And, Target: a.Target, Stopwords: a.Stopwords}
			for _, re := range a.Regexes {
				x.Regexes = append(x.Regexes, re.String())
			}
			for _, re := range a.Paths {
				x.Paths = append(x.Paths, re.String())
			}
			out = append(out, x)
		}
		return out
	}
	tests := []struct {
		name string
		got  []Allowlist
		want []al
	}{
		{"global", set.Allowlists, []al{
			{Desc: "global table", Paths: []string{`^vendor/`}},
			{Desc: "global array 1", And: true, Target: TargetLine, Regexes: []string{`nosecret`}, Paths: []string{`_test\.go$`}},
			{Desc: "global array 2", Stopwords: []string{"example", "dummy"}},
		}},
		{"rule table", set.ByID("table").Allowlists, []al{
			{Desc: "rule table", Target: TargetMatch, Regexes: []string{`^a`, `^b`}},
		}},
		{"rule inline table", set.ByID("inline").Allowlists, []al{
			{Desc: "rule inline", Target: TargetSecret, Stopwords: []string{"foo"}},
		}},
		{"rule array of tables", set.ByID("array").Allowlists, []al{
			{Desc: "rule array 1", Paths: []string{`^a/`}},
			{Desc: "rule array 2", And: true, Regexes: []string{`^z`}, Stopwords: []string{"q"}},
		}},
		{"rule inline array", set.ByID("inline-array").Allowlists, []al{
			{Desc: "rule inline array 1", Paths: []string{`^c/`}},
			{Desc: "rule inline array 2", Paths: []string{`^d/`}},
		}},
		{"rule both forms", set.ByID("both").Allowlists, []al{
			{Desc: "both 1", Paths: []string{`^e/`}},
			{Desc: "both 2", Paths: []string{`^f/`}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flat(tt.got); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("allowlists =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestInlineRulesArray(t *testing.T) {
	set := parse(t, "rules = [{ id = \"a\", regex = 'a' }, { id = \"b\", path = 'b' }]\n")
	if len(set.Rules) != 2 || set.Rules[0].ID != "a" || set.Rules[1].ID != "b" {
		t.Errorf("rules = %+v", set.Rules)
	}
}

func TestByteOrderMark(t *testing.T) {
	list := problems(t, Loader{}, "\ufeff[[rules]]\nid = \"r\"\nregex = 'x'\nseverity = \"urgent\"\n")
	if len(list) != 1 || list[0].Line != 4 || list[0].Rule != "r" {
		t.Errorf("problems = %v, want one on line 4 for rule r", list)
	}
	if s := parse(t, "\ufeff[[rules]]\nid = \"r\"\nregex = 'x'\n"); s.Rules[0].Line != 1 {
		t.Errorf("rule line = %d, want 1", s.Rules[0].Line)
	}
}

// base is a small default set for [extend] use_default.
func base(t *testing.T) *Set {
	t.Helper()
	return parse(t, `
title = "base"

[[allowlists]]
description = "base global"
paths = ['''^base/''']

[[rules]]
id = "a"
regex = 'a_([0-9]+)'

[[rules]]
id = "b"
regex = 'b_([0-9]+)'

[[rules]]
id = "c"
description = "base c"
regex = 'c_([0-9]+)'
`)
}

func ids(s *Set) []string {
	var out []string
	for _, r := range s.Rules {
		out = append(out, r.ID)
	}
	return out
}

func TestExtendDefault(t *testing.T) {
	calls := 0
	ld := Loader{Default: func() (*Set, error) { calls++; return base(t), nil }}
	set, err := ld.Parse([]byte(`
title = "mine"

[extend]
use_default = true
disabled_rules = ["b", "not-there"]

[[allowlists]]
description = "own global"
paths = ['''^own/''']

[[rules]]
id = "c"
description = "own c"
regex = 'C_([0-9]+)'

[[rules]]
id = "d"
regex = 'd_([0-9]+)'
`), "mine.toml")
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("Default called %d times", calls)
	}
	if got, want := ids(set), []string{"a", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rules = %q, want %q", got, want)
	}
	if c := set.ByID("c"); c.Description != "own c" || c.File != "mine.toml" {
		t.Errorf("override c = %+v, want the extending file's rule", c)
	}
	if a := set.ByID("a"); a.File != "t.toml" {
		t.Errorf("base rule a from %q, want t.toml", a.File)
	}
	if set.Title != "mine" || set.Source != "mine.toml" {
		t.Errorf("Title %q Source %q", set.Title, set.Source)
	}
	var descs []string
	for _, a := range set.Allowlists {
		descs = append(descs, a.Description)
	}
	if want := []string{"base global", "own global"}; !reflect.DeepEqual(descs, want) {
		t.Errorf("allowlists = %q, want %q", descs, want)
	}
}

func TestExtendProblems(t *testing.T) {
	failing := Loader{Default: func() (*Set, error) { return nil, errors.New("default broken") }}
	tests := []struct {
		name string
		ld   Loader
		cfg  string
		err  string
	}{
		{"no default", Loader{}, "[extend]\nuse_default = true\n", "t.toml:1: [extend] use_default: no default configuration available"},
		{"default fails", failing, "[extend]\nuse_default = true\n", "t.toml: [extend]: default broken"},
		{"both", Loader{}, "title = \"x\"\n[extend]\nuse_default = true\npath = \"x.toml\"\n", "t.toml:2: [extend] sets both use_default and path"},
		{"missing file", Loader{}, "[extend]\npath = \"" + filepath.Join(t.TempDir(), "none.toml") + "\"\n", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := tt.ld.Parse([]byte(tt.cfg), "t.toml")
			if set != nil || err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse = %v, %v; want error containing %q", set, err, tt.err)
			}
		})
	}
}

// TestExtendOnlyDisables: an [extend] table without a base only disables.
func TestExtendOnlyDisables(t *testing.T) {
	set := parse(t, "[extend]\ndisabled_rules = [\"x\"]\n[[rules]]\nid = \"x\"\nregex = 'x'\n[[rules]]\nid = \"y\"\nregex = 'y'\n")
	if got := ids(set); !reflect.DeepEqual(got, []string{"y"}) {
		t.Errorf("rules = %q", got)
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExtendPath(t *testing.T) {
	var dir string
	dir = writeFiles(t, map[string]string{
		"grand.toml": "[[rules]]\nid = \"g\"\nregex = 'g'\n[[rules]]\nid = \"shared\"\ndescription = \"grand\"\nregex = 's'\n",
		"base.toml":  "[extend]\npath = \"GRAND\"\n[[rules]]\nid = \"b\"\nregex = 'b'\n[[rules]]\nid = \"shared\"\ndescription = \"base\"\nregex = 's'\n",
	})
	// Paths are absolute: relative ones resolve against the working directory.
	fix := func(name, from, to string) {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), from, to)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fix("base.toml", "GRAND", filepath.Join(dir, "grand.toml"))
	cfg := "[extend]\npath = \"" + filepath.Join(dir, "base.toml") + "\"\ndisabled_rules = [\"g\"]\n[[rules]]\nid = \"own\"\nregex = 'o'\n"
	set, err := Loader{}.Parse([]byte(cfg), "own.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(set), []string{"b", "shared", "own"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rules = %q, want %q", got, want)
	}
	if s := set.ByID("shared"); s.Description != "base" || s.File != filepath.Join(dir, "base.toml") {
		t.Errorf("shared = %+v, want base.toml's", s)
	}
	// LoadFile gives the same result and names the file as the source.
	own := filepath.Join(dir, "own.toml")
	if err := os.WriteFile(own, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	set2, err := Loader{}.LoadFile(own)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids(set2), ids(set)) || set2.Source != own {
		t.Errorf("LoadFile: rules %q source %q", ids(set2), set2.Source)
	}
}

func TestExtendBaseProblem(t *testing.T) {
	dir := writeFiles(t, map[string]string{"base.toml": "[[rules]]\nid = \"b\"\nregex = 'b'\nseverity = \"urgent\"\n"})
	basePath := filepath.Join(dir, "base.toml")
	_, err := Loader{}.Parse([]byte("[extend]\npath = \""+basePath+"\"\n"), "own.toml")
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].File != basePath || list[0].Line != 4 || list[0].Rule != "b" {
		t.Fatalf("error = %v; want the base file's problem on its line 4", err)
	}
	if !strings.HasPrefix(err.Error(), "own.toml: [extend]: ") {
		t.Errorf("error %q does not say which file extended the broken one", err)
	}
}

// TestExtendCycle: a cycle of [extend] paths (and any chain too deep)
// ends with an error, not a hang or a stack overflow.
func TestExtendCycle(t *testing.T) {
	dir := t.TempDir()
	a, b, self := filepath.Join(dir, "a.toml"), filepath.Join(dir, "b.toml"), filepath.Join(dir, "self.toml")
	for p, target := range map[string]string{a: b, b: a, self: self} {
		cfg := "[extend]\npath = \"" + target + "\"\n[[rules]]\nid = \"r\"\nregex = 'r'\n"
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{a, self} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			_, err := Loader{}.LoadFile(p)
			if err == nil || !strings.Contains(err.Error(), "[extend] chain deeper than 4") {
				t.Errorf("error = %v", err)
			}
		})
	}
	// A chain exactly as deep as allowed still loads.
	prev := ""
	for i := range maxExtendDepth {
		p := filepath.Join(dir, "chain"+string(rune('0'+i))+".toml")
		cfg := "[[rules]]\nid = \"r" + string(rune('0'+i)) + "\"\nregex = 'r'\n"
		if prev != "" {
			cfg = "[extend]\npath = \"" + prev + "\"\n" + cfg
		}
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		prev = p
	}
	set, err := Loader{}.LoadFile(prev)
	if err != nil || len(set.Rules) != maxExtendDepth {
		t.Errorf("chain of %d: %v, %v", maxExtendDepth, set, err)
	}
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		name string
		sev  Severity
		ok   bool
	}{{"info", Info, true}, {"LOW", Low, true}, {"Medium", Medium, true}, {"high", High, true}, {"critical", Critical, true}, {"urgent", 0, false}, {"", 0, false}} {
		t.Run(tt.name, func(t *testing.T) {
			sev, ok := ParseSeverity(tt.name)
			if sev != tt.sev || ok != tt.ok {
				t.Errorf("ParseSeverity = %v, %v", sev, ok)
			}
			if ok && sev.String() != strings.ToLower(tt.name) {
				t.Errorf("String() = %q", sev.String())
			}
		})
	}
	if Severity(-1).String() != "unknown" || Severity(5).String() != "unknown" {
		t.Error("out-of-range severity not \"unknown\"")
	}
}

func TestAllowlistEmpty(t *testing.T) {
	if !(&Allowlist{Description: "x", And: true}).Empty() {
		t.Error("allowlist without criteria not Empty")
	}
	if (&Allowlist{Stopwords: []string{"x"}}).Empty() {
		t.Error("allowlist with a stopword Empty")
	}
}

// TestExtendConfinedToRoot pins that a config found in a scanned
// repository cannot make leakhound read files outside that repository.
func TestExtendConfinedToRoot(t *testing.T) {
	outside := t.TempDir()
	root := t.TempDir()
	base := filepath.Join(outside, "base.toml")
	if err := os.WriteFile(base, []byte("title = \"outside\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(root, "base.toml")
	if err := os.WriteFile(inside, []byte("title = \"inside\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, extend string
		ok           bool
	}{
		{"relative inside", "base.toml", true},
		{"absolute outside", base, false},
		{"dot-dot outside", filepath.Join("..", filepath.Base(outside), "base.toml"), false},
		{"device", "/dev/zero", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(root, ".leakhound.toml")
			if err := os.WriteFile(cfg, []byte("[extend]\npath = '''"+tt.extend+"'''\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Loader{Root: root}.LoadFile(cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	// Without a root (a config the user named), a device is still refused.
	cfg := filepath.Join(outside, "c.toml")
	os.WriteFile(cfg, []byte("[extend]\npath = '/dev/zero'\n"), 0o600)
	if _, err := (Loader{}).LoadFile(cfg); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err = %v, want a refusal to read a device", err)
	}
}

// TestLowEntropyExemptions: a top-level [[low_entropy]] entry exempts a rule
// of the configuration, its own or inherited, and every bad entry is
// reported at once.
func TestLowEntropyExemptions(t *testing.T) {
	base := "[[rules]]\nid = \"vendor\"\nregex = 'v_[0-9]{20}'\nentropy = 3.5\n"
	set := parse(t, base+"\n[[low_entropy]]\nrule = \"vendor\"\nreason = \"decimal by design\"\nmin_bits = 60\n")
	if r := set.ByID("vendor"); r.LowEntropy != "decimal by design" || r.MinBits != 60 {
		t.Errorf("exemption not applied: %+v", r)
	}
	ld := Loader{Default: func() (*Set, error) { return Loader{}.Parse([]byte(base), "default.toml") }}
	ext := "[extend]\nuse_default = true\n[[low_entropy]]\nrule = \"vendor\"\nreason = \"ours\"\nmin_bits = 50\n"
	set, err := ld.Parse([]byte(ext), "user.toml")
	if err != nil {
		t.Fatal(err)
	}
	if r := set.ByID("vendor"); r.LowEntropy != "ours" {
		t.Errorf("inherited rule not exempted: %+v", r)
	}
	if again, _ := ld.Default(); again.ByID("vendor").LowEntropy != "" {
		t.Errorf("exempting an inherited rule changed the base set")
	}
	list := problems(t, Loader{}, base+`
[[low_entropy]]
rule = "nope"
reason = "x"
min_bits = 10

[[low_entropy]]
rule = "vendor"

[[low_entropy]]
rule = "vendor"
reason = "no bits"
`)
	var msgs []string
	for _, e := range list {
		msgs = append(msgs, e.Msg)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{"must give a reason"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q lack %q", got, want)
		}
	}
	// Entries that are well-formed but do not fit the rules are checked
	// once the configuration is merged, all together.
	list = problems(t, Loader{}, base+`
[[low_entropy]]
rule = "nope"
reason = "x"
min_bits = 10

[[low_entropy]]
rule = "vendor"
reason = "no bits"
`)
	if len(list) != 2 || !strings.Contains(list[0].Msg, "names no rule") || !strings.Contains(list[1].Msg, "needs min_bits") {
		t.Errorf("problems = %v, want an unknown rule and a missing min_bits", list)
	}
}

// TestValidID: the loop accepts exactly what the pattern it replaced,
// ^[A-Za-z0-9][A-Za-z0-9._-]*$, accepts.
func TestValidID(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	ids := []string{"", "a", "Z9", "aws-access-key-id", "a.b_c-d", "-a", ".a", "_a", "a b", "a/b", "a\n", "é", "aé", "a-", "9", "a..", "a$"}
	for c := 0; c < 256; c++ {
		ids = append(ids, string(rune(c)), "a"+string([]byte{byte(c)}), string([]byte{byte(c)})+"a")
	}
	for _, id := range ids {
		if got, want := validID(id), re.MatchString(id); got != want {
			t.Errorf("validID(%q) = %v, want %v", id, got, want)
		}
	}
}
