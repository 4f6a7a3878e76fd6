package detect

import (
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// testRules is testkit's rule with an entropy gate, and rules of the other
// kinds: a key-value assignment, a multi-line block and a path alone.
const testRules = testkit.TokRule + `entropy = 2.0

[[rules]]
id = "kv"
description = "assignment"
regex = '''(?i)passwd\s*=\s*"([^"]{6,})"'''
keywords = ["passwd"]

[[rules]]
id = "block"
description = "multi-line block"
regex = '''(?s)(BEGIN SECRET\n[a-z0-9\n]{8,200}?\nEND SECRET)'''
keywords = ["begin secret"]
window = 512

[[rules]]
id = "envfile"
description = "a .env file"
path = '''(^|/)\.env$'''
`

func detectAll(t *testing.T, d *Detector, content, path string) []Finding {
	t.Helper()
	fs, err := d.Detect(&Fragment{Content: []byte(content), StartLine: 1, Provenance: Provenance{Path: path}})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestDetectLocations(t *testing.T) {
	d := New(testkit.Set(t, testRules), nil)
	tok := testkit.TokA
	tests := []struct {
		name       string
		content    string
		rule       string
		line, col  int
		endLine    int
		endCol     int
		wantSecret string
	}{
		{"first line", "x = " + tok + "\n", "tok", 1, 5, 1, 20, tok},
		{"third line", "a\nb\n  " + tok, "tok", 3, 3, 3, 18, tok},
		{"crlf", "a\r\nb\r\n" + tok + "\r\n", "tok", 3, 1, 3, 16, tok},
		{"utf8 before", "clé = ü " + tok, "tok", 1, 9, 1, 24, tok},
		{"invalid utf8 before", "\xff\xfe = " + tok, "tok", 1, 6, 1, 21, tok},
		{"nul bytes", "\x00\x00\n" + tok, "tok", 2, 1, 2, 16, tok},
		{"keyword case", `PASSWD = "hunter2hunter2"`, "kv", 1, 11, 1, 24, "hunter2hunter2"},
		{"secret before keyword on line", `"abcdefgh" PASSWD = "s3cr3tpw"`, "kv", 1, 22, 1, 29, "s3cr3tpw"},
		{"multi-line", "x\nBEGIN SECRET\nabc123\ndef456\nEND SECRET\n", "block", 2, 1, 5, 10, "BEGIN SECRET\nabc123\ndef456\nEND SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := detectAll(t, d, tt.content, "f.txt")
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.RuleID != tt.rule || f.Secret != tt.wantSecret {
				t.Errorf("rule %s secret %q, want %s %q", f.RuleID, f.Secret, tt.rule, tt.wantSecret)
			}
			if f.StartLine != tt.line || f.StartColumn != tt.col || f.EndLine != tt.endLine || f.EndColumn != tt.endCol {
				t.Errorf("location %d:%d-%d:%d, want %d:%d-%d:%d", f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, tt.line, tt.col, tt.endLine, tt.endCol)
			}
			if got := tt.content[f.Start:f.End]; got != f.Secret {
				t.Errorf("offsets [%d:%d] hold %q, not the secret", f.Start, f.End, got)
			}
			if f.Fingerprint != "f.txt:"+tt.rule+":"+SecretHash(tt.rule, tt.wantSecret) {
				t.Errorf("fingerprint %q", f.Fingerprint)
			}
		})
	}
}

func TestDetectNoKeywordNoRegexRun(t *testing.T) {
	d := New(testkit.Set(t, testRules), nil)
	// The pattern would match, but the keyword is absent: the rule must not run.
	if fs := detectAll(t, d, `password = "hunter2hunter2"`, "f"); len(fs) != 0 {
		t.Fatalf("got %+v", fs)
	}
}

func TestDetectEntropyGate(t *testing.T) {
	d := New(testkit.Set(t, testRules), nil)
	if fs := detectAll(t, d, "x = tok_"+"aaaaaaaaaaaa", "f"); len(fs) != 0 {
		t.Fatalf("low-entropy token reported: %+v", fs)
	}
}

func TestDetectManyHitsOneLine(t *testing.T) {
	d := New(testkit.Set(t, testRules), nil)
	line := strings.Repeat(testkit.TokA+" ", 500)
	if fs := detectAll(t, d, line, "f"); len(fs) != 500 {
		t.Fatalf("got %d findings, want 500", len(fs))
	}
}

func TestDetectPathOnly(t *testing.T) {
	d := New(testkit.Set(t, testRules), nil)
	fs := detectAll(t, d, "A=1\n", "app/.env")
	if len(fs) != 1 || fs[0].RuleID != "envfile" || fs[0].StartLine != 1 {
		t.Fatalf("got %+v", fs)
	}
	if fs := detectAll(t, d, "A=1\n", "app/env.go"); len(fs) != 0 {
		t.Fatalf("got %+v", fs)
	}
}

func TestDetectOwnedRange(t *testing.T) {
	d := New(testkit.Set(t, testRules), nil)
	tok := testkit.TokA
	content := tok + " " + tok + " " + tok
	f := &Fragment{Content: []byte(content), StartLine: 1, OwnedStart: 1, OwnedEnd: len(tok) + 2}
	fs, err := d.Detect(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Start != len(tok)+1 {
		t.Fatalf("want only the middle token, got %+v", fs)
	}
}

func TestDetectLongLineBoundedWindow(t *testing.T) {
	d := New(testkit.Set(t, testRules), nil)
	tok := testkit.TokA
	content := strings.Repeat("x", 1<<20) + " " + tok + " " + strings.Repeat("y", 1<<20)
	fs := detectAll(t, d, content, "min.js")
	if len(fs) != 1 || fs[0].StartColumn != 1<<20+2 {
		t.Fatalf("got %+v", fs)
	}
	if len(fs[0].Line) > 3*maxLineReach {
		t.Fatalf("line context is %d bytes; must be bounded", len(fs[0].Line))
	}
}

func TestBadRegexIsAnErrorNotAPanic(t *testing.T) {
	set := testkit.Set(t, testRules)
	// RE2 syntax accepted by the parser but an impossible repeat count for RE2.
	set.Rules[0].Regex = `tok_(a{1001})`
	d := New(set, nil)
	_, err := d.Detect(&Fragment{Content: []byte("tok_" + strings.Repeat("a", 1001)), StartLine: 1})
	if err == nil || !strings.Contains(err.Error(), `rule "tok"`) {
		t.Fatalf("err = %v, want a compile error naming the rule", err)
	}
	if err := d.Compile(nil); err == nil {
		t.Fatal("Compile(nil) accepted a bad pattern")
	}
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte("x " + testkit.TokA + " y\npasswd = \"abcdefgh\"\n")) // leakhound:allow (a fuzz seed, not a credential)
	f.Add([]byte("BEGIN SECRET\nabc123\ndef456\nEND SECRET"))
	f.Add([]byte("\xff\x00tok_\r\n"))
	f.Add([]byte("API_KEY: " + b64(testkit.TokA) + "\nkind: Secret\n x: " + b64(b64(testkit.TokB)) + "\n"))
	f.Add([]byte(`  "pass` + `wd = \"abc\u0064efgh\"\n", key=tok%5Fa1b2c3d4e5f6 ` + "\n")) // split: the self-scan decodes escapes too
	d := New(testkit.Set(f, testRules), nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := d.Detect(&Fragment{Content: b, StartLine: 1, Provenance: Provenance{Path: "f"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range fs {
			if x.Start < 0 || x.End > len(b) || x.Start > x.End {
				t.Fatalf("offsets [%d:%d] outside content of %d bytes", x.Start, x.End, len(b))
			}
			// A secret found inside encoded text is decoded; its offsets
			// cover the encoded bytes instead.
			if !hasDecodedTag(x.Tags) && string(b[x.Start:x.End]) != x.Secret {
				t.Fatalf("secret %q differs from the bytes at its offsets", x.Secret)
			}
			if hasDecodedTag(x.Tags) && x.Start == x.End {
				t.Fatalf("decoded secret %q points at no bytes", x.Secret)
			}
			if x.StartLine < 1 || x.EndLine < x.StartLine || x.StartColumn < 1 {
				t.Fatalf("bad location %+v", x)
			}
		}
	})
}

// TestDetectPrior: a secret that an earlier version already held is not
// a candidate; a new one next to it is.
func TestDetectPrior(t *testing.T) {
	d := New(testkit.Set(t, testkit.TokRule), nil)
	f := &Fragment{Content: []byte("a = " + testkit.TokA + "\nb = " + testkit.TokB + "\n"), StartLine: 1,
		Prior: [][]byte{[]byte("old = " + testkit.TokA + "\n")}}
	got, err := d.Detect(f)
	if err != nil || len(got) != 1 || got[0].Secret != testkit.TokB || got[0].StartLine != 2 {
		t.Errorf("Detect = %+v, %v", got, err)
	}
}
