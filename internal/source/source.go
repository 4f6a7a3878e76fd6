// Package source reads what leakhound scans (directory trees, streams) and
// yields fragments with their provenance. Sources own all I/O; they never
// decide what is a secret. Per-item problems (unreadable, binary, too
// large) are reported through Events and the scan goes on; only fatal
// problems end it.
package source

import (
	"context"

	"github.com/leakhound/leakhound/detect"
)

// Emit receives fragments. Sources may call it from several goroutines at
// once; the fragment's content is only valid until Emit returns.
type Emit func(*detect.Fragment) error

// Source yields the fragments of one target.
type Source interface {
	Scan(ctx context.Context, emit Emit) error
}

// Events receives what a source skipped or could not read. Methods may be
// called concurrently.
type Events interface {
	// Skipped is called for an item deliberately not scanned.
	Skipped(path string, reason SkipReason)
	// Failed is called for an item that could not be read: the scan is
	// incomplete.
	Failed(path string, err error)
	// Scanned is called after an item's content has been emitted.
	Scanned(path string, bytes int64)
}

// SkipReason says why an item was not scanned.
type SkipReason string

// Reasons for skipping.
const (
	SkipBinary    SkipReason = "binary"
	SkipTooLarge  SkipReason = "larger than --max-target-megabytes"
	SkipSymlink   SkipReason = "symbolic link (not followed)"
	SkipSpecial   SkipReason = "not a regular file (FIFO, device or socket)"
	SkipAllowlist SkipReason = "path allowlisted"
	SkipGitDir    SkipReason = "git metadata directory"
	SkipVanished  SkipReason = "removed while the scan ran"
	// SkipSubmodule: a git submodule is a commit of another repository,
	// whose content is not here.
	SkipSubmodule SkipReason = "git submodule (another repository)"
)

// NopEvents ignores every event.
type NopEvents struct{}

// Skipped does nothing.
func (NopEvents) Skipped(string, SkipReason) {}

// Failed does nothing.
func (NopEvents) Failed(string, error) {}

// Scanned does nothing.
func (NopEvents) Scanned(string, int64) {}

// Finder is a source that runs detection itself, because it can only say
// where a finding belongs after scanning: a git history read in pack order
// scans every blob once and then attributes each secret to the commits and
// paths that introduced it (DESIGN §3). Detect is the pipeline's
// detector; emit receives candidates with their final provenance, from
// one goroutine. Events are reported as for a Source.
type Finder interface {
	Find(ctx context.Context, detect DetectFunc, emit func([]detect.Finding) error) error
}

// DetectFunc returns the candidate findings in a fragment.
type DetectFunc func(*detect.Fragment) ([]detect.Finding, error)
