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

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
