package gitobj

import (
	"context"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/testkit"
)

// testRepo is a test repository (testkit.Repo) that the plumbing can open.
type testRepo struct{ *testkit.Repo }

func (r *testRepo) open() *gitplumb.Git {
	r.T.Helper()
	g, err := gitplumb.Open(context.Background(), r.Dir, "")
	if err != nil {
		r.T.Fatal(err)
	}
	return g
}
