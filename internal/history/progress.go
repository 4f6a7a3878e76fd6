package history

import "sync/atomic"

// Counters are a running history scan's progress. Walk and PackScan update them;
// anyone may read them while it runs (a progress bar polls them), so the
// scan itself never waits on a terminal.
type Counters struct {
	// CommitsTotal is how many commits the scan will walk, 0 until known.
	CommitsTotal atomic.Int64
	// Commits is how many commits have been walked so far.
	Commits atomic.Int64
	// Bytes is how much blob content has been read so far.
	Bytes atomic.Int64
}
