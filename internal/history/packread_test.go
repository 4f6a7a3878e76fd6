package history

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/testkit"
)

// corpusHistory builds a repository from the accuracy corpus: its files
// are edited at random over many commits (lines with secrets inserted from
// other files, lines deleted, changed and moved, files renamed), on two
// branches that merge, then repacked so most versions are deltas.
func corpusHistory(t *testing.T, format string, commits int) *testRepo {
	t.Helper()
	r := &testRepo{&testkit.Repo{T: t, Dir: t.TempDir()}}
	r.Git("init", "-q", "-b", "main", "--object-format="+format)
	// Files of several corpus files each, some kilobytes long, so that a
	// few edits leave most of a version copied from the last.
	corpus, donor := testkit.Corpus(t)
	files := map[string][]string{}
	for i, name := range slices.Sorted(maps.Keys(corpus)) {
		big := fmt.Sprintf("part%d/combined.txt", i%8)
		files[big] = append(files[big], strings.SplitAfter(corpus[name], "\n")...)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	rng := rand.New(rand.NewPCG(5, 8))
	write := func() {
		for n, lines := range files {
			r.Write(n, strings.Join(lines, ""))
		}
	}
	write()
	r.Commit("corpus")
	for c := range commits {
		if c == commits/2 {
			r.Git("checkout", "-q", "-b", "side")
		}
		if c == 3*commits/4 {
			r.Git("checkout", "-q", "main")
		}
		for range 1 + rng.IntN(3) {
			n := names[rng.IntN(len(names))]
			lines := files[n]
			at := rng.IntN(len(lines) + 1)
			switch rng.IntN(5) {
			case 0, 1:
				lines = slices.Insert(lines, at, donor[rng.IntN(len(donor))])
			case 2:
				if at < len(lines) {
					lines = slices.Delete(lines, at, at+1)
				}
			case 3:
				if at < len(lines) && len(lines[at]) > 4 {
					cut := 1 + rng.IntN(len(lines[at])-2)
					lines[at] = lines[at][:cut] + fmt.Sprint(rng.IntN(10)) + lines[at][cut:]
				}
			case 4:
				if at < len(lines) {
					l := lines[at]
					lines = slices.Delete(lines, at, at+1)
					lines = slices.Insert(lines, rng.IntN(len(lines)+1), l)
				}
			}
			files[n] = lines
		}
		write()
		r.Commit(fmt.Sprintf("edit %d", c))
	}
	r.Tick++
	r.Git("merge", "-q", "--no-ff", "-X", "theirs", "-m", "merge side", "side")
	r.Git("gc", "-q", "--aggressive")
	return r
}

// TestInProcessEqualsCatFile scans a history whose versions are mostly
// deltas twice: in-process, each delta scanned by what it changed, and
// through git cat-file, each blob scanned whole. Every finding must be
// the same, with the same provenance and position.
func TestInProcessEqualsCatFile(t *testing.T) {
	det := detect.New(testkit.Set(t, config.Default()), nil)
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			commits := 80
			if testing.Short() {
				commits = 20
			}
			r := corpusHistory(t, format, commits)
			scan := func(p *PackScan) ([]string, string) {
				var log bytes.Buffer
				p.Git, p.Threads = r.open(), 2
				p.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
				var got []string
				err := p.Find(context.Background(), det.Detect, func(fs []detect.Finding) error {
					for _, f := range fs {
						got = append(got, fmt.Sprintf("%s %s:%d:%d-%d:%d %s %s", f.Commit[:12], f.Path, f.StartLine,
							f.StartColumn, f.EndLine, f.EndColumn, f.RuleID, detect.SecretHash(f.RuleID, f.Secret)))
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(got)
				return got, log.String()
			}
			want, _ := scan(&PackScan{CatFile: true})
			got, log := scan(&PackScan{Incremental: det})
			if !strings.Contains(log, "read objects in-process") {
				t.Fatalf("the in-process reader was not used:\n%s", log)
			}
			var byDelta, bytes, rescanned int
			for l := range strings.SplitSeq(log, "\n") {
				if strings.Contains(l, "read objects in-process") {
					fmt.Sscanf(l[strings.Index(l, "blobs_scanned_by_delta="):], "blobs_scanned_by_delta=%d their_bytes=%d bytes_rescanned_in_them=%d", &byDelta, &bytes, &rescanned)
				}
			}
			if byDelta == 0 || rescanned*4 > bytes*3 {
				t.Fatalf("%d blobs scanned by their delta, %d of their %d bytes rescanned: most should be carried over\n%s", byDelta, rescanned, bytes, log)
			}
			if len(want) < 50 {
				t.Fatalf("only %d findings: the history should hold many", len(want))
			}
			for l := range strings.SplitSeq(log, "\n") {
				if strings.Contains(l, "read objects in-process") {
					t.Logf("%d findings; %s", len(want), l)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("in-process scan differs from cat-file's:\nonly in-process:\n%s\nonly cat-file:\n%s",
					strings.Join(minus(got, want), "\n"), strings.Join(minus(want, got), "\n"))
			}
		})
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
