package detect

import "testing"

func TestKeyOf(t *testing.T) {
	for _, tc := range []struct{ prefix, want string }{
		{`LABEL_CURRENT_PASSWORD": "`, "label_current_password"},
		{`currentPassword = "`, "current_password"},
		{`--db-password=`, "db_password"},
		{`ds.setPassword("`, "ds_set_password"},
		{"- name: DB_PASSWORD\n  value: \"", "db_password"},
		{`<add key="SmtpPassword" value="`, "smtp_password"},
		{`XMLHttpApiKey: `, "xml_http_api_key"},
		{`Authorization: Basic `, "authorization"},
		{`password = Some("`, "password"},
		{`"`, ""},
		{`# public key: `, "public_key"},
		{`- Release GPG key: `, "release_gpg_key"},
		{`const string password = "`, "password"},
		{`public String key = "`, "key"},
		{`# Default password: `, "default_password"},
		{`Uploaded file to key: `, "to_key"},
		{"\t\tobjectKey := object.FlatKey(\"", "object_key"},
		{`ovhcloudApplicationSecretTest = config.Secret("`, "ovhcloud_application_secret_test"},
		{`'secret' => new Secret('`, "secret"},
		{`$token = $this->crypto->decode(b'`, "token"},
		{`rememberMe.key = Base64.decode("`, "remember_me_key"},
		{`client.setApiKey("`, "client_set_api_key"},
	} {
		if got := keyOf([]byte(tc.prefix)); got != tc.want {
			t.Errorf("keyOf(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}
