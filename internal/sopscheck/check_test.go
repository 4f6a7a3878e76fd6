package sopscheck

import (
	"sort"
	"strconv"
	"strings"
	"testing"

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
