package gitplumb

import (
	"context"
	"testing"
)

// InProcess reads what is staged in the work tree dir in process
// (internal/gogit). It is set by staged_inprocess_test.go, an external
// test file (gogit imports this package), so that the staged tests here
// run on both readers. closeFn releases the reader.
var InProcess func(dir, indexFile string) (d *StagedDiff, blobs func(context.Context) (Blobs, error), closeFn func(), err error)

// HostileRepo exports hostileRepo to the external tests: a work tree
// whose config, hooks and attributes each name a script that leaves a
// file in markers.
func HostileRepo(t *testing.T) (dir string, markers string) {
	r, markers := hostileRepo(t)
	return r.dir, markers
}

// AssertNoMarkers exports assertNoMarkers.
func AssertNoMarkers(t *testing.T, markers string) { assertNoMarkers(t, markers) }
