package detect

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/entropy"
	"github.com/leakhound/leakhound/internal/testkit"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func tokDetector(t *testing.T) *Detector {
	t.Helper()
	return New(testkit.Set(t, testkit.TokRule), nil)
}

// only returns the single finding in fs, failing otherwise.
func only(t *testing.T, fs []Finding) Finding {
	t.Helper()
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	return fs[0]
}

func TestDecodeBase64PointsAtEncodedBytes(t *testing.T) {
	d := tokDetector(t)
	enc := b64(testkit.TokA)
	content := "first line\n  API_KEY: " + enc + "\n"
	f := only(t, detectAll(t, d, content, "secret.yaml"))
	if f.Secret != testkit.TokA {
		t.Errorf("secret = %q, want the decoded token", f.Secret)
	}
	if got := content[f.Start:f.End]; got != enc {
		t.Errorf("offsets cover %q, want the encoded run %q", got, enc)
	}
	if f.StartLine != 2 || f.StartColumn != 12 || f.EndColumn != 11+len(enc) {
		t.Errorf("located at %d:%d-%d, want 2:12-%d", f.StartLine, f.StartColumn, f.EndColumn, 11+len(enc))
	}
	if !hasDecodedTag(f.Tags) || f.Tags[len(f.Tags)-1] != "decoded:base64" {
		t.Errorf("tags = %v, want decoded:base64 last", f.Tags)
	}
}

func TestDecodeOnlyNearKeywordsOrInKubernetesSecrets(t *testing.T) {
	d := tokDetector(t)
	line := "LOG_LEVEL: " + b64(testkit.TokA) + "\n"
	if fs := detectAll(t, d, line, "a.yaml"); len(fs) != 0 {
		t.Fatalf("a line without a keyword was decoded: %+v", fs)
	}
	doc := "apiVersion: v1\nkind: Secret\ndata:\n  " + line
	f := only(t, detectAll(t, d, doc, "secret.yaml"))
	if f.Secret != testkit.TokA || f.StartLine != 4 {
		t.Errorf("got %q at line %d, want the token at line 4", f.Secret, f.StartLine)
	}
}

func TestDecodeNestedUpToDepth(t *testing.T) {
	// A Kubernetes .dockerconfigjson: base64 JSON whose "auth" is base64.
	inner := `{"auths":{"r.example":{"auth":"` + b64("user:"+testkit.TokA) + `"}}}`
	content := "  .dockerconfigjson: " + b64(inner) + "\n"
	d := tokDetector(t)
	f := only(t, detectAll(t, d, content, "pull.yaml"))
	if f.Secret != testkit.TokA || content[f.Start:f.End] != b64(inner) {
		t.Errorf("nested secret %q at %q, want the token at the outer run", f.Secret, content[f.Start:f.End])
	}
	d.SetDecodeDepth(1)
	if fs := detectAll(t, d, content, "pull.yaml"); len(fs) != 0 {
		t.Errorf("depth 1 decoded two layers: %+v", fs)
	}
	d.SetDecodeDepth(0)
	if fs := detectAll(t, d, "API_KEY: "+b64(testkit.TokA), "a"); len(fs) != 0 {
		t.Errorf("depth 0 decoded: %+v", fs)
	}
}

func TestDecodeBombStopsAtDepth(t *testing.T) {
	s := "key: " + testkit.TokA
	for i := 0; i < 12; i++ {
		s = "key: " + b64(s)
	}
	// Twelve layers, each a third larger: the scan must stop at the
	// depth limit and find nothing, not expand every layer.
	if fs := detectAll(t, tokDetector(t), s, "bomb"); len(fs) != 0 {
		t.Fatalf("a secret 12 layers deep was found with depth %d: %+v", DefaultDecodeDepth, fs)
	}
}

func TestDecodeHexAndPercent(t *testing.T) {
	d := tokDetector(t)
	h := hex.EncodeToString([]byte(testkit.TokB))
	f := only(t, detectAll(t, d, "key="+h+"\n", "a"))
	if f.Secret != testkit.TokB || !strings.HasSuffix(f.Tags[len(f.Tags)-1], "hex") {
		t.Errorf("hex: got %q %v", f.Secret, f.Tags)
	}
	pct := strings.Replace(testkit.TokA, "_", "%5F", 1)
	f = only(t, detectAll(t, d, "auth=x&token="+pct+"\n", "a"))
	if f.Secret != testkit.TokA || !strings.HasSuffix(f.Tags[len(f.Tags)-1], "percent") {
		t.Errorf("percent: got %q %v", f.Secret, f.Tags)
	}
}

// pwDetector finds a quoted password after "password = ".
func pwDetector(t *testing.T) *Detector {
	t.Helper()
	return New(testkit.Set(t, `
[[rules]]
id = "pw"
description = "quoted password"
regex = '''password = "([^"]{8,})"'''
keywords = ["password"]
`), nil)
}

func TestDecodeEscapedStringsMapColumns(t *testing.T) {
	pw := "Rovi7" + "-Lune!Taxo"
	// A notebook cell: the source line is a JSON string.
	content := `    "password = \"` + pw + `\"\n",` + "\n"
	f := only(t, detectAll(t, pwDetector(t), content, "nb.ipynb"))
	if f.Secret != pw || content[f.Start:f.End] != pw {
		t.Errorf("escaped: secret %q at %q, want %q at its own bytes", f.Secret, content[f.Start:f.End], pw)
	}
	if f.StartColumn != strings.Index(content, pw)+1 {
		t.Errorf("column %d, want %d", f.StartColumn, strings.Index(content, pw)+1)
	}
}

func TestSecretGroupFallsBackToTheAlternativeThatMatched(t *testing.T) {
	set := testkit.Set(t, `
[[rules]]
id = "q"
description = "double or single quoted"
regex = '''pass="([^"]{6,})"|pass='([^']{6,})\''''
keywords = ["pass"]
`)
	d := New(set, nil)
	// Built by concatenation so that leakhound's self-scan does not see
	// them as passwords.
	for _, c := range []string{`pass="` + `it's-Xy9!"`, `pass='` + `say "Qz7"'`} {
		f := only(t, detectAll(t, d, c, "a"))
		if want := c[6 : len(c)-1]; f.Secret != want {
			t.Errorf("%s: secret %q, want %q", c, f.Secret, want)
		}
	}
}

func TestWindowEndsAtLineEnd(t *testing.T) {
	// A multi-line rule's window used to end a fixed number of bytes
	// past the keyword's line, and $ matched at the cut, reporting a
	// fragment of a longer value.
	set := testkit.Set(t, `
[[rules]]
id = "next"
description = "value on the next line"
regex = '''kw\n\s*x: ([a-z]{3,})$'''
keywords = ["kw"]
window = 8
`)
	f := only(t, detectAll(t, New(set, nil), "kw\nx: abcdefghijklmnopqrstuvwxyz\n", "a"))
	if f.Secret != "abcdefghijklmnopqrstuvwxyz" {
		t.Errorf("secret %q, want the whole value", f.Secret)
	}
}

func TestHexJudgedByTotalBits(t *testing.T) {
	set := testkit.Set(t, `
[[rules]]
id = "hexkey"
description = "key"
regex = '''key = "([0-9a-z]{16,})"'''
keywords = ["key"]
entropy = 3.5
`)
	d := New(set, nil)
	// 32 random hex digits measuring 3.34 bits per character: below the
	// rule's 3.5, as many random 32-digit hex keys are.
	low := "9a50f8a8e9bb8bdb" + "5eba456bf92d5d98"
	if h := entropy.Shannon([]byte(low)); h >= 3.5 {
		t.Fatalf("test value has entropy %.2f, want < 3.5", h)
	}
	if fs := detectAll(t, d, `key = "`+low+`"`, "a"); len(fs) != 1 {
		t.Errorf("random hex below the per-character floor: %d findings, want 1", len(fs))
	}
	for _, made := range []string{
		"0123456789abcdef" + "0123456789abcdef",
		"deadbeef" + "deadbeef" + "deadbeef" + "deadbeef",
		"abcdefghijklmnop" + "q3r8s1",
	} {
		if fs := detectAll(t, d, `key = "`+made+`"`, "a"); len(fs) != 0 {
			t.Errorf("made-up value %q reported", made)
		}
	}
}

func TestPatterned(t *testing.T) {
	for s, want := range map[string]bool{
		"sk_test_" + "1234567890abcdef1234567890abcdef": true,
		"abcabcabcabcabcabcab":                          true,
		"Vx9kQ2mLp7RtZ4wN8bC1":                          false,
		"a8Kd0123456789Qw":                              true,
		"token_" + "z9y8x7w6v5u4t3s2":                   false,
	} {
		if got := patterned([]byte(s)); got != want {
			t.Errorf("patterned(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDecodeEscapedSecretFarAlongTheLine(t *testing.T) {
	pw := "Rovi7" + "-Lune!Taxo"
	content := `{"a": "\"first\"` + strings.Repeat(" filler", 100) + ` password = \"` + pw + `\""}` + "\n"
	f := only(t, detectAll(t, pwDetector(t), content, "a.json"))
	if f.Secret != pw {
		t.Errorf("secret %q, want %q", f.Secret, pw)
	}
}

func TestDecodeDenseLineFindsEverySecret(t *testing.T) {
	// Many encoded runs on one line: each is decoded once, and a nested
	// pass does not decode its neighbours again.
	var b strings.Builder
	for i := 0; i < 200; i++ {
		b.WriteString("key=" + b64(testkit.TokA) + " ")
	}
	b.WriteString("key=" + b64(testkit.TokB) + "\n")
	fs := detectAll(t, tokDetector(t), b.String(), "dense")
	if len(fs) != 201 || fs[0].Secret != testkit.TokA || fs[200].Secret != testkit.TokB {
		t.Fatalf("got %d findings, want each of the 201 encoded tokens once", len(fs))
	}
	for i := 1; i < len(fs); i++ {
		if fs[i].Start <= fs[i-1].Start {
			t.Fatalf("findings %d and %d at %d and %d: one run reported twice", i-1, i, fs[i-1].Start, fs[i].Start)
		}
	}
}

// FuzzDecoders: the run finder, the decoders and the unescaper never
// panic, keep to their input's bounds, and the unescaper's offset map
// runs forward from 0 to the line's end.
func FuzzDecoders(f *testing.F) {
	f.Add([]byte("API_KEY: " + b64(testkit.TokA) + " %5Fx%zz \\\"q\\u0041\\n \\"))
	f.Add([]byte(hex.EncodeToString([]byte("key="+testkit.TokB)) + "=="))
	f.Add([]byte("\xff\xfe====////++++----____" + strings.Repeat("A", 40)))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, seg := range appendSegments(nil, b, 0) {
			if seg.lo < 0 || seg.hi > len(b) || seg.lo >= seg.hi {
				t.Fatalf("segment [%d:%d] outside %d bytes", seg.lo, seg.hi, len(b))
			}
			if seg.kind != encEscaped {
				if dec := decodeSegment(seg.kind, b[seg.lo:seg.hi]); dec != nil && !printable(dec) {
					t.Fatalf("decoder returned non-text %q", dec)
				}
			}
		}
		dec, pos := unescape(b)
		if len(pos) != len(dec)+1 || pos[len(pos)-1] != len(b) {
			t.Fatalf("offset map of %d entries for %d decoded bytes of %d", len(pos), len(dec), len(b))
		}
		for i := 1; i < len(pos); i++ {
			if pos[i] <= pos[i-1] || pos[i] > len(b) {
				t.Fatalf("offset map not increasing at %d: %v", i, pos[i-1:i+1])
			}
		}
	})
}
