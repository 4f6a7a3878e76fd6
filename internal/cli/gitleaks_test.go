package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// gitleaksConfig is a .gitleaks.toml in the shapes real projects write:
// [extend] with gitleaks' own rule ids disabled, custom rules with both
// allowlist forms (the older single table, the [[rules.allowlists]]
// array with a condition, a regex target and commits), a path-only rule,
// and both global allowlist forms, one aimed at one rule.
const gitleaksConfig = `title = "shop gitleaks config"

[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "shop-token"
description = "Shop internal token"
regex = '''shop_[a-z0-9]{24}'''
secretGroup = 0
keywords = ["shop_"]
tags = ["internal"]

  [[rules.allowlists]]
  description = "fixtures under tests/"
  condition = "AND"
  regexTarget = "line"
  regexes = ['''fixture''']
  paths = ['''^tests/''']

[[rules]]
id = "shop-key"
description = "Shop signing key"
regex = '''shopkey-([A-Za-z0-9]{20})'''
secretGroup = 1
keywords = ["shopkey-"]

  [rules.allowlist]
  stopwords = ["example"]

[[rules]]
id = "keystore-file"
description = "Java keystore committed"
path = '''\.jks$'''

[allowlist]
description = "vendored code"
paths = ['''^vendor/''']

[[allowlists]]
description = "the sandbox shop token"
targetRules = ["shop-token"]
regexes = ['''sandbox''']
regexTarget = "line"
`

func shopTok(s string) string { return "shop_" + s }

// TestGitleaksDropIn: a repository set up for gitleaks (its config, its
// ignore file, gitleaks:allow comments) scanned with the gitleaks command
// line a CI script already runs gives the findings gitleaks' semantics
// give, and says which config and command it used.
func TestGitleaksDropIn(t *testing.T) {
	dir, commit := gitRepo(t)
	files := map[string]string{
		".gitleaks.toml":      gitleaksConfig,
		"app.env":             "SHOP=" + shopTok("k3j4h5g6f7d8s9a0q1w2e3r4") + "\n",
		"tests/fixture.env":   "SHOP=" + shopTok("m1n2b3v4c5x6z7l8k9j0h1g2") + " # fixture\n",
		"other/fixture.env":   "SHOP=" + shopTok("p0o9i8u7y6t5r4e3w2q1a2s3") + " # fixture, but not under tests/\n",
		"vendor/lib.env":      "SHOP=" + shopTok("z9x8c7v6b5n4m3l2k1j2h3g4") + "\n",
		"sandbox.env":         "SHOP=" + shopTok("q2w3e4r5t6y7u8i9o0p1a2s3") + " # sandbox account\n",
		"signing.txt":         "shopkey-" + "Ab3Cd4Ef5Gh6Ij7Kl8Mn\nshopkey-" + "examplexxxxxxxxxxxxx\n",
		"allowed.env":         "SHOP=" + shopTok("d4f5g6h7j8k9l0a1s2d3f4g5") + " # gitleaks:allow\n",
		"release.jks":         "binary-ish keystore\n",
		"ignored.env":         "SHOP=" + shopTok("l0k9j8h7g6f5d4s3a2q1w2e3") + "\n",
		"generic.py":          `api_key = "` + "Zq8XvB2mK4pLw9NsRt6YhJ3D" + `"` + "\n",
		"legacy/ignored2.env": "SHOP=" + shopTok("v5c4x3z2a1s2d3f4g5h6j7k8") + "\n",
	}
	for _, p := range sortedKeys(files) {
		commit(p, files[p], "add "+p, "2024-01-01T10:00:00Z")
	}
	head := strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD"))
	introduced := strings.TrimSpace(gitOut(t, dir, "log", "--format=%H", "-1", "--", "ignored.env"))
	// .gitleaksignore in both of gitleaks' forms: commit:file:rule:line
	// (history) and file:rule:line (folders).
	ignore := introduced + ":ignored.env:shop-token:1\nlegacy/ignored2.env:shop-token:1\n"
	commit(".gitleaksignore", ignore, "ignore", "2024-01-02T10:00:00Z")
	_ = head

	want := []string{"app.env:shop-token", "other/fixture.env:shop-token", "release.jks:keystore-file", "signing.txt:shop-key"}
	type run struct {
		name string
		args []string
		want []string
	}
	runs := []run{
		{"detect", []string{"detect", "--source", dir, "-v", "--redact", "-f", "json"}, want},
		{"detect --no-git", []string{"detect", "--source=" + dir, "--no-git", "--report-format", "json"},
			// A folder scan has no commit: the commit-form ignore entry
			// cannot apply, the file form does.
			append([]string{"ignored.env:shop-token"}, want...)},
		{"git", []string{"git", dir, "-f", "json"}, want},
		{"--enable-rule", []string{"git", dir, "-f", "json", "--enable-rule", "shop-key"}, []string{"signing.txt:shop-key"}},
		{"--ignore-gitleaks-allow", []string{"dir", dir, "-f", "json", "--ignore-gitleaks-allow"},
			append([]string{"allowed.env:shop-token", "ignored.env:shop-token"}, want...)},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			res := runCLI(t, "", r.args...)
			if res.code != ExitFindings {
				t.Fatalf("exit %d\n%s", res.code, res)
			}
			var fs []struct {
				File   string
				RuleID string `json:"rule_id"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &fs); err != nil {
				t.Fatalf("%v\n%s", err, res)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.File+":"+f.RuleID)
			}
			sort.Strings(got)
			w := append([]string(nil), r.want...)
			sort.Strings(w)
			if strings.Join(got, " ") != strings.Join(w, " ") {
				t.Errorf("findings\n  %v\nwant\n  %v", got, w)
			}
			if !strings.Contains(res.stderr, "using the gitleaks config") {
				t.Errorf("stderr does not say the gitleaks config is used:\n%s", res.stderr)
			}
			if strings.HasPrefix(r.name, "detect") && !strings.Contains(res.stderr, "gitleaks' older command") {
				t.Errorf("no deprecation note:\n%s", res.stderr)
			}
		})
	}

	// protect --staged is the pre-commit command.
	if err := os.WriteFile(filepath.Join(dir, "new.env"), []byte("SHOP="+shopTok("n8b7v6c5x4z3a2s1d2f3g4h5")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitOut(t, dir, "add", "new.env")
	res := runCLI(t, "", "protect", "--staged", "--source", dir, "-f", "json")
	if res.code != ExitFindings || !strings.Contains(res.stdout, `"file": "new.env"`) || strings.Contains(res.stdout, "app.env") {
		t.Errorf("protect --staged: exit %d\n%s", res.code, res)
	}
	// detect --pipe reads stdin.
	res = runCLI(t, "SHOP="+shopTok("a1s2d3f4g5h6j7k8l9z0x9c8")+"\n", "detect", "--pipe", "--config", filepath.Join(dir, ".gitleaks.toml"), "-f", "json")
	if res.code != ExitFindings || !strings.Contains(res.stdout, `"file": "stdin"`) {
		t.Errorf("detect --pipe: exit %d\n%s", res.code, res)
	}
}

// TestGitleaksConfigProblems: unknown keys and what leakhound cannot do are
// reported, every one at once, never ignored silently.
func TestGitleaksConfigProblems(t *testing.T) {
	cfg := writeConfig(t, `
[extend]
useDefault = true
url = "https://example.invalid/gitleaks.toml"

[[rules]]
id = "x"
regex = '''x_[a-z]{8}'''
secretGroup = 0
secret_group = 0
entropyy = 3

[[rules.allowlists]]
targetRules = ["x"]
regexes = ['''y''']
`)
	r := runCLI(t, "", "dir", t.TempDir(), "--config", cfg)
	if r.code != ExitError {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	for _, want := range []string{`unknown key "entropyy"`, "url is not supported", `both "secretGroup" and "secret_group"`, "target_rules belongs in a global"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestGitleaksCompositeRule: gitleaks' required rules (a finding counts
// only with a finding of each required rule near it) and skipReport.
func TestGitleaksCompositeRule(t *testing.T) {
	cfg := writeConfig(t, `
[[rules]]
id = "client-id"
regex = '''client_id\s*=\s*"([a-z0-9]{12})"'''
keywords = ["client_id"]
skipReport = true

[[rules]]
id = "client-secret"
regex = '''client_secret\s*=\s*"([A-Za-z0-9]{24})"'''
keywords = ["client_secret"]

  [[rules.required]]
  id = "client-id"
  withinLines = 2
`)
	dir := t.TempDir()
	secret := "Qm7xK2pL9vR4" + "tZ8wN3bC6dF1"
	testkit.WriteTree(t, dir, map[string]string{
		"paired.py": "client_id = \"abcdef123456\"\nclient_secret = \"" + secret + "\"\n",
		"alone.py":  "client_secret = \"" + secret + "\"\n",
		"far.py":    "client_id = \"abcdef123456\"\n\n\n\n\nclient_secret = \"" + secret + "\"\n",
	})
	res := runCLI(t, "", "dir", dir, "--config", cfg, "--report-format", "json")
	var fs []struct {
		File   string
		RuleID string `json:"rule_id"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &fs); err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	if len(fs) != 1 || fs[0].File != "paired.py" || fs[0].RuleID != "client-secret" {
		t.Errorf("findings %+v, want only the paired secret (the id rule is a component, not reported)", fs)
	}
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitCmd(dir, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}
