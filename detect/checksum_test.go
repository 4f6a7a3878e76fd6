package detect

import (
	"hash/crc32"
	"testing"

	"github.com/leakhound/leakhound/internal/testkit"
	"github.com/leakhound/leakhound/rules"
)

func TestChecksumSetsConfidence(t *testing.T) {
	set := testkit.Set(t, `
[[rules]]
id = "gh"
description = "GitHub token"
regex = '''\b(ghp_[A-Za-z0-9]{36})\b'''
keywords = ["ghp_"]
checksum = "github-crc32"

[[rules]]
id = "generic"
description = "generic"
regex = '''token = "([A-Za-z0-9]{20,})"'''
keywords = ["token"]
tags = ["generic"]
`)
	d := New(set, nil)
	valid := testkit.GitHubToken("ghp_", "Qm7xK2pL9vR4tZ8wN3bC6dF1gH5jS0")
	forged := valid[:len(valid)-1] + map[bool]string{true: "A", false: "B"}[valid[len(valid)-1] != 'A']
	cases := []struct {
		content string
		want    rules.Confidence
	}{
		{"x " + valid, rules.ConfidenceHigh},
		{"x " + forged, rules.ConfidenceLow},
		{`token = "` + "Vx9kQ2mLp7" + "RtZ4wN8bC1" + `"`, rules.ConfidenceMedium},
	}
	for _, c := range cases {
		f := only(t, detectAll(t, d, c.content, "a"))
		if f.Confidence != c.want {
			t.Errorf("%s: confidence %v, want %v", f.RuleID, f.Confidence, c.want)
		}
	}
}

func TestBitbucketChecksum(t *testing.T) {
	body := "ATBB" + "Qm7xK2pL9vR4tZ8wN3bC6dF1gH5j"
	sum := crc32.ChecksumIEEE([]byte(body))
	valid := body + fmtHex(sum)
	if !checksumValid("bitbucket-crc32", valid) {
		t.Errorf("valid app password rejected")
	}
	if checksumValid("bitbucket-crc32", body+"00000000") && sum != 0 {
		t.Errorf("wrong checksum accepted")
	}
	if checksumValid("github-crc32", "ghp_short") {
		t.Errorf("a short token passed")
	}
}

func fmtHex(n uint32) string {
	const hexd = "0123456789ABCDEF"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = hexd[n&15]
		n >>= 4
	}
	return string(b)
}

func TestLowEntropyExemptionJudgesByBits(t *testing.T) {
	set := testkit.Set(t, `
[[rules]]
id = "hexkey"
description = "vendor hex key"
regex = '''vendor_key=([0-9]{24})'''
keywords = ["vendor_key"]
entropy = 3.5
`)
	digits := "839201" + "574629" + "018374" + "652093" // 24 digits: ~80 bits, 3.3 bits/char
	if fs := detectAll(t, New(set, nil), "vendor_key="+digits, "a"); len(fs) != 0 {
		t.Fatalf("decimal key passed a 3.5 floor: %+v", fs)
	}
	set.Rules[0].LowEntropy = "24 decimal digits by design"
	set.Rules[0].MinBits = 70
	if fs := detectAll(t, New(set, nil), "vendor_key="+digits, "a"); len(fs) != 1 {
		t.Fatalf("exempt rule: %d findings, want 1", len(fs))
	}
	if fs := detectAll(t, New(set, nil), "vendor_key=123456789012345678901234", "a"); len(fs) != 0 {
		t.Fatalf("exempt rule reported a made-up sequence: %+v", fs)
	}
}
