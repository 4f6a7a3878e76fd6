package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
)

// TestCheckCommand runs `leakhound check` on a repository layout with a
// .leakhound.toml [check] table, as CI would: a plaintext value in a SOPS
// file and a secrets folder's plain file are reported with their lines,
// in every format, with the scans' exit codes.
func TestCheckCommand(t *testing.T) {
	enc := "ENC[AES256_GCM,data:cXdlcnR5,iv:aXY=,tag:dGFn,type:str]"
	root := t.TempDir()
	testkit.WriteTree(t, root, map[string]string{
		".leakhound.toml":          "[extend]\nuse_default = true\n\n[check]\nsecrets_dirs = [\"secrets/\"]\n",
		"secrets/production.yaml":  "db:\n  password: " + enc + "\napi_token: leaked-in-plaintext-1\nsops:\n  version: 3.9.0\n",
		"secrets/notes.txt":        "not encrypted\n",
		"secrets/staging.yaml":     "db:\n  password: " + enc + "\napi_token: " + enc + "\nsops:\n  version: 3.9.0\n",
		"app/config_unrelated.yml": "name: shop\n",
	})
	r := runCLI(t, "", "check", root, "--report-format", "json")
	if r.code != ExitFindings {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	var fs []struct {
		RuleID string `json:"rule_id"`
		File   string
		Line   int `json:"start_line"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.RuleID+" "+f.File+":"+itoa(f.Line))
	}
	want := "sops-unencrypted-file secrets/notes.txt:1 sops-plaintext-value secrets/production.yaml:3"
	if strings.Join(got, " ") != want {
		t.Errorf("problems %v, want %s", got, want)
	}
	for _, format := range []string{"text", "sarif", "junit", "csv", "jsonl"} {
		if r := runCLI(t, "", "check", root, "--report-format", format); r.code != ExitFindings || !strings.Contains(r.stdout, "sops-plaintext-value") {
			t.Errorf("%s: exit %d\n%s", format, r.code, r)
		}
	}
	clean := t.TempDir()
	testkit.WriteTree(t, clean, map[string]string{"secrets/a.yaml": "k: " + enc + "\nsops:\n  version: 3.9.0\n"})
	if r := runCLI(t, "", "check", clean, "--config", filepath.Join(root, ".leakhound.toml")); r.code != ExitClean {
		t.Errorf("clean tree: exit %d\n%s", r.code, r)
	}
}

// TestCheckSopsorificLayout runs `leakhound check DIR` with no
// configuration on the layout of the sopsorific write-up: a key
// production has that staging defines neither in nonsensitive/staging.yml
// nor through nonsensitive/default.yml is reported at staging's file
// (exit 1); the tree completed is clean (exit 0); a broken nonsensitive
// file is named on stderr (exit 2).
func TestCheckSopsorificLayout(t *testing.T) {
	enc := "ENC[AES256_GCM,data:ZmFrZQ==,iv:ZmFrZS1pdg==,tag:ZmFrZS10YWc=,type:str]"
	tree := map[string]string{
		"deployment_secrets/sensitive/production.yml": "database:\n  password: " + enc + "\n  username: " + enc +
			"\nmailer:\n  smtp_password: " + enc + "\nsops:\n  kms:\n    - arn: arn:aws:kms:us-east-1:000000000000:key/fake\n  version: 3.9.0\n",
		"deployment_secrets/nonsensitive/default.yml":    "database:\n  username: app\n",
		"deployment_secrets/nonsensitive/staging.yml":    "database:\n  password: fake-staging-password\nmailer:\n  from: noreply@example.invalid\n",
		"deployment_secrets/nonsensitive/production.yml": "log_level: warn\n",
	}
	root := t.TempDir()
	testkit.WriteTree(t, root, tree)
	r := runCLI(t, "", "check", root, "--report-format", "json")
	if r.code != ExitFindings {
		t.Fatalf("exit %d, want %d\n%s", r.code, ExitFindings, r)
	}
	var fs []struct {
		RuleID      string `json:"rule_id"`
		Description string
		File        string
		Line        int    `json:"start_line"`
		Secret      string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.RuleID+" "+f.File+":"+itoa(f.Line))
		if f.Secret != "" || strings.Contains(f.Description, "ENC[") {
			t.Errorf("a missing key carries a value: %+v", f)
		}
	}
	// mailer.smtp_password, and log_level from production's plaintext file.
	want := "sops-missing-key deployment_secrets/nonsensitive/staging.yml:1 sops-missing-key deployment_secrets/nonsensitive/staging.yml:1"
	if strings.Join(got, " ") != want {
		t.Errorf("problems %v, want %s", got, want)
	}
	text := runCLI(t, "", "check", root)
	for _, key := range []string{"mailer.smtp_password", "log_level"} {
		if !strings.Contains(text.stdout, " defines "+key+" ") {
			t.Errorf("text report does not name %s:\n%s", key, text)
		}
	}
	if strings.Contains(text.stdout, "database.username") || strings.Contains(text.stdout, "database.password") {
		t.Errorf("reported a key staging defines, itself or through default.yml:\n%s", text)
	}

	complete := t.TempDir()
	tree["deployment_secrets/nonsensitive/default.yml"] = "database:\n  username: app\nlog_level: info\nmailer:\n  smtp_password: fake-smtp-password\n"
	testkit.WriteTree(t, complete, tree)
	if r := runCLI(t, "", "check", complete); r.code != ExitClean {
		t.Errorf("complete layout: exit %d, want %d\n%s", r.code, ExitClean, r)
	}

	broken := t.TempDir()
	tree["deployment_secrets/nonsensitive/staging.yml"] = "database: [unclosed\n"
	testkit.WriteTree(t, broken, tree)
	r = runCLI(t, "", "check", broken)
	if r.code != ExitError || !strings.Contains(r.stderr, "deployment_secrets/nonsensitive/staging.yml: not valid YAML") {
		t.Errorf("broken staging.yml: exit %d, want %d and its name on stderr\n%s", r.code, ExitError, r)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
