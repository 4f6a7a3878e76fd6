package filter

import (
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
)

func baselineFinding(path, rule, secret string) *detect.Finding {
	return &detect.Finding{RuleID: rule, Secret: secret, Provenance: detect.Provenance{Path: path}}
}

func TestParseBaselineFormats(t *testing.T) {
	secret := "tok_" + "q1w2e3r4t5y6"
	hash := detect.SecretHash("tok", secret)
	leak := baselineFinding("a/b.env", "tok", secret)
	tests := []struct{ name, data string }{
		{"baseline file", `{"version": 1, "findings": [{"rule_id": "tok", "file": "a/b.env", "fingerprint": "a/b.env:tok:` + hash + `"}]}`},
		{"json report, redacted, reformatted", "[\n {\"secret\":\"REDACTED\",\n  \"fingerprint\":\"c0ffee:a/b.env:tok:" + hash + "\", \"file\":\"a/b.env\",\"rule_id\":\"tok\",\"start_line\":99}]"},
		{"jsonl report", `{"rule_id":"tok","file":"a/b.env","fingerprint":"a/b.env:tok:` + hash + `"}` + "\n\n" + `{"rule_id":"x","file":"z","fingerprint":"z:x:0123456789abcdef"}` + "\n"},
		{"gitleaks report", `[{"RuleID":"generic-api-key","File":"a/b.env","Secret":"` + secret + `","StartLine":3,"Fingerprint":"abc:a/b.env:generic-api-key:3"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBaseline([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if drop, _ := b.Drop(leak); !drop {
				t.Error("known finding not dropped")
			}
			for _, other := range []*detect.Finding{
				baselineFinding("a/other.env", "tok", secret),            // new path
				baselineFinding("a/b.env", "tok", "tok_"+"zzzzzzzzzzzz"), // new secret
			} {
				if drop, _ := b.Drop(other); drop {
					t.Errorf("dropped %s %s", other.Path, other.Secret)
				}
			}
		})
	}
}

func TestParseBaselineErrors(t *testing.T) {
	for _, data := range []string{"", "nope", "[1,2]", `[{"foo":1}]`, `{"version": 7, "findings": []}`,
		`[{"rule_id":"tok","file":"a","fingerprint":"nohash"}]`, "{\"rule_id\":\"a\"}\n{broken"} {
		if _, err := ParseBaseline([]byte(data)); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
	b, err := ParseBaseline([]byte(`[{"RuleID":"x","File":"f","Secret":"REDACTED"}]`))
	if err != nil || b.Unusable != 1 || b.Len() != 0 {
		t.Errorf("redacted gitleaks report: %+v, %v", b, err)
	}
	if _, err := ParseBaseline([]byte(strings.Repeat(" ", 10))); err == nil {
		t.Error("blank file: no error")
	}
}

// FuzzParseBaseline: any bytes give a baseline or an error, never a panic.
func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"version": 1, "findings": [{"rule_id": "t", "file": "a", "fingerprint": "a:t:0123456789abcdef"}]}`))
	f.Add([]byte(`[{"RuleID":"r","File":"f","Secret":"s"}]`))
	f.Add([]byte("{\"rule_id\":\"t\",\"file\":\"a\",\"fingerprint\":\":\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := ParseBaseline(data); err == nil {
			b.Drop(baselineFinding("a", "t", "s"))
		}
	})
}
