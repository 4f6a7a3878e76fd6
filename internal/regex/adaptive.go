package regex

import (
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	re2 "github.com/wasilibs/go-re2"
)

// AdaptiveBudget is how long a pattern matches with the standard library
// before it switches to RE2: about what RE2 takes to compile a large rule
// pattern (3 ms). Paying for the slower matcher until its cost reaches the
// compile's, then compiling, never costs more than twice the better choice
// made in hindsight, whatever the pattern and the input. A byte count
// cannot do that: the standard library runs a simple pattern at hundreds
// of MB/s and a case-folded, class-heavy one at a few, and a fixed
// threshold either compiled every pattern a small repository full of
// secrets touched (4 KiB: its history scan 1.1 -> 1.6 s) or ran slow
// patterns too long on large ones (64 KiB: 40 ms of ripgrep's 0.25 s).
const AdaptiveBudget = 3 * time.Millisecond

// Adaptive starts every pattern on the standard library, which compiles
// in microseconds, and moves a pattern to RE2 (go-re2: a few milliseconds
// to compile a large pattern, then faster) once it has matched for
// AdaptiveBudget. A pre-commit hook or a small repository, where
// compiling every pattern that a keyword wakes up would cost more than
// matching, pays microseconds; a large scan runs on RE2 for all but its
// first bytes. Both engines take RE2 syntax, match leftmost-first and run
// in linear time, so a pattern finds the same matches on either.
type Adaptive struct{}

// Compile compiles pattern with the standard library, or with RE2 if only
// RE2 accepts it.
func (Adaptive) Compile(pattern string) (Regexp, error) {
	std, err := regexp.Compile(pattern)
	if err != nil {
		r, rerr := re2.Compile(pattern)
		if rerr != nil {
			return nil, rerr
		}
		return r, nil
	}
	return &adaptive{pattern: pattern, std: std}, nil
}

// Name returns "adaptive".
func (Adaptive) Name() string { return "adaptive" }

type adaptive struct {
	pattern string
	std     *regexp.Regexp
	spent   atomic.Int64 // nanoseconds matched with std
	once    sync.Once
	re2     atomic.Pointer[re2.Regexp]
}

// charge adds d to the time matched with the standard library, and
// compiles RE2 once the budget is spent.
func (a *adaptive) charge(d time.Duration) {
	if a.spent.Add(int64(d)) > int64(AdaptiveBudget) {
		a.once.Do(func() {
			if r, err := re2.Compile(a.pattern); err == nil {
				a.re2.Store(r)
			}
		})
	}
}

func (a *adaptive) FindAllSubmatchIndex(b []byte, n int) [][]int {
	if r := a.re2.Load(); r != nil {
		return r.FindAllSubmatchIndex(b, n)
	}
	start := time.Now()
	out := a.std.FindAllSubmatchIndex(b, n)
	a.charge(time.Since(start))
	return out
}

func (a *adaptive) Match(b []byte) bool {
	if r := a.re2.Load(); r != nil {
		return r.Match(b)
	}
	start := time.Now()
	ok := a.std.Match(b)
	a.charge(time.Since(start))
	return ok
}

func (a *adaptive) NumSubexp() int { return a.std.NumSubexp() }
