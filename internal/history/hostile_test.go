package history

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/testkit"
)

func TestHostileConfigRunsNothing(t *testing.T) {
	r, markers := testkit.HostileRepo(t)

	// Control: the same repository does run the script under plain git,
	// so the test is not vacuous.
	ctl := exec.Command("git", "diff", "HEAD~1")
	ctl.Dir = r.Dir
	_ = ctl.Run() // git may fail after running the script; only the marker matters
	ents, _ := os.ReadDir(markers)
	if len(ents) == 0 {
		t.Fatal("control: plain git diff ran no script; the hostile repository is not hostile")
	}
	for _, e := range ents {
		t.Logf("control: plain git diff ran %s", e.Name())
	}
	if err := os.RemoveAll(markers); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(markers, 0o755); err != nil {
		t.Fatal(err)
	}

	g, err := gitplumb.Open(context.Background(), r.Dir, "")
	if err != nil {
		t.Fatal(err)
	}
	commits, order := diffAll(t, g)
	if len(order) != 2 {
		t.Fatalf("commits = %v", order)
	}
	last := commits[order[1]]
	if len(last.Changes) != 1 || last.Changes[0].Path != "f" {
		t.Fatalf("changes = %+v", last.Changes)
	}
	if last.Subject != "two" || last.Author != "Ann Author" {
		t.Errorf("metadata not UTF-8: %q %q", last.Subject, last.Author)
	}
	cf, err := g.CatFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cf.Request(last.Changes[0].Blob)
	cf.Request(strings.Repeat("2", 40))
	if obj, err := cf.Next(0, nil); err != nil || string(obj.Data) != "one\ntwo\n" {
		t.Fatal(obj, err)
	}
	if _, err := cf.Next(0, nil); err == nil {
		t.Error("missing object: no error")
	}
	if err := cf.Close(); err != nil {
		t.Fatal(err)
	}
	if p, err := g.Promisor(context.Background()); err != nil || p {
		t.Errorf("Promisor = %v, %v", p, err)
	}
	if ids, err := g.Present(context.Background()); err != nil || len(ids) == 0 {
		t.Errorf("Present = %d ids, %v", len(ids), err)
	}
	frags := 0
	err = (&Walk{Git: g}).Scan(context.Background(), func(*detect.Fragment) error { frags++; return nil })
	if err != nil || frags == 0 {
		t.Errorf("History: %d fragments, %v", frags, err)
	}
	scanned := 0
	detectAll := func(f *detect.Fragment) ([]detect.Finding, error) { scanned++; return nil, nil }
	err = (&PackScan{Git: g}).Find(context.Background(), detectAll, func([]detect.Finding) error { return nil })
	if err != nil || scanned == 0 {
		t.Errorf("PackScan: %d blobs, %v", scanned, err)
	}
	testkit.AssertNoMarkers(t, markers)
}

// TestHostilePromisorRunsNothing asks for a missing object in a repository
// that claims to be a partial clone of a hostile remote: git must not
// fetch it (which would run the remote's ext:: command), and the error must
// be an error, not a hang or a crash.
func TestHostilePromisorRunsNothing(t *testing.T) {
	r, markers := testkit.HostileRepo(t)
	r.Git("config", "core.repositoryformatversion", "1")
	r.Git("config", "extensions.partialClone", "origin")
	r.Git("config", "remote.origin.promisor", "true")
	g, err := gitplumb.Open(context.Background(), r.Dir, "")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := g.CatFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cf.Request(strings.Repeat("3", 40))
	if _, err := cf.Next(0, nil); err == nil {
		t.Error("missing object in a promisor repository: no error")
	} else {
		t.Logf("missing object: %v", err)
	}
	cf.Close()
	if p, err := g.Promisor(context.Background()); err != nil || !p {
		t.Errorf("Promisor = %v, %v", p, err)
	}
	err = (&Walk{Git: g}).Scan(context.Background(), func(*detect.Fragment) error { return nil })
	if err != nil {
		t.Errorf("History: %v", err)
	}
	dt, err := g.DiffTree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// git skips an id it cannot find, silently; the next one still works.
	dt.Request(strings.Repeat("4", 40))
	head := r.Git("rev-parse", "HEAD")
	dt.Request(head)
	dt.CloseRequests()
	if c, err := dt.Next(); err != nil || c.ID != head {
		t.Errorf("after a missing commit: %v %v", c, err)
	}
	if _, err := dt.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	dt.Close()
	testkit.AssertNoMarkers(t, markers)
}
