// Package delta describes a new version of a content by how it was built
// from an old one, as a git delta builds it: the ranges of the new
// version that are new (Span) and the stretches copied from the old one
// (Copy). The history reader (internal/gitobj) derives them from a
// delta's instructions; detect.DetectChanged scans a new version by
// them. The package holds only these two types.
package delta

// Span is a byte range [Lo, Hi) of the new version.
type Span struct{ Lo, Hi int }

// Copy is a stretch of the new version copied from the old one: Len
// bytes at To in the new version came from From in the old.
type Copy struct{ To, From, Len int }
