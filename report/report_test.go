package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Fake secrets are built at run time so that this file, which the
// self-scan reads, holds none literally.
var (
	dirSecret = "tok_" + "Zq8XvB2mK4pLw9Ns"
	gitSecret = "hunter" + "2-" + "NotReal-7f3a"
	keySecret = "BEGIN " + "FAKE KEY\n" + "bm90LWEta2V5LWF0LWFsbA==\n" + "END " + "FAKE KEY"
)

// fixture returns the findings every golden file is made from: a
// directory finding, a git one, one with a unicode path and a multi-line
// secret, and a path-only one. Fingerprints are fixed strings: reporters
// print them, they do not compute them.
func fixture() []detect.Finding {
	return []detect.Finding{
		{
			RuleID: "test-token", Description: "Test token",
			Secret: dirSecret, Match: "api_key = " + dirSecret,
			Line:      "api_key = " + dirSecret + " # the line is never reported",
			StartLine: 12, EndLine: 12, StartColumn: 11, EndColumn: 30, Start: 210, End: 230,
			Entropy: 3.875123456, Fingerprint: "config/app.env:test-token:0a1b2c3d4e5f6a7b",
			Tags: []string{"test", "api"}, Severity: rules.High, Confidence: rules.ConfidenceHigh,
			Provenance: detect.Provenance{Kind: detect.KindDir, Path: "config/app.env", BlobID: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"},
		},
		{
			RuleID: "test-password", Description: "Password in a script",
			Secret: gitSecret, Match: `PASSWORD="` + gitSecret + `"`,
			StartLine: 3, EndLine: 3, StartColumn: 11, EndColumn: 30,
			Entropy: 3.0, Fingerprint: "9fceb02d0ae598e95dc970b74767f19372d61af8:deploy/run.sh:test-password:1122334455667788",
			Severity: rules.Critical, Confidence: rules.ConfidenceMedium,
			Provenance: detect.Provenance{
				Kind: detect.KindHistory, Path: "deploy/run.sh",
				Commit: "9fceb02d0ae598e95dc970b74767f19372d61af8",
				Author: "Ada Lovelace", Email: "ada@example.com",
				Date:    time.Date(2024, 3, 9, 14, 30, 5, 0, time.FixedZone("CET", 3600)),
				Message: "Add deploy script",
			},
		},
		{
			RuleID: "test-key", Description: "Fake key block",
			Secret: keySecret, Match: "pem: \"" + keySecret + "\"",
			StartLine: 4, EndLine: 6, StartColumn: 7, EndColumn: 12,
			Entropy: 4.1234567, Fingerprint: "données/日本語/ключ.yaml:test-key:8899aabbccddeeff",
			Tags: []string{"private-key"}, Severity: rules.Medium, Confidence: rules.ConfidenceHigh,
			Provenance: detect.Provenance{Kind: detect.KindDir, Path: "données/日本語/ключ.yaml"},
		},
		{
			RuleID: "env-file", Description: "dotenv file",
			StartLine: 1, EndLine: 1, StartColumn: 1, EndColumn: 1,
			Fingerprint: ".env.production:env-file:0011223344556677",
			Tags:        []string{"file"}, Severity: rules.Low, Confidence: rules.ConfidenceLow,
			Provenance: detect.Provenance{Kind: detect.KindDir, Path: ".env.production"},
		},
	}
}

var goldens = []struct {
	name string
	rep  Reporter
	opt  Options
}{
	{"text", Text{}, Options{Summary: "4 findings"}},
	{"text-color", Text{}, Options{Color: true, Summary: "4 findings"}},
	{"json", JSON{}, Options{}},
	{"jsonl", JSONL{}, Options{}},
	{"json-redact", JSON{}, Options{Redact: 100}},
	{"csv", CSV{}, Options{}},
	{"junit", JUnit{}, Options{}},
	{"sarif", SARIF{}, Options{ToolVersion: "v0.0.0-test"}},
	{"markdown", Markdown{}, Options{}},
}

func render(t *testing.T, rep Reporter, fs []detect.Finding, opt Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := rep.Write(&b, fs, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden compares each format with its golden file; -update rewrites
// them. Output must be byte-identical run after run, and writing must not
// change the findings (redaction happens in the reporter).
func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			fs := fixture()
			got := render(t, g.rep, fs, g.opt)
			if !reflect.DeepEqual(fs, fixture()) {
				t.Error("Write changed its input")
			}
			for range 3 {
				if again := render(t, g.rep, fixture(), g.opt); !bytes.Equal(again, got) {
					t.Fatalf("output differs between runs:\n%s\n---\n%s", got, again)
				}
			}
			path := filepath.Join("testdata", "golden", g.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff shows the first lines where want and got part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i, shown := 0, 0; i < max(len(w), len(g)) && shown < 5; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + "\n  want " + strconv.Quote(wl) + "\n  got  " + strconv.Quote(gl) + "\n")
			shown++
		}
	}
	return b.String()
}

var (
	baseFields = []string{"rule_id", "description", "file", "start_line", "end_line", "start_column", "end_column",
		"secret", "match", "entropy", "fingerprint", "tags", "severity", "confidence"}
	gitFields = []string{"commit", "author", "email", "date", "message"}
)

// TestJSONFields pins the JSON interface: exactly these names, in this
// order, git fields only on git findings, tags never null.
func TestJSONFields(t *testing.T) {
	fs := fixture()
	fs[1].Tags = nil
	check := func(t *testing.T, i int, obj []byte) {
		t.Helper()
		want := baseFields
		if fs[i].Commit != "" {
			want = append(slices.Clone(baseFields), gitFields...)
		}
		if got := keysInOrder(t, obj); !reflect.DeepEqual(got, want) {
			t.Errorf("finding %d: fields %q, want %q", i, got, want)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(obj, &m); err != nil {
			t.Fatal(err)
		}
		if string(m["tags"]) == "null" {
			t.Errorf("finding %d: tags is null", i)
		}
	}
	t.Run("json", func(t *testing.T) {
		var arr []json.RawMessage
		if err := json.Unmarshal(render(t, JSON{}, fs, Options{}), &arr); err != nil {
			t.Fatal(err)
		}
		if len(arr) != len(fs) {
			t.Fatalf("%d objects for %d findings", len(arr), len(fs))
		}
		for i, obj := range arr {
			check(t, i, obj)
		}
	})
	t.Run("jsonl", func(t *testing.T) {
		lines := strings.Split(strings.TrimSuffix(string(render(t, JSONL{}, fs, Options{})), "\n"), "\n")
		if len(lines) != len(fs) {
			t.Fatalf("%d lines for %d findings", len(lines), len(fs))
		}
		for i, l := range lines {
			check(t, i, []byte(l))
		}
	})
	t.Run("values", func(t *testing.T) {
		var arr []map[string]any
		if err := json.Unmarshal(render(t, JSON{}, fs, Options{}), &arr); err != nil {
			t.Fatal(err)
		}
		git := arr[1]
		if git["date"] != "2024-03-09T13:30:05Z" || git["commit"] != fs[1].Commit || git["email"] != "ada@example.com" {
			t.Errorf("git fields = %v", git)
		}
		if arr[0]["entropy"] != 3.8751 || arr[0]["secret"] != dirSecret || arr[0]["severity"] != "high" {
			t.Errorf("finding 0 = %v", arr[0])
		}
		if arr[2]["secret"] != keySecret || arr[2]["file"] != "données/日本語/ключ.yaml" {
			t.Errorf("finding 2 = %v", arr[2])
		}
		if arr[3]["secret"] != "" || arr[3]["match"] != "" {
			t.Errorf("path-only finding = %v", arr[3])
		}
	})
}

// keysInOrder returns the keys of a JSON object in the order written.
func keysInOrder(t *testing.T, obj []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", obj)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestEmpty(t *testing.T) {
	for _, tt := range []struct {
		name string
		rep  Reporter
		opt  Options
		want string
	}{
		{"json", JSON{}, Options{}, "[]\n"},
		{"jsonl", JSONL{}, Options{}, ""},
		{"text", Text{}, Options{}, ""},
		{"text summary", Text{}, Options{Summary: "no leaks found"}, "no leaks found\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(render(t, tt.rep, nil, tt.opt)); got != tt.want {
				t.Errorf("output = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRedactJSON: --redact hides the secret in both secret and match,
// wherever it occurs in the match.
func TestRedactJSON(t *testing.T) {
	secret := "pw_" + "QmX9vL2kT7sA"
	f := detect.Finding{RuleID: "r", Secret: secret, Match: secret + " and again " + secret, Provenance: detect.Provenance{Path: "a"}}
	tests := []struct {
		redact      int
		secret      string
		match       string
		showsSecret bool
	}{
		{0, secret, secret + " and again " + secret, true},
		{100, "REDACTED", "REDACTED and again REDACTED", false},
		{150, "REDACTED", "REDACTED and again REDACTED", false},
		{50, "pw_QmX9...", "pw_QmX9... and again pw_QmX9...", false},
		{1, "pw_QmX9vL2kT7s...", "pw_QmX9vL2kT7s... and again pw_QmX9vL2kT7s...", false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.redact), func(t *testing.T) {
			for _, rep := range []Reporter{JSON{}, JSONL{}} {
				out := render(t, rep, []detect.Finding{f}, Options{Redact: tt.redact})
				var j jsonFinding
				dec := json.NewDecoder(bytes.NewReader(out))
				if _, ok := rep.(JSON); ok {
					var arr []jsonFinding
					if err := dec.Decode(&arr); err != nil || len(arr) != 1 {
						t.Fatalf("decode: %v", err)
					}
					j = arr[0]
				} else if err := dec.Decode(&j); err != nil {
					t.Fatal(err)
				}
				if j.Secret != tt.secret || j.Match != tt.match {
					t.Errorf("%T: secret %q match %q, want %q %q", rep, j.Secret, j.Match, tt.secret, tt.match)
				}
				if got := bytes.Contains(out, []byte(secret)); got != tt.showsSecret {
					t.Errorf("%T: output shows the secret: %v", rep, got)
				}
			}
		})
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		secret  string
		percent int
		want    string
	}{
		{"abcdefgh", 0, "abcdefgh"},
		{"abcdefgh", -5, "abcdefgh"},
		{"abcdefgh", 100, "REDACTED"},
		{"abcdefgh", 101, "REDACTED"},
		{"a", 100, "REDACTED"},
		{"", 100, ""}, // nothing to hide: a path-only finding stays empty
		{"", 50, ""},
		{"abcdefgh", 50, "abcd..."},
		{"abcdefgh", 75, "ab..."},
		{"abcdefgh", 99, "..."},
		{"abcdefgh", 1, "abcdefg..."},
		{"a", 1, "..."},
		{"ab", 50, "a..."},
		{"日本語テキスト", 50, "日本語..."},
		{"пароль", 50, "пар..."},
		{"🔑🔑🔑🔑", 25, "🔑🔑🔑..."},
		{"é", 50, "..."},
		{"\xff\xfeab", 50, "\xff\xfe..."},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.secret)+"/"+strconv.Itoa(tt.percent), func(t *testing.T) {
			if got := Mask(tt.secret, tt.percent); got != tt.want {
				t.Errorf("Mask = %q, want %q", got, tt.want)
			}
		})
	}
}

// checkMask asserts what Mask promises, for any secret and percentage.
func checkMask(t *testing.T, secret string, percent int) {
	t.Helper()
	got := Mask(secret, percent)
	switch {
	case secret == "":
		if got != "" {
			t.Fatalf("Mask(%q, %d) = %q", secret, percent, got)
		}
	case percent <= 0:
		if got != secret {
			t.Fatalf("Mask(%q, %d) = %q, want it unchanged", secret, percent, got)
		}
	case percent >= 100:
		if got != "REDACTED" {
			t.Fatalf("Mask(%q, %d) = %q, want REDACTED", secret, percent, got)
		}
	default:
		prefix, ok := strings.CutSuffix(got, "...")
		if !ok || !strings.HasPrefix(secret, prefix) || len(prefix) >= len(secret) {
			t.Fatalf("Mask(%q, %d) = %q: want a proper prefix and \"...\"", secret, percent, got)
		}
		if utf8.ValidString(secret) && !utf8.ValidString(got) {
			t.Fatalf("Mask(%q, %d) = %q splits a character", secret, percent, got)
		}
		if rest := secret[len(prefix):]; !utf8.FullRuneInString(rest) && utf8.ValidString(secret) {
			t.Fatalf("Mask(%q, %d) cut inside a character", secret, percent)
		}
	}
}

func TestMaskProperties(t *testing.T) {
	secrets := []string{"a", "ab", "abc", "héllo", "日本語", "🔑x🔑", "\x00\xff", strings.Repeat("ж", 37)}
	for _, s := range secrets {
		for p := -1; p <= 101; p++ {
			checkMask(t, s, p)
		}
	}
}

func FuzzMask(f *testing.F) {
	f.Add("tok_"+"abcdef", 50)
	f.Add("日本語テキスト", 33)
	f.Add("\xf0\x9f\x94", 10)
	f.Add("", 100)
	f.Add(".", 50)
	f.Add("a\x1b[2J", 0)
	f.Fuzz(func(t *testing.T, secret string, percent int) {
		checkMask(t, secret, percent)
		if secret == "" {
			return
		}
		checkTextMask(t, secret)
		var b, plain bytes.Buffer
		f := detect.Finding{RuleID: "r", Secret: secret, Provenance: detect.Provenance{Path: "p"}}
		if err := (Text{}).Write(&b, []detect.Finding{f}, Options{Redact: percent}); err != nil {
			t.Fatal(err)
		}
		f.Secret = "x"
		if err := (Text{}).Write(&plain, []detect.Finding{f}, Options{Redact: percent}); err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b.Bytes()) || strings.ContainsAny(b.String(), "\x1b\r") || strings.Count(b.String(), "\n") != strings.Count(plain.String(), "\n") {
			t.Fatalf("text output for %q is not clean:\n%q", secret, b.String())
		}
	})
}

// checkTextMask asserts that the text reporter's default mask is a proper
// prefix of the secret, cut between characters, then 1 to 12 stars.
func checkTextMask(t *testing.T, secret string) {
	t.Helper()
	got := textMask(secret, 0)
	for k := 1; k <= 12; k++ {
		prefix, ok := strings.CutSuffix(got, strings.Repeat("*", k))
		aligned := !utf8.ValidString(secret) || utf8.ValidString(prefix)
		if ok && strings.HasPrefix(secret, prefix) && len(prefix) < len(secret) && aligned {
			return
		}
	}
	t.Fatalf("textMask(%q) = %q: want a proper prefix and 1 to 12 stars", secret, got)
}

// secretLine returns the value of the first "secret" line of text output.
func secretLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "  secret       "); ok {
			return v
		}
	}
	return ""
}

// TestTextHidesSecret: text output is read in CI logs; it never shows a
// secret whole, however short, at any redaction level, and never splits a
// character.
func TestTextHidesSecret(t *testing.T) {
	secrets := []string{
		"x", "xy", "xyz", "wxyz", "vwxyz",
		"tok_" + "Zq8XvB2mK4pLw9Ns",
		strings.Repeat("Q7", 64),
		"é", "日本", "пар", "🔑🔒", "密码" + "密码" + "密码",
		"line1\nline2\nline3", "a\x1b[2Jb",
	}
	for _, s := range secrets {
		for _, redact := range []int{0, 1, 25, 50, 99, 100} {
			t.Run(strconv.Quote(s)+"/"+strconv.Itoa(redact), func(t *testing.T) {
				f := detect.Finding{RuleID: "r", Description: "d", Secret: s, Match: "k=" + s, Line: "k=" + s, Provenance: detect.Provenance{Path: "p"}}
				for _, color := range []bool{false, true} {
					out := string(render(t, Text{}, []detect.Finding{f}, Options{Redact: redact, Color: color}))
					v := secretLine(out)
					if v == "" {
						t.Fatalf("no secret line in\n%s", out)
					}
					if strings.Contains(v, s) || (len(s) >= 4 && strings.Contains(out, s)) {
						t.Errorf("output shows the secret:\n%s", out)
					}
					if !utf8.ValidString(out) {
						t.Errorf("output is not valid UTF-8: %q", out)
					}
					if strings.Count(out, "\n") != strings.Count(string(render(t, Text{}, []detect.Finding{{RuleID: "r", Description: "d", Secret: "plain", Provenance: detect.Provenance{Path: "p"}}}, Options{Redact: redact, Color: color})), "\n") {
						t.Errorf("the secret changed the number of lines:\n%s", out)
					}
				}
			})
		}
	}
}

func TestTextMask(t *testing.T) {
	for _, tt := range []struct{ secret, want string }{
		{"a", "*"},
		{"ab", "**"},
		{"abc", "***"},
		{"abcd", "a***"},
		{"abcdefgh", "ab******"},
		{"abcdefghijklmnop", "abcd************"},
		{strings.Repeat("z", 200), "zzzz************"},
		{"日本語テ", "日***"},
		{"🔑🔒🔓🔏🔐", "🔑****"},
	} {
		t.Run(tt.secret, func(t *testing.T) {
			if got := textMask(tt.secret, 0); got != tt.want {
				t.Errorf("textMask = %q, want %q", got, tt.want)
			}
			checkTextMask(t, tt.secret)
		})
	}
}

// TestTextUntrusted: paths, commit messages and authors come from the
// scanned repository; control characters in them are escaped so they
// cannot forge report lines or drive the terminal.
func TestTextUntrusted(t *testing.T) {
	f := detect.Finding{
		RuleID: "r", Description: "d\tx", Secret: "abcdefgh",
		Provenance: detect.Provenance{
			Path: "evil\n  secret       none\x1b[2J.txt", Commit: "c0ffee",
			Author: "Mallory\x07", Email: "m@example.com\r", Message: "fix\u202etxt.exe\xff",
			Date: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		},
	}
	out := string(render(t, Text{}, []detect.Finding{f}, Options{}))
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u202e", "\xff", "\t"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{`evil\n  secret       none\x1b[2J.txt:0:0`, `Mallory\a <m@example.com\r>, 2024-01-02`, `fix\u202etxt.exe\xff`, `d\tx`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n  secret "); n != 1 {
		t.Errorf("%d secret lines, want 1:\n%s", n, out)
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		name string
		want Reporter
	}{{"", Text{}}, {"text", Text{}}, {"TEXT", Text{}}, {"json", JSON{}}, {"Json", JSON{}}, {"jsonl", JSONL{}}, {"csv", CSV{}}, {"junit", JUnit{}}, {"sarif", SARIF{}}} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := New(tt.name)
			if err != nil || rep != tt.want {
				t.Errorf("New(%q) = %T, %v", tt.name, rep, err)
			}
		})
	}
	for _, name := range Formats {
		if _, err := New(name); err != nil {
			t.Errorf("listed format %q: %v", name, err)
		}
	}
	if _, err := New("xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("New(xml) error = %v", err)
	}
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteError(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			if err := g.rep.Write(failWriter{}, fixture(), g.opt); !errors.Is(err, errWrite) {
				t.Errorf("Write = %v, want %v", err, errWrite)
			}
		})
	}
}

// TestIncompleteIsSaid: a scan that did not cover everything says so in
// every format that has a place for it.
func TestIncompleteIsSaid(t *testing.T) {
	fs := fixture()
	opt := Options{Incomplete: "interrupted: the report holds the 4 finding(s) made before the signal"}
	for name, want := range map[string]string{
		"text":     "INCOMPLETE: interrupted",
		"markdown": "**Incomplete scan:** interrupted",
		"junit":    `errors="1"`,
		"sarif":    `"executionSuccessful": false`,
	} {
		var rep Reporter = Markdown{} // the --summary-path format, not a --report-format
		if name != "markdown" {
			var err error
			if rep, err = New(name); err != nil {
				t.Fatal(err)
			}
		}
		out := string(render(t, rep, fs, opt))
		if !strings.Contains(out, want) {
			t.Errorf("%s: no %q in:\n%s", name, want, out)
		}
	}
	if out := string(render(t, SARIF{}, fs, Options{})); !strings.Contains(out, `"executionSuccessful": true`) {
		t.Error("a complete SARIF run does not say it succeeded")
	}
}
