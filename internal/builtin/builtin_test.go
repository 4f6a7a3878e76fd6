package builtin

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/internal/rulegen"
	"github.com/leakhound/leakhound/rules"
)

const regenerate = "go generate ./internal/builtin"

func parsed(t testing.TB) *rules.Set {
	t.Helper()
	set, err := rules.Loader{}.Parse([]byte(config.Default()), config.DefaultName)
	if err != nil {
		t.Fatalf("config/default.toml: %v", err)
	}
	return set
}

// TestGeneratedIsCurrent fails when config/default.toml changed and
// rules_gen.go was not generated again: the binary would carry old rules.
func TestGeneratedIsCurrent(t *testing.T) {
	want, err := rulegen.Generate(parsed(t), "builtin", "defaultSet", "config/default.toml", regenerate)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("rules_gen.go")
	if err != nil {
		t.Fatalf("%v: run `%s`", err, regenerate)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("internal/builtin/rules_gen.go is stale: it does not match config/default.toml; run `%s` and commit the result", regenerate)
	}
}

// TestSetIsParsed: the generated set is field for field what the loader
// reads from config/default.toml, memoized allowlists and lazily compiled
// patterns included.
func TestSetIsParsed(t *testing.T) {
	got, want := Set(), parsed(t)
	if len(got.Rules) != len(want.Rules) || len(want.Rules) == 0 {
		t.Fatalf("%d rules, want %d: run `%s`", len(got.Rules), len(want.Rules), regenerate)
	}
	var diffs []string
	for i := range want.Rules {
		diffs = diffFields(diffs, "rule "+want.Rules[i].ID, reflect.ValueOf(got.Rules[i]).Elem(), reflect.ValueOf(want.Rules[i]).Elem())
	}
	gotRest, wantRest := *got, *want
	gotRest.Rules, wantRest.Rules = nil, nil
	diffs = diffFields(diffs, "set", reflect.ValueOf(gotRest), reflect.ValueOf(wantRest))
	for i, d := range diffs {
		if i == 10 {
			t.Errorf("... and %d more", len(diffs)-i)
			break
		}
		t.Error(d)
	}
	if len(diffs) > 0 {
		t.Errorf("the generated set is not config/default.toml's: run `%s`", regenerate)
	} else if !reflect.DeepEqual(got, want) {
		t.Error("the generated set differs from the parsed one")
	}
}

// diffFields appends to diffs each field of two structs that differs.
func diffFields(diffs []string, what string, got, want reflect.Value) []string {
	for i := 0; i < want.NumField(); i++ {
		if g, w := got.Field(i), want.Field(i); !reflect.DeepEqual(g.Interface(), w.Interface()) {
			diffs = append(diffs, fmt.Sprintf("%s: field %s differs:\n got %s\nwant %s", what, want.Type().Field(i).Name, short(g), short(w)))
		}
	}
	return diffs
}

// short prints v, cut to a few lines.
func short(v reflect.Value) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// TestSetIsNew: each call builds its own set, which a caller may change
// (an [extend] applying exemptions, a test) without changing the next.
func TestSetIsNew(t *testing.T) {
	a, b := Set(), Set()
	a.Rules[0].Keywords[0] = "changed"
	a.Allowlists[0].Description = "changed"
	if reflect.DeepEqual(a, b) {
		t.Fatal("two calls share their rules")
	}
}

// BenchmarkDefaultSet is what a process spends to have the built-in
// rules: building them from the generated code (see
// BenchmarkParseDefault for decoding the TOML, as before).
func BenchmarkDefaultSet(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if s := Set(); len(s.Rules) == 0 {
			b.Fatal("no rules")
		}
	}
}

// BenchmarkParseDefault decodes config/default.toml, as every process did
// before the set was generated, and as [extend] use_default did too.
func BenchmarkParseDefault(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(config.Default())))
	for b.Loop() {
		parsed(b)
	}
}
