package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/rules"
)

// stagedFixture is what `leakhound git --staged` reports: findings in the
// index, with a path and lines but no commit.
func stagedFixture() []detect.Finding {
	return []detect.Finding{
		{
			RuleID: "test-token", Description: "Test token",
			Secret: dirSecret, Match: "api_key = " + dirSecret,
			StartLine: 7, EndLine: 7, StartColumn: 11, EndColumn: 30,
			Entropy: 3.875123456, Fingerprint: "config/app.env:test-token:0a1b2c3d4e5f6a7b",
			Tags: []string{"test"}, Severity: rules.High, Confidence: rules.ConfidenceHigh,
			Provenance: detect.Provenance{Kind: detect.KindStaged, Path: "config/app.env", BlobID: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"},
		},
	}
}

// TestGoldenStaged pins how staged findings read: marked as not committed
// yet, with advice that fits (nothing to purge from history), and no
// commit fields in JSON.
func TestGoldenStaged(t *testing.T) {
	for _, g := range []struct {
		name string
		rep  Reporter
		opt  Options
	}{
		{"text-staged", Text{}, Options{Summary: "1 finding"}},
		{"json-staged", JSON{}, Options{}},
	} {
		t.Run(g.name, func(t *testing.T) {
			got := render(t, g.rep, stagedFixture(), g.opt)
			path := filepath.Join("testdata", "golden", g.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, lineDiff(string(want), string(got)))
			}
		})
	}
}
