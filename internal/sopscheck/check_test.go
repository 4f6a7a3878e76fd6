package sopscheck

import (
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
	"github.com/leakhound/leakhound/rules"
)

const enc = "ENC[AES256_GCM,data:cXdlcnR5,iv:aXY=,tag:dGFn,type:str]"

// problems runs Check and returns "rule path:line" for each problem.
func problems(t *testing.T, root string, cfg *rules.CheckConfig) []string {
	t.Helper()
	fs, errs := Check(root, cfg)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.RuleID+" "+f.Path+":"+strconv.Itoa(f.StartLine))
	}
	sort.Strings(out)
	return out
}

func TestPlaintextBySOPSSettings(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		// Default settings: everything but *_unencrypted is encrypted.
		"a.yaml": "db:\n  password: " + enc + "\n  host_unencrypted: db.internal\n  user: app\napi_token: plain\nsops:\n  version: 3.9.0\n",
		// encrypted_regex: only matching subtrees are encrypted.
		"b.yaml": "data:\n  password: " + enc + "\n  token: oops\nmetadata:\n  name: app\nsops:\n  encrypted_regex: ^(data|stringData)$\n  version: 3.9.0\n",
		// JSON, with unencrypted_regex.
		"c.json": "{\n  \"public_url\": \"https://x\",\n  \"secret\": \"plain\",\n  \"ok\": \"" + enc + "\",\n  \"sops\": {\"unencrypted_regex\": \"^public_\", \"version\": \"3.9.0\"}\n}\n",
		// dotenv: metadata flattened into sops_ keys.
		"d.env": "DB_PASSWORD=" + enc + "\nAPI_KEY=plaintext\nsops_version=3.9.0\nsops_age__list_0__map_recipient=age1abc\n",
		// INI, encrypted_suffix.
		"e.ini": "[db]\npassword_secret = " + enc + "\nuser = app\nhost_secret = plain\n[sops]\nencrypted_suffix = _secret\nversion = 3.9.0\n",
		// comment selector.
		"f.yaml": "# sops:enc\nkey: plain\nother: fine\nsops:\n  encrypted_comment_regex: sops:enc\n  version: 3.9.0\n",
		// Not a SOPS file: nothing to say outside a secrets folder.
		"g.yaml": "password: hunter2\n",
	})
	got := problems(t, root, nil)
	want := []string{
		"sops-plaintext-value a.yaml:4", // db.user
		"sops-plaintext-value a.yaml:5", // api_token
		"sops-plaintext-value b.yaml:3", // data.token
		"sops-plaintext-value c.json:3", // secret
		"sops-plaintext-value d.env:2",
		"sops-plaintext-value e.ini:4",
		"sops-plaintext-value f.yaml:2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestSecretsFolderParityRecipientsDevSecrets(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		".sops.yaml":               "creation_rules:\n  - path_regex: secrets/production\\.yaml$\n    age: age1prod\n  - path_regex: .*\n    age: age1dev,age1ops\n",
		"secrets/production.yaml":  "db:\n  password: " + enc + "\n  user: " + enc + "\napi_key: " + enc + "\nsops:\n  age:\n    - recipient: age1prod\n  version: 3.9.0\n",
		"secrets/staging.yaml":     "db:\n  password: " + enc + "\nsops:\n  age:\n    - recipient: age1dev\n  version: 3.9.0\n",
		"secrets/default.yaml":     "db:\n  user: " + enc + "\nsops:\n  age:\n    - recipient: age1dev\n    - recipient: age1ops\n  version: 3.9.0\n",
		"secrets/readme.txt":       "ask ops for access\n",
		"sensitive/production.yml": "token: " + enc + "\nlevel_unencrypted: 3\nsops:\n  age:\n    - recipient: age1dev\n    - recipient: age1ops\n  version: 3.9.0\n",
		"nonsensitive/dev.yml":     "level_unencrypted: 1\n",
		"nonsensitive/base.yml":    "token: x\n",
		"dev/app.env":              "DB_PASSWORD=devpass\nSESSION_SECRET=" + "9f8c2b7e4d1a6f3c0b5e8d2a7c4f1b9e" + "6d3a0c7f4b1e8d5a2c9f6b3e0d7a4c1f\n" + "REGION=eu-west-1\nAWS_ID=AKIA-looking-id\n",
	})
	cfg := &rules.CheckConfig{
		SecretsDirs: []string{"secrets/"},
		DevSecrets:  []string{"dev/*.env"},
		ExemptKeys:  []string{"^REGION$"},
		Parity:      []rules.Parity{{Reference: "sensitive/production.yml", Environments: []string{"nonsensitive/*.yml"}, Defaults: []string{"nonsensitive/base.yml"}}},
		Exempt:      func(v string) bool { return strings.HasPrefix(v, "AKIA") },
	}
	got := problems(t, root, cfg)
	want := []string{
		"sops-missing-key secrets/staging.yaml:1",         // api_key (db.user comes from default.yaml)
		"sops-recipients-mismatch secrets/staging.yaml:1", // age1ops missing
		"sops-unencrypted-file secrets/readme.txt:1",
		"weak-development-secret dev/app.env:1",
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestParseErrorsNameTheFile(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{"secrets/bad.yaml": "a: [unclosed\nsops: x\n"})
	_, errs := Check(root, &rules.CheckConfig{SecretsDirs: []string{"secrets/"}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "secrets/bad.yaml") {
		t.Errorf("errors %v, want one naming the file", errs)
	}
}

// FuzzParse: no input makes the secrets-file parsers panic, and the lines
// they report are within the file.
func FuzzParse(f *testing.F) {
	f.Add("a.yaml", []byte("db:\n  password: "+enc+"\nsops:\n  age:\n    - recipient: age1x\n"))
	f.Add("a.json", []byte(`{"k": "v", "sops": {"kms": [{"arn": "x"}]}}`))
	f.Add("a.env", []byte("K=v\nsops_version=3\n"))
	f.Add("a.ini", []byte("[s]\nk = v\n[sops]\nversion = 3\n"))
	f.Add("a.yaml", []byte("&a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		file, ok, err := Parse(name, data)
		if !ok || err != nil {
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, v := range file.Values {
			// An implicit null at the end of a document sits on the line after it.
			if v.Line < 0 || v.Line > lines+1 {
				t.Fatalf("value %q at line %d of %d", v.Key(), v.Line, lines)
			}
			if _, err := file.Meta.MustEncrypt(v); err != nil && !strings.Contains(err.Error(), "does not compile") {
				t.Fatal(err)
			}
		}
	})
}

// missingKeys runs Check and returns "file key" for each missing-key
// problem, checking that none carries a value.
func missingKeys(t *testing.T, root string, cfg *rules.CheckConfig) []string {
	t.Helper()
	fs, errs := Check(root, cfg)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	return keysOf(t, fs)
}

var definesKey = regexp.MustCompile(` defines (\S+) \(line \d+\)`)

func keysOf(t *testing.T, fs []detect.Finding) []string {
	t.Helper()
	out := []string{}
	for _, f := range fs {
		if f.RuleID != RuleMissingKey {
			t.Errorf("unexpected %s %s:%d: %s", f.RuleID, f.Path, f.StartLine, f.Description)
			continue
		}
		if f.Secret != "" || f.Match != "" || strings.Contains(f.Description, "ENC[") || f.StartLine != 1 {
			t.Errorf("%s: finding carries a value or a line other than 1: %+v", f.Path, f)
		}
		m := definesKey.FindStringSubmatch(f.Description)
		if m == nil {
			t.Errorf("%s: description names no key: %s", f.Path, f.Description)
			continue
		}
		out = append(out, f.Path+" "+m[1])
	}
	sort.Strings(out)
	return out
}

// TestSopsorificLayout: the layout of the sopsorific write-up, as in
// testdata/sopsorific, with no configuration. Production's key paths
// (sensitive/ and nonsensitive/ production files) must reach staging
// through nonsensitive/staging.yml or nonsensitive/default.yml; the
// same-folder convention alone compared nonsensitive/ files only and
// missed both.
func TestSopsorificLayout(t *testing.T) {
	got := missingKeys(t, filepath.Join("testdata", "sopsorific"), nil)
	want := []string{
		"deployment_secrets/nonsensitive/staging.yml mailer.smtp_password", // nested: mailer.from is not it
		"deployment_secrets/nonsensitive/staging.yml session_secret",
		// Not database.username nor payments_api_key: default.yml defines them.
		// Not database.password: staging.yml does. Not production: it is the reference.
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("missing keys\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestLayoutParity: the sensitive/nonsensitive layout in other shapes.
func TestLayoutParity(t *testing.T) {
	sopsMeta := "sops:\n  version: 3.9.0\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		cfg   *rules.CheckConfig
		want  []string
	}{{
		name: "yaml and yml mixed, json beside them, at the root",
		files: map[string]string{
			"sensitive/production.yaml": "api:\n  token: " + enc + "\ndb_password: " + enc + "\n" + sopsMeta,
			"nonsensitive/default.yml":  "api:\n  url: https://api.example.invalid\n",
			"nonsensitive/staging.yaml": "db_password: fake-staging-password\n",
			"nonsensitive/dev.json":     "{\"api\": {\"token\": \"fake-dev-token\"}}\n",
		},
		want: []string{"nonsensitive/dev.json db_password", "nonsensitive/staging.yaml api.token"},
	}, {
		name: "an environment's own secrets count; without a nonsensitive file it has the defaults only",
		files: map[string]string{
			"deploy/sensitive/production.yml": "a: " + enc + "\nb: " + enc + "\nc: " + enc + "\n" + sopsMeta,
			"deploy/sensitive/staging.yml":    "a: " + enc + "\n" + sopsMeta,
			"deploy/nonsensitive/default.yml": "b: shared\n",
			"deploy/nonsensitive/qa.yml":      "c: fake-qa-value\n",
		},
		want: []string{"deploy/nonsensitive/qa.yml a", "deploy/sensitive/staging.yml c"},
	}, {
		name: "lists compare by the key holding them",
		files: map[string]string{
			"x/sensitive/production.yml": "hosts:\n  - " + enc + "\n  - " + enc + "\n" + sopsMeta,
			"x/nonsensitive/staging.yml": "hosts:\n  - fake-host\n",
		},
		want: []string{},
	}, {
		name: "a folder with sensitive/ alone keeps the same-folder convention",
		files: map[string]string{
			"y/sensitive/production.yml": "a: " + enc + "\nb: " + enc + "\n" + sopsMeta,
			"y/sensitive/staging.yml":    "a: " + enc + "\n" + sopsMeta,
		},
		want: []string{"y/sensitive/staging.yml b"},
	}, {
		name: "a [[check.parity]] entry for the layout is what reports, once",
		files: map[string]string{
			"sensitive/production.yml":  "a: " + enc + "\nb: " + enc + "\n" + sopsMeta,
			"nonsensitive/default.yml":  "a: shared\n",
			"nonsensitive/staging.yml":  "c: x\n",
			"nonsensitive/overlaps.yml": "a: x\n",
		},
		cfg: &rules.CheckConfig{Parity: []rules.Parity{{Reference: "sensitive/production.yml",
			Environments: []string{"nonsensitive/*.yml"}, Defaults: []string{"nonsensitive/default.yml"}}}},
		want: []string{"nonsensitive/overlaps.yml b", "nonsensitive/staging.yml b"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			testkit.WriteTree(t, root, tc.files)
			fs, errs := Check(root, tc.cfg)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			got := keysOf(t, fs)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("missing keys\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if tc.cfg != nil {
				for _, f := range fs {
					if !strings.HasSuffix(f.Description, "nor does a defaults file") {
						t.Errorf("reported by the layout too, not only as configured: %s", f.Description)
					}
				}
			}
		})
	}
}

// TestLayoutBrokenFile: a nonsensitive file that is not valid YAML is an
// error naming it, although it says nothing of SOPS; its environment is
// not checked (every key would look missing), the others are.
func TestLayoutBrokenFile(t *testing.T) {
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		"deployment_secrets/sensitive/production.yml":  "api_key: " + enc + "\nsops:\n  version: 3.9.0\n",
		"deployment_secrets/nonsensitive/staging.yml":  "api_key: [unclosed\n",
		"deployment_secrets/nonsensitive/qa.yml":       "log_level: debug\n",
		"deployment_secrets/nonsensitive/default.yml":  "log_level: info\n",
		"deployment_secrets/nonsensitive/unrelated.md": "# notes\n",
	})
	fs, errs := Check(root, nil)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "deployment_secrets/nonsensitive/staging.yml: not valid YAML") {
		t.Errorf("errors %v, want one naming deployment_secrets/nonsensitive/staging.yml", errs)
	}
	if got := strings.Join(keysOf(t, fs), "\n"); got != "deployment_secrets/nonsensitive/qa.yml api_key" {
		t.Errorf("missing keys %q, want qa.yml's api_key only", got)
	}
}
