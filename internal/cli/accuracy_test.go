package cli

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/leakhound/leakhound/internal/accuracy"
)

// corpusDir is the labeled accuracy corpus (testdata/accuracy): files in
// realistic contexts whose every secret and decoy line is labeled in
// truth.tsv.
var corpusDir = filepath.Join("..", "..", "testdata", "accuracy")

// floors are the committed minimums per category, as recall: a change that
// loses detection fails here, with the table and the misses in the log.
// Overall recall and precision must both reach 0.98.
var floors = map[string]float64{
	"vendor":            0.98,
	"private-key":       1.0,
	"password":          0.95,
	"connection-string": 0.95,
	"generic":           0.90,
}

const minOverall = 0.98

// TestAccuracyCorpusDir scans the corpus as a user would (`leakhound dir`,
// JSON report) and scores the report against the labels.
func TestAccuracyCorpusDir(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.json")
	r := runCLI(t, "", "dir", filepath.Join(corpusDir, "corpus"), "--report-format", "json", "--report-path", report, "--exit-code", "0")
	if r.code != 0 {
		t.Fatalf("scan failed:\n%s", r)
	}
	checkScore(t, report)
}

// TestAccuracyCorpusHistory commits the corpus to a repository and scans
// its history: a full-history scan must find what a folder scan finds, on
// the same lines.
func TestAccuracyCorpusHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	src := filepath.Join(corpusDir, "corpus")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(repo, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.name=Corpus", "-c", "user.email=corpus@example.invalid", "commit", "-q", "-m", "corpus"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	report := filepath.Join(t.TempDir(), "report.json")
	r := runCLI(t, "", "git", repo, "--report-format", "json", "--report-path", report, "--exit-code", "0")
	if r.code != 0 {
		t.Fatalf("scan failed:\n%s", r)
	}
	checkScore(t, report)
}

func checkScore(t *testing.T, report string) {
	t.Helper()
	tf, err := os.Open(filepath.Join(corpusDir, "truth.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	truth, err := accuracy.ParseTruth(tf, "truth.tsv")
	if err != nil {
		t.Fatal(err)
	}
	rf, err := os.Open(report)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	hits, err := accuracy.ParseReport(rf, "")
	if err != nil {
		t.Fatal(err)
	}
	s := accuracy.Evaluate(truth, hits)
	var table bytes.Buffer
	accuracy.WriteTable(&table, []string{"leakhound"}, []accuracy.Score{s})
	t.Logf("\n%s", table.String())
	fail := false
	for _, c := range s.Categories {
		if c.Recall() < floors[c.Name] {
			t.Errorf("%s: recall %.3f below the floor %.2f", c.Name, c.Recall(), floors[c.Name])
			fail = true
		}
	}
	if s.Total.Recall() < minOverall || s.Total.Precision() < minOverall {
		t.Errorf("overall recall %.3f, precision %.3f: both must be at least %.2f", s.Total.Recall(), s.Total.Precision(), minOverall)
		fail = true
	}
	if fail {
		for _, m := range s.Misses {
			t.Logf("missed %s:%d (%s)", m.Path, m.Line, m.Label)
		}
		for _, h := range s.FalsePositives {
			t.Logf("false positive %s:%d (%s)", h.Path, h.Line, h.Rule)
		}
	}
}
