package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/attrib"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/testkit"
)

// orderedEvents records every event in the order it was raised.
type orderedEvents struct{ calls []string }

func (o *orderedEvents) Skipped(p string, why source.SkipReason) {
	o.calls = append(o.calls, fmt.Sprintf("skipped %s: %s", p, why))
}
func (o *orderedEvents) Failed(p string, err error) {
	o.calls = append(o.calls, fmt.Sprintf("failed %s: %v", p, err))
}
func (o *orderedEvents) Scanned(string, int64) {}

// TestAttributionSameOnEveryThreadCount: attribution on several
// goroutines emits the same findings and raises the same events, in the
// same order, as on one, over a history long enough to be split among
// workers: tokens added, moved, deleted and re-added on two branches
// merged back, blobs over the size limit, and submodules.
func TestAttributionSameOnEveryThreadCount(t *testing.T) {
	r := &testRepo{&testkit.Repo{T: t, Dir: t.TempDir()}}
	r.Git("init", "-q", "-b", "main")
	rng := rand.New(rand.NewPCG(7, 11))
	token := func() string {
		var b strings.Builder
		b.WriteString("tok_")
		for range 12 {
			b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789"[rng.IntN(36)])
		}
		return b.String()
	}
	var stream strings.Builder
	data := func(s string) { fmt.Fprintf(&stream, "data %d\n%s\n", len(s), s) }
	const commits = 3*attrib.CommitBlock + 40
	for c := range commits {
		branch := "main"
		if c%4 == 1 {
			branch = "side"
		}
		fmt.Fprintf(&stream, "commit refs/heads/%s\nmark :%d\n", branch, c+1)
		fmt.Fprintf(&stream, "committer Cy <cy@example.com> %d +0000\n", 1600000000+c)
		data(fmt.Sprintf("commit %d", c))
		switch {
		case c == 1:
			fmt.Fprintf(&stream, "from :1\n")
		case c > 1 && c%50 == 0:
			fmt.Fprintf(&stream, "merge refs/heads/side\n")
		}
		for range 1 + rng.IntN(3) {
			p := fmt.Sprintf("d%d/f%d.txt", rng.IntN(5), rng.IntN(12))
			switch k := rng.IntN(12); {
			case k < 7:
				fmt.Fprintf(&stream, "M 100644 inline %s\n", p)
				data(fmt.Sprintf("line %d\nkey = %s\n", c, token()))
			case k < 9:
				fmt.Fprintf(&stream, "D %s\n", p)
			case k < 10:
				fmt.Fprintf(&stream, "M 100644 inline %s\n", p)
				data(strings.Repeat("x", 3000) + " " + token() + "\n") // over the limit below
			case k < 11:
				fmt.Fprintf(&stream, "M 160000 %040x %s\n", rng.Uint64(), p)
			default:
				fmt.Fprintf(&stream, "M 100644 inline %s\n", p)
				data(fmt.Sprintf("no secret in commit %d\n", c))
			}
		}
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Env, cmd.Stdin = r.Dir, r.Env(), strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v\n%s", err, out)
	}
	r.Git("repack", "-q", "-ad")

	run := func(threads int) ([]string, []string) {
		det := detect.New(testkit.Set(t, testkit.TokRule), nil)
		ev := &orderedEvents{}
		var emitted []string
		p := &PackScan{Git: r.open(), Threads: threads, MaxBytes: 2000, Events: ev, WantFacts: true}
		var all []detect.Finding
		err := p.Find(context.Background(), det.Detect, func(fs []detect.Finding) error {
			for _, f := range fs {
				emitted = append(emitted, fmt.Sprintf("%s %s %s:%d %s", f.Commit, f.Fingerprint, f.Path, f.StartLine, f.Secret))
			}
			all = append(all, fs...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The audit's facts, asked after attribution, for every secret.
		for _, f := range all {
			where := fmt.Sprintf("facts of %s: in HEAD at %v", f.Secret, p.Facts.InHead(f.RuleID, f.Secret))
			if c := p.Facts.Removal(f.RuleID, f.Secret); c != nil {
				where += fmt.Sprintf(", removed by %+v", *c)
			}
			emitted = append(emitted, where)
		}
		return emitted, ev.calls
	}
	found1, events1 := run(1)
	if len(found1) < commits/2 {
		t.Fatalf("only %d findings: the history is not what the test means", len(found1))
	}
	skips := 0
	for _, e := range events1 {
		if strings.HasPrefix(e, "skipped") {
			skips++
		}
	}
	if skips == 0 {
		t.Fatalf("no blob over the limit was reported: %v", events1)
	}
	for _, threads := range []int{2, 3} {
		found, events := run(threads)
		if !reflect.DeepEqual(found, found1) {
			t.Errorf("%d threads: findings differ from one thread's (%d vs %d)", threads, len(found), len(found1))
		}
		if !reflect.DeepEqual(events, events1) {
			t.Errorf("%d threads: events differ from one thread's (%d vs %d)", threads, len(events), len(events1))
		}
	}
}
