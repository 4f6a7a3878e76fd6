package history

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/testkit"
)

// testRepo is a test repository (testkit.Repo) that this package's runner
// can open.
type testRepo struct{ *testkit.Repo }

func newRepo(t testing.TB) *testRepo { return &testRepo{testkit.NewRepo(t)} }

func (r *testRepo) open() *gitplumb.Git {
	r.T.Helper()
	g, err := gitplumb.Open(context.Background(), r.Dir, "")
	if err != nil {
		r.T.Fatal(err)
	}
	return g
}

// diffAll runs RevList args through DiffTree and returns the commits by id
// and their order.
func diffAll(t testing.TB, g *gitplumb.Git, args ...string) (map[string]*gitplumb.Commit, []string) {
	t.Helper()
	ctx := context.Background()
	var ids []string
	if err := g.RevList(ctx, args, func(id string) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	dt, err := g.DiffTree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer dt.Close()
	go func() {
		for _, id := range ids {
			dt.Request(id)
		}
		dt.CloseRequests()
	}()
	byID := map[string]*gitplumb.Commit{}
	var order []string
	for {
		c, err := dt.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		byID[c.ID] = c
		order = append(order, c.ID)
	}
	if strings.Join(order, " ") != strings.Join(ids, " ") {
		t.Fatalf("diff-tree answered %v, asked %v", order, ids)
	}
	return byID, order
}

// shallowClone clones r at depth 1, as CI checkouts do, and opens it.
func shallowClone(t *testing.T, r *testRepo) *gitplumb.Git {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "shallow")
	testkit.RunGit(t, r.Dir, r.Env(), "clone", "-q", "--depth", "1", "file://"+r.Dir, dst)
	g, err := gitplumb.Open(context.Background(), dst, "")
	if err != nil {
		t.Fatal(err)
	}
	return g
}
