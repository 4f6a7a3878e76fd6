package rules

import (
	"strings"
	"testing"
)

// TestLineIndex checks that text inside strings (multi-line ones above
// all) and arrays spanning lines never passes for a table header or a key.
func TestLineIndex(t *testing.T) {
	const cfg = `title = "lines" # line 1
description = '''
[[rules]]
id = "fake-1"
'''
[[rules]] # rule 0, line 6
id = "r0"
description = """
[[rules]]
regex = "not this one" \"""
id = "fake-2"
"""
regex = 'x' # line 13
examples = [
  '''
[[rules]]
keywords = ["no"]
''',
  "secret_group = 2",
  """a = 1""", 'severity = "low"',
  ["[[rules]]"],
]
keywords = ["k"] # line 23
tags = ["''' not a string start", "\"\"\"", '"""'] # line 24
entropy = 3 # line 25

[[ rules ]]  # rule 1, line 27
"id" = "r1"
'regex' = '#' # line 29
  [rules.allowlist] # line 30
  paths = ['a'] # line 31
  [[rules.allowlists]] # line 32
  regexes = ["b"] # line 33
  [[rules.allowlists]] # line 34
  description = "second"
  regexes = [ # line 36
    "c",
  ]
  [[rules.allowlists]] # line 39

[[allowlists]] # line 41
paths = ['x'] # line 42
[[allowlists]] # line 43
paths = ['y'] # line 44

[extend] # line 46
path = "p" # line 47

[[rules]] # rule 2, line 49
id = "r2"
allowlist.paths = ["z"] # line 51
secret_group = 1 # line 52
`
	if _, err := (Loader{}).Parse([]byte(cfg), "lines.toml"); err == nil || strings.Contains(err.Error(), "TOML syntax") {
		t.Fatalf("the test input must be valid TOML (with other problems): %v", err)
	}
	ix := newLineIndex([]byte(cfg))
	if got, want := ix.ruleStart, []int{6, 27, 49}; !equalInts(got, want) {
		t.Fatalf("ruleStart = %v, want %v", got, want)
	}
	rules := []struct {
		rule int
		key  string
		line int
	}{
		{0, "", 6},
		{0, "id", 7},
		{0, "description", 8},
		{0, "regex", 13},
		{0, "examples", 14},
		{0, "keywords", 23},
		{0, "tags", 24},
		{0, "entropy", 25},
		{0, "secret_group", 6}, // only inside strings: falls back to the header
		{0, "severity", 6},
		{1, "id", 28},
		{1, "regex", 29},
		{1, "allowlist", 30},
		{1, "allowlist.paths", 31},
		{1, "allowlist.", 30},
		{1, "allowlists", 32},
		{1, "allowlists.0", 32},
		{1, "allowlists.0.regexes", 33},
		{1, "allowlists.1", 34},
		{1, "allowlists.1.regexes", 36},
		{1, "allowlists.1.paths", 34},
		{1, "allowlists.2.regexes", 39},
		{1, "tags", 27},
		{2, "allowlist.paths", 51},
		{2, "allowlist.regexes", 51},
		{2, "secret_group", 52},
		{3, "id", 0},
		{-1, "id", 0},
	}
	for _, tt := range rules {
		if got := ix.rule(tt.rule, tt.key); got != tt.line {
			t.Errorf("rule(%d, %q) = %d, want %d", tt.rule, tt.key, got, tt.line)
		}
	}
	top := []struct {
		table, key string
		line       int
	}{
		{"", "title", 1},
		{"", "description", 2},
		{"", "id", 0},
		{"allowlists", "", 41},
		{"", "allowlists", 41},
		{"allowlists.0", "paths", 42},
		{"allowlists.1", "paths", 44},
		{"allowlists.1", "regexes", 43},
		{"extend", "", 46},
		{"extend", "path", 47},
		{"extend", "use_default", 46},
	}
	for _, tt := range top {
		if got := ix.key(tt.table, tt.key); got != tt.line {
			t.Errorf("key(%q, %q) = %d, want %d", tt.table, tt.key, got, tt.line)
		}
	}
}

func TestLineIndexCRLF(t *testing.T) {
	cfg := strings.ReplaceAll("[[rules]]\nid = 'a'\ndescription = '''\n[[rules]]\n'''\nregex = 'x'\n[[rules]]\nid = 'b'\n", "\n", "\r\n")
	ix := newLineIndex([]byte(cfg))
	if !equalInts(ix.ruleStart, []int{1, 7}) || ix.rule(0, "regex") != 6 || ix.rule(1, "id") != 8 {
		t.Errorf("ruleStart %v regex %d id %d", ix.ruleStart, ix.rule(0, "regex"), ix.rule(1, "id"))
	}
}

// TestLineIndexMultilineRuleLines runs the index through Parse: rules
// after multi-line strings keep their own header lines.
func TestLineIndexMultilineRuleLines(t *testing.T) {
	set := parse(t, `[[rules]]
id = "a"
regex = '''
a
[[rules]]
id = "fake"
'''
examples = [
  """
[[rules]]
""",
]

[[rules]]
id = "b"
regex = "b"
`)
	if len(set.Rules) != 2 || set.Rules[0].Line != 1 || set.Rules[1].Line != 14 {
		for _, r := range set.Rules {
			t.Errorf("rule %q on line %d", r.ID, r.Line)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
