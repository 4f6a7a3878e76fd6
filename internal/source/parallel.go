package source

import (
	"context"
	"sync"

	"github.com/leakhound/leakhound/detect"
)

// Parallel runs the fragments of a source that emits from one goroutine
// (git history) through emit on several goroutines, so detection uses
// every core while the source keeps its own order of reading. Each
// fragment's content is copied, since a source may reuse its buffer once
// emit returns; at most 2×Threads fragments wait at a time.
type Parallel struct {
	Source  Source
	Threads int
}

// Scan implements Source.
func (p Parallel) Scan(ctx context.Context, emit Emit) error {
	if p.Threads <= 1 {
		return p.Source.Scan(ctx, emit)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *detect.Fragment, 2*p.Threads)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i := 0; i < p.Threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if ctx.Err() != nil {
					continue
				}
				if err := emit(f); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	err := p.Source.Scan(ctx, func(f *detect.Fragment) error {
		c := *f
		c.Content = append([]byte(nil), f.Content...)
		select {
		case work <- &c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return err
}
