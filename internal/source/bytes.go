package source

import (
	"context"

	"github.com/leakhound/leakhound/detect"
)

// Bytes is a source of one in-memory file, for rule examples and tests.
type Bytes struct {
	Content []byte
	Path    string
}

// Scan implements Source.
func (b Bytes) Scan(_ context.Context, emit Emit) error {
	return emit(&detect.Fragment{Content: b.Content, StartLine: 1, Provenance: detect.Provenance{Kind: detect.KindDir, Path: b.Path}})
}
