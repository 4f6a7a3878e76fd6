package cli

import (
	"context"
	"fmt"

	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/internal/pipeline"
)

// repoState is what a history scan of a repository cannot see, for the
// summary: a shallow clone's history before its boundary, a partial
// clone's blobs that were never fetched (leakhound never fetches).
type repoState struct {
	shallow int // boundary commits; 0 when not shallow
	partial bool
}

// inspectRepo asks git whether repo is a shallow or a partial clone.
func inspectRepo(ctx context.Context, repo *gitplumb.Git) (repoState, error) {
	var s repoState
	var err error
	if s.shallow, err = repo.ShallowBoundaries(ctx); err != nil {
		return s, fmt.Errorf("%s: %w", repo.Dir, err)
	}
	if s.partial, err = repo.Promisor(ctx); err != nil {
		return s, fmt.Errorf("%s: %w", repo.Dir, err)
	}
	return s, nil
}

// notes returns the lines the summary adds about the repository. A
// shallow boundary is not an error (a CI checkout is shallow by design);
// blobs missing from a partial clone are, and were each listed already.
func (s repoState) notes(res *pipeline.Result) []string {
	var out []string
	if s.shallow > 0 {
		out = append(out, fmt.Sprintf("shallow clone: history before %d boundary commit(s) not scanned", s.shallow))
	}
	if s.partial && len(res.Failures) > 0 {
		out = append(out, fmt.Sprintf("partial clone: %d blob(s) could not be read: they were never fetched into this clone "+
			"and leakhound never fetches (scan a full clone to cover them)", len(res.Failures)))
	}
	return out
}
