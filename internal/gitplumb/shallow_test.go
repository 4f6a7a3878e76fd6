package gitplumb

import (
	"context"
	"testing"
)

func TestShallowBoundaries(t *testing.T) {
	r := newRepo(t)
	r.Write("f", "one\n")
	r.Commit("1")
	r.Write("f", "one\ntwo\n")
	r.Commit("2")
	if n, err := r.open().ShallowBoundaries(context.Background()); err != nil || n != 0 {
		t.Errorf("full clone: %d boundaries, %v", n, err)
	}
	if n, err := shallowClone(t, r).ShallowBoundaries(context.Background()); err != nil || n != 1 {
		t.Errorf("depth 1: %d boundaries, %v; want 1", n, err)
	}
}

func TestDubiousOwnership(t *testing.T) {
	msg := "fatal: detected dubious ownership in repository at '/srv/ci/repo'\n" +
		"To add an exception for this directory, call:\n\n\tgit config --global --add safe.directory /srv/ci/repo"
	if p, ok := dubiousOwnership(msg); !ok || p != "/srv/ci/repo" {
		t.Errorf("dubiousOwnership = %q, %v", p, ok)
	}
	if _, ok := dubiousOwnership("fatal: not a git repository (or any of the parent directories): .git"); ok {
		t.Error("not a repository taken for dubious ownership")
	}
}
