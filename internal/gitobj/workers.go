package gitobj

import (
	"bytes"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/source"
)

// blobResults is what one worker learned of the blobs it scanned. Both
// readers (the packs in process, cat-file's stream) give each worker its
// own and merge them once every worker is done (mergeBlobs), so that no
// worker waits on a lock and the store has one writer at a time.
type blobResults struct {
	found map[uint32][]detect.Finding
	// blobs are the blobs read (kind still unknown to the store: the
	// cat-file stream records it as it parses); binary and tooLarge the
	// ones not scanned, and why.
	blobs, binary, tooLarge []uint32
	// err is the first error of the detect function.
	err error
}

func newBlobResults(workers int) []blobResults {
	results := make([]blobResults, workers)
	for i := range results {
		results[i].found = map[uint32][]detect.Finding{}
	}
	return results
}

// isBinary reports whether a blob holds a NUL byte where a file on disk
// would be called binary.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), source.BinarySniff)], 0) >= 0
}

// binaryBlob records that blob idx (hexadecimal id, for the event) is
// binary and not scanned.
func (r *blobResults) binaryBlob(idx uint32, id string, ev source.Events) {
	r.binary = append(r.binary, idx)
	ev.Skipped("blob "+id, source.SkipBinary)
}

// fail keeps the first error of the detect function.
func (r *blobResults) fail(err error) {
	if err != nil && r.err == nil {
		r.err = err
	}
}

// scanned records the candidates found in blob idx, of size bytes.
func (r *blobResults) scanned(idx uint32, cands []detect.Finding, size int64, ev source.Events) {
	if len(cands) > 0 {
		r.found[idx] = cands
	}
	ev.Scanned("", size)
}

// mergeBlobs records every worker's results in st and returns the first
// error a worker's detect function returned.
func mergeBlobs(st *Store, results []blobResults) error {
	var err error
	for _, res := range results {
		for _, idx := range res.blobs {
			st.kind[idx] = kindBlob
		}
		for idx, cands := range res.found {
			st.found[idx] = cands
			st.blobState[idx] = blobFound
		}
		for _, idx := range res.binary {
			st.blobState[idx] = blobBinary
		}
		for _, idx := range res.tooLarge {
			st.blobState[idx] = blobTooLarge
		}
		if err == nil {
			err = res.err
		}
	}
	return err
}
