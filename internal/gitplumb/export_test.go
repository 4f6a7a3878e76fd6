package gitplumb

import "context"

// InProcess reads what is staged in the work tree dir in process
// (internal/gogit). It is set by staged_inprocess_test.go, an external
// test file (gogit imports this package), so that the staged tests here
// run on both readers. closeFn releases the reader.
var InProcess func(dir, indexFile string) (d *StagedDiff, blobs func(context.Context) (Blobs, error), closeFn func(), err error)
