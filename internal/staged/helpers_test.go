package staged

import (
	"context"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/testkit"
)

// testRepo is a test repository (testkit.Repo) that the plumbing can open.
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

func zeroID() string { return strings.Repeat("0", 40) }

// tokC is a fake token for testkit.TokRule beyond testkit's two, built at
// run time.
var tokC = "tok_" + "c3c3c3c3c3c3"
