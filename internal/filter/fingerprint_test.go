package filter

import (
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
)

// TestBaselineCarriesTheFingerprintsHash: the baseline reads a secret's
// hash from the fingerprint the detector computed, rather than hash the
// secret again, and hashes it only when the finding has no fingerprint
// of that form.
func TestBaselineCarriesTheFingerprintsHash(t *testing.T) {
	for _, commit := range []string{"", "9fceb02d0ae598e95dc970b74767f19372d61af8"} {
		f := &detect.Finding{RuleID: "tok", Secret: "tok_a1b2c3d4e5f6", Provenance: detect.Provenance{Path: "dir/a:b.env", Commit: commit}}
		want := detect.SecretHash(f.RuleID, f.Secret)
		if got := secretHash(f); got != want {
			t.Errorf("commit %q, no fingerprint: %s, want %s", commit, got, want)
		}
		f.Fingerprint = detect.Fingerprint(f)
		if got := secretHash(f); got != want {
			t.Errorf("commit %q, fingerprinted: %s, want %s", commit, got, want)
		}
		// Carried, not recomputed: a fingerprint of the right form is
		// what counts.
		f.Fingerprint = strings.TrimSuffix(f.Fingerprint, want) + "0123456789abcdef"
		if got := secretHash(f); got != "0123456789abcdef" {
			t.Errorf("commit %q: %s, want the fingerprint's hash", commit, got)
		}
		for _, fp := range []string{"", "x", "dir/a:b.env:tok:0123", "other.env:tok:0123456789abcdef", "dir/a:b.env:tik:0123456789abcdef", "dir/a:b.env:tok-0123456789abcdef"} {
			f.Fingerprint = fp
			if commit != "" && fp != "" {
				f.Fingerprint = commit + ":" + fp
			}
			if got := secretHash(f); got != want {
				t.Errorf("fingerprint %q: %s, want the secret hashed", f.Fingerprint, got)
			}
		}
	}
}

// TestBaselineHashesWithoutAFingerprintsCommit: a history finding's
// fingerprint must carry its commit to be read.
func TestBaselineHashesWithoutAFingerprintsCommit(t *testing.T) {
	f := &detect.Finding{RuleID: "tok", Secret: "tok_a1b2c3d4e5f6", Provenance: detect.Provenance{Path: "a.env", Commit: "abc"}}
	want := detect.SecretHash(f.RuleID, f.Secret)
	for _, fp := range []string{"a.env:tok:0123456789abcdef", "abca.env:tok:0123456789abcdef", "abc", "abc:"} {
		f.Fingerprint = fp
		if got := secretHash(f); got != want {
			t.Errorf("fingerprint %q: %s, want the secret hashed", fp, got)
		}
	}
}
