package filter

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
	"github.com/leakhound/leakhound/rules"
)

// Fake secrets are built at run time so that this file, which the
// self-scan reads, holds none literally.
var secret = "tok_" + "abc123" + "EXAMPLE9xyz"

func finding() detect.Finding {
	return detect.Finding{
		RuleID: "tok", Secret: secret, Match: "key = " + secret,
		Line:      "key = " + secret + " // test fixture",
		StartLine: 7, Start: 100, End: 100 + len(secret),
		Provenance: detect.Provenance{Path: "src/app/config_test.go"},
	}
}

func res(exprs ...string) []*rules.Pattern {
	var out []*rules.Pattern
	for _, e := range exprs {
		out = append(out, rules.MustPattern(e))
	}
	return out
}

func TestAllowed(t *testing.T) {
	const (
		hit     = `abc123`        // in the secret
		miss    = `^nope$`        // nowhere
		inMatch = `^key = `       // in the match only
		inLine  = `test fixture$` // in the line only
	)
	tests := []struct {
		name string
		a    rules.Allowlist
		want bool
	}{
		{"empty or", rules.Allowlist{}, false},
		{"empty and", rules.Allowlist{And: true}, false},

		{"regex on secret", rules.Allowlist{Regexes: res(hit)}, true},
		{"regex misses", rules.Allowlist{Regexes: res(miss)}, false},
		{"second regex hits", rules.Allowlist{Regexes: res(miss, hit)}, true},
		{"match regex, target secret", rules.Allowlist{Regexes: res(inMatch)}, false},
		{"match regex, target match", rules.Allowlist{Target: rules.TargetMatch, Regexes: res(inMatch)}, true},
		{"line regex, target match", rules.Allowlist{Target: rules.TargetMatch, Regexes: res(inLine)}, false},
		{"line regex, target line", rules.Allowlist{Target: rules.TargetLine, Regexes: res(inLine)}, true},
		{"secret regex, target line", rules.Allowlist{Target: rules.TargetLine, Regexes: res(hit)}, true},
		{"anchored secret regex, target match", rules.Allowlist{Target: rules.TargetMatch, Regexes: res(`^tok_`)}, false},

		{"stopword, any case", rules.Allowlist{Stopwords: []string{"example"}}, true},
		{"stopword only in line", rules.Allowlist{Stopwords: []string{"fixture"}}, false},
		{"stopwords miss", rules.Allowlist{Stopwords: []string{"dummy", "sample"}}, false},

		{"path", rules.Allowlist{Paths: res(`_test\.go$`)}, true},
		{"second path", rules.Allowlist{Paths: res(`^vendor/`, `^src/`)}, true},
		{"path misses", rules.Allowlist{Paths: res(`^vendor/`)}, false},

		{"or: regex misses, path hits", rules.Allowlist{Regexes: res(miss), Paths: res(`^src/`)}, true},
		{"or: stopword hits, path misses", rules.Allowlist{Stopwords: []string{"example"}, Paths: res(`^vendor/`)}, true},
		{"or: all miss", rules.Allowlist{Regexes: res(miss), Stopwords: []string{"dummy"}, Paths: res(`^vendor/`)}, false},

		{"and: regex and path hit", rules.Allowlist{And: true, Regexes: res(hit), Paths: res(`^src/`)}, true},
		{"and: regex hits, path misses", rules.Allowlist{And: true, Regexes: res(hit), Paths: res(`^vendor/`)}, false},
		{"and: regex misses, path hits", rules.Allowlist{And: true, Regexes: res(miss), Paths: res(`^src/`)}, false},
		{"and: stopword and path hit, regex misses", rules.Allowlist{And: true, Regexes: res(miss), Stopwords: []string{"example"}, Paths: res(`^src/`)}, false},
		{"and: all three hit", rules.Allowlist{And: true, Regexes: res(hit), Stopwords: []string{"example"}, Paths: res(`^src/`)}, true},
		{"and: path only", rules.Allowlist{And: true, Paths: res(`^src/`)}, true},
		{"and: line regex and stopword", rules.Allowlist{And: true, Target: rules.TargetLine, Regexes: res(inLine), Stopwords: []string{"example"}}, true},
		{"and: line regex on match target", rules.Allowlist{And: true, Target: rules.TargetMatch, Regexes: res(inLine), Stopwords: []string{"example"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := finding()
			if got := Allowed(&tt.a, &f); got != tt.want {
				t.Errorf("Allowed = %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(f, finding()) {
				t.Error("Allowed changed the finding")
			}
		})
	}
}

func TestInline(t *testing.T) {
	tests := []struct {
		line string
		drop bool
		why  string
	}{
		{"key = X // leakhound:allow", true, "line carries leakhound:allow"},
		{"key = X # gitleaks:allow", true, "line carries gitleaks:allow"},
		{"/* leakhound:allow */ key = X", true, "line carries leakhound:allow"},
		{"key = X\nnext line gitleaks:allow", true, "line carries gitleaks:allow"},
		{"key = X // LEAKHOUND:ALLOW", false, ""},
		{"key = X // leakhound: allow", false, ""},
		{"key = X // allow", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			f := finding()
			f.Line = tt.line
			drop, why := Inline{}.Drop(&f)
			if drop != tt.drop || why != tt.why {
				t.Errorf("Drop = %v, %q; want %v, %q", drop, why, tt.drop, tt.why)
			}
		})
	}
	// The marker must be on the finding's line, not only in its match.
	f := finding()
	f.Match, f.Line = "leakhound:allow", "key = X"
	if drop, _ := (Inline{}).Drop(&f); drop {
		t.Error("dropped on a marker outside the line")
	}
}

const chainTOML = `
[[allowlists]]
description = "vendored code"
paths = ['''^vendor/''']

[[rules]]
id = "tok"
regex = '''(tok_[a-z0-9A-Z]+)'''
  [[rules.allowlists]]
  description = "documentation examples"
  stopwords = ["EXAMPLE"]

[[rules]]
id = "other"
regex = '''(oth_[a-z0-9]+)'''

[[rules]]
id = "generic-kv"
regex = '''key = (\S+)'''
tags = ["generic"]
`

func TestRuleAllowlists(t *testing.T) {
	st := NewRuleAllowlists(testkit.Set(t, chainTOML))
	if st.Name() != "rule-allowlist" {
		t.Errorf("Name = %q", st.Name())
	}
	f := finding()
	if drop, why := st.Drop(&f); !drop || why != "rule allowlist: documentation examples" {
		t.Errorf("Drop = %v, %q", drop, why)
	}
	f.RuleID = "other" // another rule's allowlist does not apply
	if drop, _ := st.Drop(&f); drop {
		t.Error("dropped by another rule's allowlist")
	}
	f.RuleID = "unknown"
	if drop, _ := st.Drop(&f); drop {
		t.Error("dropped a finding of a rule without allowlists")
	}
	// Without a description the reason still names the stage kind.
	s := &rules.Set{Rules: []*rules.Rule{{ID: "tok", Allowlists: []rules.Allowlist{{Paths: res(`.`)}}}}}
	f = finding()
	if drop, why := NewRuleAllowlists(s).Drop(&f); !drop || why != "rule allowlist" {
		t.Errorf("Drop = %v, %q", drop, why)
	}
}

func TestGlobal(t *testing.T) {
	g := NewGlobal(testkit.Set(t, chainTOML))
	if g.Name() != "global-allowlist" {
		t.Errorf("Name = %q", g.Name())
	}
	f := finding()
	if drop, _ := g.Drop(&f); drop {
		t.Error("dropped outside vendor/")
	}
	f.Path = "vendor/lib/x.go"
	if drop, why := g.Drop(&f); !drop || why != "global allowlist: vendored code" {
		t.Errorf("Drop = %v, %q", drop, why)
	}
	if drop, _ := NewGlobal(&rules.Set{}).Drop(&f); drop {
		t.Error("empty global allowlist dropped a finding")
	}
}

func TestSkipsPath(t *testing.T) {
	vendor := res(`^vendor/`)
	tests := []struct {
		name  string
		lists []rules.Allowlist
		path  string
		want  bool
	}{
		{"none", nil, "vendor/a", false},
		{"or, paths only", []rules.Allowlist{{Paths: vendor}}, "vendor/a", true},
		{"or, paths only, no match", []rules.Allowlist{{Paths: vendor}}, "src/a", false},
		{"or, paths and regexes", []rules.Allowlist{{Paths: vendor, Regexes: res(`x`)}}, "vendor/a", true},
		{"or, paths and stopwords", []rules.Allowlist{{Paths: vendor, Stopwords: []string{"x"}}}, "vendor/a", true},
		{"and, paths only", []rules.Allowlist{{And: true, Paths: vendor}}, "vendor/a", true},
		{"and, paths and regexes", []rules.Allowlist{{And: true, Paths: vendor, Regexes: res(`x`)}}, "vendor/a", false},
		{"and, paths and stopwords", []rules.Allowlist{{And: true, Paths: vendor, Stopwords: []string{"x"}}}, "vendor/a", false},
		{"regexes only", []rules.Allowlist{{Regexes: res(`.`)}}, "vendor/a", false},
		{"stopwords only", []rules.Allowlist{{Stopwords: []string{"v"}}}, "vendor/a", false},
		{"second list", []rules.Allowlist{{And: true, Paths: vendor, Regexes: res(`x`)}, {Paths: res(`\.lock$`)}}, "go.lock", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGlobal(&rules.Set{Allowlists: tt.lists})
			if got := g.SkipsPath(tt.path); got != tt.want {
				t.Errorf("SkipsPath(%q) = %v, want %v", tt.path, got, tt.want)
			}
			// Skipping a path is only sound if every finding there is dropped.
			if tt.want {
				f := finding()
				f.Path = tt.path
				f.Secret, f.Match, f.Line = "zzz", "zzz", "zzz"
				if drop, _ := g.Drop(&f); !drop {
					t.Error("SkipsPath but Drop keeps a finding there")
				}
			}
		})
	}
}

// candidate builds a finding with its own secret, for chain tests.
func candidate(rule, body string, start int, path string, tags ...string) detect.Finding {
	s := "tok_" + body
	if rule == "other" {
		s = "oth_" + body
	}
	return detect.Finding{
		RuleID: rule, Secret: s, Match: "key = " + s, Line: "key = " + s,
		StartLine: start/10 + 1, Start: start, End: start + len(s), Tags: tags,
		Fingerprint: path + ":" + rule + ":" + body,
		Provenance:  detect.Provenance{Path: path},
	}
}

func TestChain(t *testing.T) {
	s := testkit.Set(t, chainTOML)
	ig, err := ParseIgnore(strings.NewReader("src/ignored.go:tok:k1ignored\n"))
	if err != nil {
		t.Fatal(err)
	}
	var drops []Drop
	var mu sync.Mutex
	c := NewChain(func(d Drop) { mu.Lock(); drops = append(drops, d); mu.Unlock() },
		Inline{}, NewRuleAllowlists(s), NewGlobal(s), ig)

	inline := candidate("tok", "a1inlineEXAMPLE", 0, "src/a.go") // also matches the rule allowlist
	inline.Line += " // leakhound:allow"
	keep := candidate("tok", "b2keep", 20, "src/a.go")
	dup := candidate("tok", "b2keep", 20, "src/a.go")
	generic := candidate("generic-kv", "b2keepmore", 18, "src/a.go", "generic")
	other := candidate("other", "c3other", 22, "src/a.go") // overlaps keep, not generic: kept
	in := []detect.Finding{
		inline,
		candidate("tok", "d4EXAMPLE", 10, "src/a.go"),
		generic,
		keep,
		dup,
		other,
		candidate("tok", "e5vendored", 40, "vendor/x.go"),
		candidate("tok", "k1ignored", 50, "src/ignored.go"),
	}
	secrets := map[string]bool{}
	for _, f := range in {
		secrets[f.Secret] = true
	}
	got := c.Apply(in)
	var kept []string
	for _, f := range got {
		kept = append(kept, f.Secret)
	}
	if want := []string{keep.Secret, other.Secret}; !reflect.DeepEqual(kept, want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
	wantCounts := []Count{{"dedup", 2}, {"inline-allow", 1}, {"rule-allowlist", 1}, {"global-allowlist", 1}, {"ignore-file", 1}}
	if got := c.Counts(); !reflect.DeepEqual(got, wantCounts) {
		t.Errorf("Counts = %v, want %v", got, wantCounts)
	}
	// Overlaps are resolved first (DESIGN §5).
	wantDrops := []Drop{
		{Stage: "dedup", Reason: "overlaps a more specific finding", RuleID: "generic-kv", Path: "src/a.go", Line: 2},
		{Stage: "dedup", Reason: "repeats a finding of the same rule at the same place", RuleID: "tok", Path: "src/a.go", Line: 3},
		{Stage: "inline-allow", Reason: "line carries leakhound:allow", RuleID: "tok", Path: "src/a.go", Line: 1},
		{Stage: "rule-allowlist", Reason: "rule allowlist: documentation examples", RuleID: "tok", Path: "src/a.go", Line: 2},
		{Stage: "global-allowlist", Reason: "global allowlist: vendored code", RuleID: "tok", Path: "vendor/x.go", Line: 5},
		{Stage: "ignore-file", Reason: "fingerprint listed in ignore file", RuleID: "tok", Path: "src/ignored.go", Line: 6},
	}
	if !reflect.DeepEqual(drops, wantDrops) {
		t.Errorf("explained\n%+v\nwant\n%+v", drops, wantDrops)
	}
	for _, d := range drops {
		text := fmt.Sprintf("%+v", d)
		for s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("explanation shows a secret: %s", text)
			}
		}
	}
}

func TestChainWithoutExplain(t *testing.T) {
	c := NewChain(nil, Inline{})
	f := finding()
	f.Line += " gitleaks:allow"
	if got := c.Apply([]detect.Finding{f, f}); len(got) != 0 {
		t.Errorf("kept %d", len(got))
	}
	if got := c.Apply(nil); len(got) != 0 {
		t.Errorf("Apply(nil) = %v", got)
	}
	// The repeat is resolved first, so the allow comment drops one finding.
	if got := c.Counts(); !reflect.DeepEqual(got, []Count{{"dedup", 1}, {"inline-allow", 1}}) {
		t.Errorf("Counts = %v", got)
	}
}

// TestChainConcurrent: one chain serves every worker; counts add up (run
// with -race).
func TestChainConcurrent(t *testing.T) {
	var mu sync.Mutex
	explained := 0
	c := NewChain(func(Drop) { mu.Lock(); explained++; mu.Unlock() }, Inline{})
	const workers, rounds = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				allowed := candidate("tok", "x", 0, "a")
				allowed.Line += " leakhound:allow"
				k := candidate("tok", fmt.Sprint(w, r), 30, "a")
				if got := c.Apply([]detect.Finding{allowed, k, k}); len(got) != 1 {
					t.Errorf("kept %d", len(got))
				}
			}
		}()
	}
	wg.Wait()
	want := []Count{{"dedup", workers * rounds}, {"inline-allow", workers * rounds}}
	if got := c.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Counts = %v, want %v", got, want)
	}
	if explained != 2*workers*rounds {
		t.Errorf("explained %d drops", explained)
	}
}

func TestDedupe(t *testing.T) {
	type f struct {
		rule       string
		start, end int
		generic    bool
	}
	tests := []struct {
		name string
		in   []f
		kept []int // indexes of in that survive
	}{
		{"one", []f{{"a", 0, 5, false}}, []int{0}},
		{"same rule, same start", []f{{"a", 0, 5, false}, {"a", 0, 8, false}}, []int{0}},
		{"same rule, overlapping, other start", []f{{"a", 0, 5, false}, {"a", 3, 8, false}}, []int{0, 1}},
		{"same rule, apart", []f{{"a", 0, 5, false}, {"a", 5, 9, false}}, []int{0, 1}},
		{"generic first overlaps specific", []f{{"g", 0, 10, true}, {"s", 4, 8, false}}, []int{1}},
		{"specific first overlaps generic", []f{{"s", 0, 10, false}, {"g", 4, 12, true}}, []int{0}},
		{"generic over two specifics", []f{{"g", 0, 20, true}, {"s1", 2, 5, false}, {"s2", 10, 15, false}}, []int{1, 2}},
		{"generic next to specific", []f{{"s", 0, 5, false}, {"g", 5, 9, true}}, []int{0, 1}},
		{"two specifics overlapping", []f{{"s1", 0, 10, false}, {"s2", 5, 15, false}}, []int{0, 1}},
		{"two specifics, same span", []f{{"s1", 0, 10, false}, {"s2", 0, 10, false}}, []int{0, 1}},
		{"two generics, same span", []f{{"g1", 0, 10, true}, {"g2", 0, 10, true}}, []int{0}},
		{"two generics overlapping", []f{{"g1", 0, 10, true}, {"g2", 5, 15, true}}, []int{0, 1}},
		{"path-only twice", []f{{"p", 0, 0, false}, {"p", 0, 0, false}}, []int{0}},
		{"path-only and a finding at 0", []f{{"p", 0, 0, false}, {"s", 0, 5, false}}, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []detect.Finding
			for i, x := range tt.in {
				d := detect.Finding{RuleID: x.rule, Start: x.start, End: x.end, StartLine: i + 1}
				if x.generic {
					d.Tags = []string{"api", "generic"}
				}
				in = append(in, d)
			}
			var reasons []string
			c := NewChain(func(d Drop) {
				if d.Stage != "dedup" {
					t.Errorf("drop from stage %q", d.Stage)
				}
				reasons = append(reasons, d.Reason)
			})
			got := c.Apply(in)
			var kept []int
			for _, g := range got {
				kept = append(kept, g.StartLine-1)
			}
			if !reflect.DeepEqual(kept, tt.kept) {
				t.Errorf("kept %v, want %v", kept, tt.kept)
			}
			dropped := len(tt.in) - len(tt.kept)
			if n := c.Counts()[0].Dropped; n != int64(dropped) || len(reasons) != dropped {
				t.Errorf("dedup count %d, explained %d, want %d", n, len(reasons), dropped)
			}
		})
	}
}

// TestConfigToChain runs the filters built from a parsed configuration:
// the loader lower-cases stopwords, the filter compares them with the
// lower-cased secret, and every allowlist form takes effect.
func TestConfigToChain(t *testing.T) {
	s := testkit.Set(t, `
[allowlist]
regex_target = "line"
regexes = ['''nosecret''']

[[rules]]
id = "tok"
regex = '''(tok_\w+)'''
allowlist = { stopwords = ["Dummy"] }
  [[rules.allowlists]]
  condition = "and"
  regex_target = "match"
  regexes = ['''^key = ''']
  paths = ['''(^|/)fixtures/''']
`)
	c := NewChain(nil, NewRuleAllowlists(s), NewGlobal(s))
	mk := func(body, path, line string) detect.Finding {
		f := candidate("tok", body, 0, path)
		if line != "" {
			f.Line = line
		}
		return f
	}
	tests := []struct {
		name string
		f    detect.Finding
		drop bool
	}{
		{"stopword", mk("abcDUMMYdef", "a.go", ""), true},
		{"and: match regex in fixtures", mk("abc", "test/fixtures/x", ""), true},
		{"and: match regex elsewhere", mk("abc", "src/x", ""), false},
		{"global line regex", mk("abc", "src/x", "key = tok_abc // nosecret"), true},
		{"nothing", mk("abc", "src/x", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(c.Apply([]detect.Finding{tt.f})) == 0; got != tt.drop {
				t.Errorf("dropped = %v, want %v", got, tt.drop)
			}
		})
	}
}

// TestSuppressionHoldsForTheSecret: an ignored fingerprint, a baseline
// entry or an allow comment names a secret, and holds whichever rule
// reports it today; rule allowlists and the confidence threshold judge one
// rule's match, and a specific rule's verdict covers the generic finding
// it stands for, never the other way round.
func TestSuppressionHoldsForTheSecret(t *testing.T) {
	const path = "src/a.go"
	mk := func(rule, secret string, start int, tags ...string) detect.Finding {
		f := detect.Finding{RuleID: rule, Secret: secret, Match: "key = " + secret, Line: "key = " + secret,
			StartLine: 1, Start: start, End: start + len(secret), Tags: tags, Confidence: rules.ConfidenceHigh,
			Provenance: detect.Provenance{Path: path}}
		f.Fingerprint = detect.Fingerprint(&f)
		return f
	}
	val := "tok_" + "q7Zr2mKp9XwL4sVb"
	specific := func() detect.Finding { return mk("tok", val, 6) }
	generic := func() detect.Finding { return mk("generic-kv", val, 6, "generic") }
	other := func() detect.Finding { return mk("other", val, 6) } // a second specific rule, same bytes
	decoded := func() detect.Finding {                            // the same bytes, read as an encoding
		f := mk("other", "user:"+"Zr2mKp9XwL4s", 6)
		f.End = 6 + len(val)
		return f
	}
	ignoreOf := func(f detect.Finding) Stage {
		ig, err := ParseIgnore(strings.NewReader(f.Fingerprint + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		return ig
	}
	gitleaksIgnoreOf := func(f detect.Finding) Stage {
		ig, err := ParseIgnore(strings.NewReader(fmt.Sprintf("%s:%s:%d\n", f.Path, f.RuleID, f.StartLine)))
		if err != nil {
			t.Fatal(err)
		}
		return ig
	}
	baselineOf := func(f detect.Finding) Stage {
		b, err := ParseBaseline([]byte(fmt.Sprintf(`[{"rule_id":%q,"file":%q,"fingerprint":%q}]`, f.RuleID, f.Path, f.Fingerprint)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	set := testkit.Set(t, chainTOML+`
[[rules]]
id = "generic-stop"
regex = '''key = (\S+)'''
tags = ["generic"]
allowlist = { stopwords = ["q7zr"] }
`)
	globals := testkit.Set(t, `
[[allowlists]]
regexes = ['''^`+val+`$''']

[[allowlists]]
target_rules = ["generic-kv"]
regexes = ['''^`+val+`Q$''']
`)
	builtin := NewGlobal(globals)
	builtin.Builtin = globals.Allowlists[0].File
	tests := []struct {
		name  string
		stage Stage
		in    []detect.Finding
		kept  []string // rule ids left
	}{
		{"ignore the specific finding: the generic one does not come back", ignoreOf(specific()), []detect.Finding{specific(), generic()}, nil},
		{"ignore the generic finding of an older report: the specific one is suppressed too", ignoreOf(generic()), []detect.Finding{generic(), specific()}, nil},
		{"ignore one specific rule: a second specific rule on the same bytes is suppressed", ignoreOf(specific()), []detect.Finding{specific(), other()}, nil},
		{"ignore the second specific rule", ignoreOf(other()), []detect.Finding{specific(), other(), generic()}, nil},
		{"gitleaks fingerprint of the generic rule", gitleaksIgnoreOf(generic()), []detect.Finding{specific(), generic()}, nil},
		{"baseline holds the specific finding", baselineOf(specific()), []detect.Finding{specific(), generic()}, nil},
		{"baseline holds the generic finding", baselineOf(generic()), []detect.Finding{specific(), generic()}, nil},
		{"baseline holds another secret", baselineOf(mk("tok", "tok_"+"elsewhere1", 6)), []detect.Finding{specific(), generic()}, []string{"tok"}},
		{"a specific rule's allowlist covers the generic finding", NewRuleAllowlists(set), []detect.Finding{mk("tok", val+"EXAMPLE", 6), mk("generic-kv", val+"EXAMPLE", 6, "generic")}, nil},
		{"a generic rule's allowlist never drops a specific finding", NewRuleAllowlists(set), []detect.Finding{specific(), mk("generic-stop", val, 6, "generic")}, []string{"tok"}},
		{"a rule allowlist holds for its rule only", NewRuleAllowlists(set), []detect.Finding{mk("tok", val+"EXAMPLE", 6), mk("other", val+"EXAMPLE", 6)}, []string{"other"}},
		{"the confidence threshold judges each finding", MinConfidence(rules.ConfidenceMedium), []detect.Finding{func() detect.Finding { f := specific(); f.Confidence = rules.ConfidenceLow; return f }(), other()}, []string{"other"}},
		{"a global allowlist on the value holds under every rule", NewGlobal(globals), []detect.Finding{specific(), other()}, nil},
		{"a global allowlist on the value holds for the same bytes decoded", NewGlobal(globals), []detect.Finding{specific(), decoded()}, nil},
		{"a global allowlist on the value, absorbed generic finding", NewGlobal(globals), []detect.Finding{mk("generic-kv", val, 6, "generic"), decoded()}, nil},
		{"a global allowlist on the value leaves a longer match of other bytes", NewGlobal(globals), []detect.Finding{specific(), mk("other", val+"Z9", 6)}, []string{"other"}},
		{"a built-in allowlist naming a generic rule never drops a specific finding", builtin, []detect.Finding{mk("tok", val+"Q", 6), mk("generic-kv", val+"Q", 6, "generic")}, []string{"tok"}},
		{"a user's allowlist naming the generic rule of an older report holds for the secret", NewGlobal(globals), []detect.Finding{mk("tok", val+"Q", 6), mk("generic-kv", val+"Q", 6, "generic")}, nil},
		{"a built-in allowlist naming one generic rule leaves another to judge", builtin, []detect.Finding{mk("generic-kv", val+"Q", 6, "generic"), mk("generic-stop", val+"Q", 6, "generic")}, []string{"generic-stop"}},
		{"a user's allowlist naming one generic rule holds for another on the same bytes", NewGlobal(globals), []detect.Finding{mk("generic-kv", val+"Q", 6, "generic"), mk("generic-stop", val+"Q", 6, "generic")}, nil},
		{"a suppression leaves a secret beside it", ignoreOf(specific()), []detect.Finding{specific(), mk("other", "tok_"+"nextdoor99", 40)}, []string{"other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reasons []string
			c := NewChain(func(d Drop) { reasons = append(reasons, d.Stage+": "+d.Reason) }, tt.stage)
			var kept []string
			for _, f := range c.Apply(tt.in) {
				kept = append(kept, f.RuleID)
			}
			if !reflect.DeepEqual(kept, tt.kept) {
				t.Errorf("kept %q, want %q; drops:\n%s", kept, tt.kept, strings.Join(reasons, "\n"))
			}
			for _, r := range reasons {
				if strings.Contains(r, val) {
					t.Errorf("an explanation shows the secret: %s", r)
				}
			}
		})
	}
}

// BenchmarkChainApply filters one fragment with many candidates (a
// generated file), where overlap resolution, allowlist drops and
// suppressions all take part: the chain must stay linear in candidates.
func BenchmarkChainApply(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := testkit.Set(b, chainTOML)
			ig, err := ParseIgnore(strings.NewReader("src/a.go:tok:body7\n"))
			if err != nil {
				b.Fatal(err)
			}
			c := NewChain(nil, Inline{}, NewRuleAllowlists(s), NewGlobal(s), ig)
			in := make([]detect.Finding, 0, n)
			for i := range n / 2 {
				body := fmt.Sprint("body", i)
				if i%3 == 0 {
					body += "EXAMPLE" // dropped by the rule allowlist
				}
				in = append(in, candidate("generic-kv", body, 40*i, "src/a.go", "generic"), candidate("tok", body, 40*i+6, "src/a.go"))
			}
			fs := make([]detect.Finding, len(in))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				copy(fs, in)
				c.Apply(fs)
			}
		})
	}
}
