package history

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/source"
	"github.com/leakhound/leakhound/internal/testkit"
)

// emitted runs a Finder with TokRule and returns every finding it
// emitted, in order, printed whole (provenance, dates with their zones).
func emitted(t *testing.T, find func(context.Context, source.DetectFunc, func([]detect.Finding) error) error) string {
	t.Helper()
	det := detect.New(testkit.Set(t, testkit.TokRule), nil)
	var b strings.Builder
	err := find(context.Background(), det.Detect, func(fs []detect.Finding) error {
		fmt.Fprintf(&b, "batch %d\n", len(fs))
		for _, f := range fs {
			fmt.Fprintf(&b, "%+v\n", f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// fullEmitted is what a full scan with threads emits, and what its
// audit facts say (when audit).
func fullEmitted(t *testing.T, g *gitplumb.Git, threads int, audit bool) string {
	t.Helper()
	p := &PackScan{Git: g, Threads: threads, WantFacts: audit}
	return emitted(t, p.Find) + dumpFacts(p.Facts)
}

// dumpFacts prints what an audit asks of f, for every secret and every
// commit of the repository, or "" when f is nil.
func dumpFacts(f *Facts) string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "head %s %s\n", f.Head, f.HeadRef)
	var groups [][]string
	for _, k := range sortedKeys(f.inHead) {
		fmt.Fprintf(&b, "in head %q: %v\n", k, f.inHead[k])
	}
	for _, k := range sortedKeys(f.removed) {
		fmt.Fprintf(&b, "removed %q: %+v\n", k, *f.removed[k])
	}
	for name, c := range f.refs {
		groups = append(groups, []string{f.st.Hex(c)})
		_ = name
	}
	slices.SortFunc(groups, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	fmt.Fprintf(&b, "refs reaching %v: %v\n", groups, f.RefsReaching(groups))
	return b.String()
}

// stateRun runs a StateScan over g from prior (round-tripped through the
// file format, as a real run reads it) and checks that it emits what a
// full scan emits, with 1 and 2 threads.
func stateRun(t *testing.T, g *gitplumb.Git, prior *ScanState, wantMode string) *StateScan {
	t.Helper()
	return stateRunAs(t, g, prior, wantMode, false)
}

// stateRunAs is stateRun for an audit (audit set) or a scan.
func stateRunAs(t *testing.T, g *gitplumb.Git, prior *ScanState, wantMode string, audit bool) *StateScan {
	t.Helper()
	if prior != nil {
		data, err := EncodeState(prior)
		if err != nil {
			t.Fatal(err)
		}
		if prior, err = DecodeState(data); err != nil {
			t.Fatal(err)
		}
	}
	s := &StateScan{Scan: &PackScan{Git: g, Threads: 2, WantFacts: audit}, Prior: prior, Key: StateKey("test")}
	got := emitted(t, s.Find) + dumpFacts(s.Scan.Facts)
	if s.Mode != wantMode {
		t.Errorf("mode %q (%s), want %q; tips %v", s.Mode, s.Reason, wantMode, s.Result.Tips)
	}
	for _, threads := range []int{1, 2} {
		if want := fullEmitted(t, g, threads, audit); got != want {
			t.Fatalf("%s scan emitted:\n%s\nfull scan (%d threads):\n%s", s.Mode, got, threads, want)
		}
	}
	if s.Result == nil {
		t.Fatalf("no state after a %s scan", s.Mode)
	}
	return s
}

func TestStateScanIsAFullScan(t *testing.T) {
	l := buildLeakRepo(t)
	r := l.r
	g := r.open()
	s := stateRun(t, g, nil, "full")
	if s.Changed != true || s.NewCommits != len(s.Result.Commits) {
		t.Errorf("first run: changed %v, new %d of %d", s.Changed, s.NewCommits, len(s.Result.Commits))
	}
	s = stateRun(t, g, s.Result, "unchanged")
	if s.Changed || s.NewCommits != 0 {
		t.Errorf("unchanged run: changed %v, new %d", s.Changed, s.NewCommits)
	}

	// New commits on two branches, one a merge that adds a secret.
	r.Write("f.txt", "f = "+tokF+"\n")
	r.Commit("main adds f")
	r.Git("checkout", "-q", "-b", "feat", "x")
	r.Write("g/h/i.txt", "deep = "+tokG+"\n")
	r.Commit("feat adds i")
	r.Git("checkout", "-q", "main")
	r.Git("merge", "-q", "--no-ff", "--no-commit", "feat")
	r.Write("m.txt", "m1\nside\nevil = "+tokC+"\nagain = "+tokH+"\n")
	r.Commit("another evil merge")
	s = stateRun(t, g, s.Result, "incremental")
	if s.NewCommits != 3 {
		t.Errorf("new commits %d, want 3", s.NewCommits)
	}

	// A force-push drops a commit with a secret; a ref is deleted; tags
	// are added (one annotated); a branch is rebased.
	r.Git("checkout", "-q", "-b", "drop", "main")
	r.Write("secret.txt", "s = "+tokI+"\n")
	r.Commit("oops")
	s = stateRun(t, g, s.Result, "incremental")
	r.Git("checkout", "-q", "main")
	r.Git("branch", "-f", "drop", "main")
	s = stateRun(t, g, s.Result, "incremental")
	if strings.Contains(fmt.Sprint(s.Result.Commits), tokI) {
		t.Error("the state keeps the secret of a commit no ref reaches")
	}
	r.Git("branch", "-D", "plain")
	r.Git("tag", "v1", "y")
	r.Git("tag", "-a", "-m", "release", "v2", "feat")
	s = stateRun(t, g, s.Result, "incremental")
	r.Git("checkout", "-q", "-b", "topic", "main~1")
	r.Write("t.txt", "t = "+tokH+"\n")
	r.Commit("topic adds t")
	s = stateRun(t, g, s.Result, "incremental")
	r.Git("rebase", "-q", "main")
	r.Git("checkout", "-q", "main")
	s = stateRun(t, g, s.Result, "incremental")

	// An orphan branch: a root commit, everything in it new.
	r.Git("checkout", "-q", "--orphan", "lonely")
	r.Write("o.txt", "o = "+tokI+"\n")
	r.Commit("lonely root")
	r.Git("checkout", "-q", "main")
	stateRun(t, g, s.Result, "incremental")
}

// More fake tokens that TokRule finds.
const (
	tokF = "tok_" + "f0f1f2f3f4f5"
	tokG = "tok_" + "g0g1g2g3g4g5"
	tokH = "tok_" + "h0h1h2h3h4h5"
	tokI = "tok_" + "i0i1i2i3i4i5"
)

// TestStateScanGoneObjects: after a branch is deleted and its commits
// collected, the state's tip for it names nothing; the scan goes on.
func TestStateScanGoneObjects(t *testing.T) {
	l := buildLeakRepo(t)
	r := l.r
	r.Git("checkout", "-q", "-b", "gone")
	r.Write("gone.txt", "g = "+tokF+"\n")
	r.Commit("soon gone")
	r.Git("checkout", "-q", "main")
	g := r.open()
	s := stateRun(t, g, nil, "full")
	r.Git("branch", "-D", "gone")
	r.Git("reflog", "expire", "--expire=now", "--all")
	r.Git("gc", "-q", "--prune=now")
	s = stateRun(t, g, s.Result, "incremental")
	if s.NewCommits != 0 {
		t.Errorf("new commits %d", s.NewCommits)
	}
}

func TestStateScanFallsBack(t *testing.T) {
	l := buildLeakRepo(t)
	g := l.r.open()
	s := stateRun(t, g, nil, "full")
	other := *s.Result
	other.Key = StateKey("other rules")
	s2 := stateRun(t, g, &other, "full")
	if !strings.Contains(s2.Reason, "other rules") {
		t.Errorf("reason %q", s2.Reason)
	}
	// More new commits than MaxNew: a full scan.
	l.r.Write("f.txt", "f = "+tokF+"\n")
	l.r.Commit("one")
	l.r.Write("f.txt", "f = "+tokG+"\n")
	l.r.Commit("two")
	st := &StateScan{Scan: &PackScan{Git: g}, Prior: s.Result, Key: StateKey("test"), MaxNew: 1}
	if got, want := emitted(t, st.Find), fullEmitted(t, g, 2, false); got != want || st.Mode != "full" || !strings.Contains(st.Reason, "2 new commits") {
		t.Errorf("mode %q reason %q, same as full %v", st.Mode, st.Reason, got == want)
	}
	// An audit's state is not a scan's.
	st = &StateScan{Scan: &PackScan{Git: g, WantFacts: true}, Prior: s.Result, Key: StateKey("test")}
	emitted(t, st.Find)
	if st.Mode != "full" || !strings.Contains(st.Reason, "another command") {
		t.Errorf("mode %q reason %q", st.Mode, st.Reason)
	}
}

func TestStateFileDamage(t *testing.T) {
	l := buildLeakRepo(t)
	s := stateRun(t, l.r.open(), nil, "full")
	data, err := EncodeState(s.Result)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeState(data)
	if err == nil {
		err = back.LoadCommits()
	}
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s.Result) {
		t.Errorf("round trip changed the state")
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 1
	for name, bad := range map[string][]byte{
		"empty": nil, "truncated": data[:len(data)-9], "flipped": flipped,
		"json": []byte(`{"version":1}`), "newer": append([]byte(stateMagic), 9, 0, 0, 0, 0),
	} {
		if _, err := DecodeState(bad); !errors.Is(err, ErrStateFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestStateRecordsEveryField fails when detect.Finding gains a field:
// EncodeState must then write it, or a replayed finding would lack it.
func TestStateRecordsEveryField(t *testing.T) {
	if n := reflect.TypeFor[detect.Finding]().NumField(); n != 18 {
		t.Errorf("detect.Finding has %d fields: update stateEnc.finding and this test", n)
	}
	if n := reflect.TypeFor[detect.Provenance]().NumField(); n != 8 {
		t.Errorf("detect.Provenance has %d fields: update stateEnc.finding and this test", n)
	}
}

// TestStateScanAudit: the audit's facts (in HEAD, removed by, refs
// reaching) after incremental runs are a full scan's.
func TestStateScanAudit(t *testing.T) {
	l := buildLeakRepo(t)
	r := l.r
	g := r.open()
	s := stateRunAs(t, g, nil, "full", true)
	s = stateRunAs(t, g, s.Result, "unchanged", true)
	// The default branch moves on: a secret removed, one added, one
	// moved to another line, a side branch merged (first parent: main).
	r.Remove("notes.txt")
	r.Write("b.txt", "zero\nb = "+testkit.TokB+"\none\ntwo\nthree\n")
	r.Write("new.txt", "n = "+tokF+"\n")
	r.Commit("main moves on")
	r.Git("checkout", "-q", "-b", "merged", "main~1")
	r.Write("side.txt", "s = "+tokG+"\n")
	r.Commit("side secret")
	r.Git("checkout", "-q", "main")
	r.Git("merge", "-q", "--no-ff", "--no-edit", "merged")
	r.Remove("new.txt")
	r.Commit("drop new")
	s = stateRunAs(t, g, s.Result, "incremental", true)
	// A new ref at an existing commit: the refs reaching change, nothing
	// else does.
	r.Git("branch", "again", "main")
	s = stateRunAs(t, g, s.Result, "unchanged", true)
	// HEAD moves to a branch that does not descend from it: a full scan.
	r.Git("checkout", "-q", "y")
	s = stateRunAs(t, g, s.Result, "full", true)
	if !strings.Contains(s.Reason, "first-parent") {
		t.Errorf("reason %q", s.Reason)
	}
}

// TestStateScanShallow: a shallow clone's state is used while its
// boundary stays; deepening it moves the boundary, and a full scan runs.
func TestStateScanShallow(t *testing.T) {
	l := buildLeakRepo(t)
	g := shallowClone(t, l.r)
	s := stateRun(t, g, nil, "full")
	if len(s.Result.Shallow) == 0 {
		t.Fatal("no shallow boundary recorded")
	}
	s = stateRun(t, g, s.Result, "unchanged")
	testkit.RunGit(t, g.Dir, l.r.Env(), "fetch", "-q", "--deepen", "2")
	s = stateRun(t, g, s.Result, "full")
	if !strings.Contains(s.Reason, "boundary") {
		t.Errorf("reason %q", s.Reason)
	}
}

// TestStateAuditAnswersReachFromTheRecord: an unchanged audit re-run
// whose filters kept the same (the state's Kept under FilterKey) answers
// RefsReaching from what the state recorded, without reading the
// state's commits or building the graph; a state that recorded no answer
// builds the graph then, and both answers are the full scan's.
func TestStateAuditAnswersReachFromTheRecord(t *testing.T) {
	l := buildLeakRepo(t)
	g := l.r.open()
	full := &PackScan{Git: g, Threads: 2, WantFacts: true}
	emitted(t, full.Find)
	var groups [][]string
	for _, c := range full.Facts.refs {
		groups = append(groups, []string{full.Facts.st.Hex(c)})
	}
	groups = append(groups, []string{full.Facts.Head})
	want := full.Facts.RefsReaching(groups)

	key := [32]byte{1}
	run := func(prior *ScanState) *StateScan {
		t.Helper()
		data, err := EncodeState(prior)
		if err != nil {
			t.Fatal(err)
		}
		if prior, err = DecodeState(data); err != nil {
			t.Fatal(err)
		}
		s := &StateScan{Scan: &PackScan{Git: g, Threads: 2, WantFacts: true}, Prior: prior, Key: StateKey("test"), FilterKey: &key}
		if out := emitted(t, s.Find); out != "" {
			t.Errorf("an answered run emitted:\n%s", out)
		}
		if s.Mode != "unchanged" || s.Answer == nil {
			t.Fatalf("mode %q (%s), answer %v: want unchanged and answered", s.Mode, s.Reason, s.Answer)
		}
		return s
	}
	first := &StateScan{Scan: &PackScan{Git: g, Threads: 2, WantFacts: true}, Key: StateKey("test"), FilterKey: &key}
	emitted(t, first.Find)
	first.Result.Kept = &KeptResult{Key: key}
	first.Scan.Facts.RefsReaching(groups)
	first.Result.Audit.Reach = first.Scan.Facts.Reached

	s := run(first.Result)
	if got := s.Scan.Facts.RefsReaching(groups); !reflect.DeepEqual(got, want) {
		t.Errorf("answered from the record: %v, want %v", got, want)
	}
	if s.Scan.Facts.st != nil || s.Scan.Facts.Err() != nil {
		t.Errorf("the graph was built (%v) for a recorded answer", s.Scan.Facts.Err())
	}

	first.Result.Audit.Reach = nil
	s = run(first.Result)
	if got := s.Scan.Facts.RefsReaching(groups); !reflect.DeepEqual(got, want) || s.Scan.Facts.st == nil {
		t.Errorf("nothing recorded: %v (graph built %v), want %v", got, s.Scan.Facts.st != nil, want)
	}
	if s.Scan.Facts.Reached == nil {
		t.Error("no answer for the state to record")
	}
}
