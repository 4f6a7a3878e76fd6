package regex

import (
	"regexp"
	"sync"
	"sync/atomic"

	re2 "github.com/wasilibs/go-re2"
)

// AdaptiveThreshold is how many bytes a pattern runs over with the
// standard library before it switches to RE2. RE2 compiles a large rule
// pattern in about 3 ms; the standard library's matcher is much slower
// than first measured on the case-folded, class-heavy rule patterns
// (unicode.SimpleFold on every byte), so the switch pays early. Measured
// 2026-12-03, medians: leakhound git on ripgrep 0.25 s at 64 KiB, 0.22 s at
// 16 KiB, 0.21 s at 4 KiB and at 1 KiB; dir on Go's src 0.48 s at 64 KiB,
// 0.39 s at 4 KiB; git --staged (bench/staged.sh) 48 ms at 64 KiB, 40 ms at
// 4 KiB.
const AdaptiveThreshold = 4 << 10

// Adaptive starts every pattern on the standard library, which compiles
// in microseconds, and moves a pattern to RE2 (go-re2: a few milliseconds
// to compile a large pattern, then 2–3 times faster) once it has run over
// AdaptiveThreshold bytes. A pre-commit hook or a small repository, where
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
	seen    atomic.Int64
	once    sync.Once
	re2     atomic.Pointer[re2.Regexp]
}

// engine returns the compiled pattern to use for b.
func (a *adaptive) engine(n int) Regexp {
	if r := a.re2.Load(); r != nil {
		return r
	}
	if a.seen.Add(int64(n)) > AdaptiveThreshold {
		a.once.Do(func() {
			if r, err := re2.Compile(a.pattern); err == nil {
				a.re2.Store(r)
			}
		})
		if r := a.re2.Load(); r != nil {
			return r
		}
	}
	return a.std
}

func (a *adaptive) FindAllSubmatchIndex(b []byte, n int) [][]int {
	return a.engine(len(b)).FindAllSubmatchIndex(b, n)
}

func (a *adaptive) Match(b []byte) bool { return a.engine(len(b)).Match(b) }

func (a *adaptive) NumSubexp() int { return a.std.NumSubexp() }
