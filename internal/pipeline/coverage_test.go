package pipeline

import "testing"

// TestDefaultRulesCover pins the credential kinds the default set must
// cover by rule id, so a rule cannot silently disappear in a refactor.
func TestDefaultRulesCover(t *testing.T) {
	set := defaultSet(t)
	for _, id := range []string{
		// cloud
		"aws-access-key-id", "aws-secret-access-key", "gcp-api-key", "gcp-service-account-key-id",
		"azure-storage-account-key", "azure-ad-client-secret", "azure-client-secret-assignment",
		// source hosting
		"github-pat", "github-fine-grained-pat", "github-oauth-token", "gitlab-pat", "bitbucket-app-password",
		// payments and messaging
		"stripe-secret-key", "twilio-api-key", "sendgrid-api-key", "mailgun-api-key",
		"slack-bot-token", "slack-user-token", "slack-webhook-url",
		// secret managers
		"vault-service-token", "doppler-service-token", "1password-service-account-token",
		// package registries
		"npm-access-token", "pypi-upload-token", "dockerhub-pat",
		// AI APIs
		"openai-api-key", "anthropic-api-key",
		// keys and tokens
		"private-key", "pgp-private-key-block", "putty-private-key", "jwt",
		// URLs and generic secrets
		"url-credentials", "generic-secret", "generic-password", "generic-password-unquoted",
	} {
		if set.ByID(id) == nil {
			t.Errorf("default rules lack %q", id)
		}
	}
}

// TestGenericSecretSyntaxes checks that a high-entropy value assigned to a
// secret-ish name is found in every common syntax, and that the same
// assignment of an environment lookup or template variable is not. The
// values are assembled at run time so this file holds no secret literally.
func TestGenericSecretSyntaxes(t *testing.T) {
	s := New(defaultSet(t), Options{})
	tok := "q7Vx2" + "LmZ9kR4t" + "Wb8Np3Hs" // token-like: 21 chars of mixed case and digits
	pw := "Vq7#mP2" + "x!Lr9&kz"             // password-like: symbols included
	tests := []struct{ name, path, line string }{
		{"go", "main.go", `apiKey := "` + tok + `"`},
		{"go struct", "cfg.go", `	ClientSecret: "` + tok + `",`},
		{"python", "settings.py", `API_KEY = '` + tok + `'`},
		{"python kwarg", "db.py", `connect(host="db", password="` + pw + `")`},
		{"js", "app.js", `const secretToken = "` + tok + `";`},
		{"ts", "app.ts", `const apiKey: string = '` + tok + `';`},
		{"java", "App.java", `private static final String PASSWORD = "` + pw + `";`},
		{"ruby", "app.rb", `  config.secret_key = "` + tok + `"`},
		{"php", "config.php", `$password = '` + pw + `';`},
		{"php array", "config.php", `    'api_key' => '` + tok + `',`},
		{"shell", "deploy.sh", `export API_TOKEN="` + tok + `"`},
		{"yaml", "values.yaml", `  password: "` + pw + `"`},
		{"json", "creds.json", `  "client_secret": "` + tok + `",`},
		{"toml", "app.toml", `secret = "` + tok + `"`},
		{"ini", "app.ini", `password = ` + pw},
		{".env", ".env", `API_SECRET=` + tok},
		{"properties", "application.properties", `spring.datasource.password=` + pw},
		{"xml element", "web.xml", `<password>` + pw + `</password>`},
		{"xml attribute", "app.config", `<add key="ApiKey" value="` + tok + `" />`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := s.ExampleFindings(tt.line+"\n", tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) == 0 {
				t.Fatalf("nothing found in %s", tt.path)
			}
			if fs[0].Secret != tok && fs[0].Secret != pw {
				t.Errorf("secret %q is not the planted value", fs[0].Secret)
			}
		})
	}
	quiet := []struct{ name, path, line string }{
		{"go env", "main.go", `apiKey := os.Getenv("API_KEY")`},
		{"python env", "settings.py", `API_KEY = os.environ["API_KEY"]`},
		{"js env", "app.js", `const secretToken = process.env.SECRET_TOKEN;`},
		{"helm", "values.yaml", `  password: "{{ .Values.db.password }}"`},
		{"actions", "ci.yml", `          token: ${{ secrets.GITHUB_TOKEN }}`},
		{"spring", "application.properties", `spring.datasource.password=${DB_PASSWORD}`},
		{"placeholder", ".env", `API_SECRET=your-api-secret-here`},
		{"sops", "secrets.yaml", `password: ENC[AES256_GCM,data:` + "Zm9vYmFy" + `,iv:abc,tag:def,type:str]`},
		{"code", "auth.go", `func validateToken(token string) error { return check(token) }`},
	}
	for _, tt := range quiet {
		t.Run("quiet/"+tt.name, func(t *testing.T) {
			fs, err := s.ExampleFindings(tt.line+"\n", tt.path)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				t.Errorf("reported %s on a non-secret", f.RuleID)
			}
		})
	}
}
