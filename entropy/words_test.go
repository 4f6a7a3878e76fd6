package entropy

import "testing"

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		// Words and identifiers made of words, in any script.
		{"workstation", true},
		{"smtpServer", true},
		{"TestTableHashKey", true},
		{"gateway-route", true},
		{"config.script.db.schema.password", true},
		{"encryptionKey1024", true},
		{"XMLHttpRequest", true},
		{"Passwort ändern", true},
		{"Contraseña", true},
		{"パスワード", true},
		{"Новый пароль", true},
		{"Invalid email or password", true},
		{"PostDetails", true},
		{"v2", false}, // too short to say
		// Random tokens.
		{"xcurnltx", false},
		{"brymttnkvlmojbdmvsyvmrbraddwokangmysiiblcaqq", false},
		{"gkavsnbruipmqylvtbniokoz", false},
		{"NGFJGTMOONKKXUZUXCWE", false},
		{"e9bd97b8", false},
		{"606ac3bb-c34d-97b6-6dac-1e891f48d7c2", false},
		{"Usjay#8VZ]oQ5p", false},
		{"lrCdGSaKdKbYgg7b7F6HbHqUgfD6nji88mTXkqz2", false},
		{"12345678", false},
		{"wdtayckjyusoncnpojaqtofbss", false},
		{"kvooctma-ixzs-bckv-vuac-lzekxepnagcg", false},
		{"nUfDVuMvoVmHOhqVvMicnCugHknydHeh", false},
		{"sunshine", true},
		{"compositions", true},
		{"asset_versions", true},
	} {
		if got := Words([]byte(tc.in)); got != tc.want {
			t.Errorf("Words(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func FuzzWords(f *testing.F) {
	for _, s := range []string{"smtpServer", "e9bd97b8", "Passwort ändern", "\xff\xfe", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		Words(b) // must not panic on any input
	})
}

func TestIdentifier(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"new_password", true},
		{"dbPassword", true},
		{"config.db.password", true},
		{"passwordInput", true},
		{"sunshine", false},
		{"Passwort vergessen", false},
		{"ZvehDcbimc", false},
		{"h4bka08BdNfofXhD", false},
		{"kkmsbxgv_ucrvxxdepe", false},
		{"Kannig_11d", false},
	} {
		if got := Identifier([]byte(tc.in)); got != tc.want {
			t.Errorf("Identifier(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
