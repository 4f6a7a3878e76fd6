package source

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/leakhound/leakhound/detect"
)

// sequential emits n fragments from one goroutine, reusing one buffer, as
// the git history source does.
type sequential struct{ n int }

func (s sequential) Scan(ctx context.Context, emit Emit) error {
	buf := make([]byte, 0, 16)
	for i := 0; i < s.n; i++ {
		buf = strconv.AppendInt(buf[:0], int64(i), 10)
		if err := emit(&detect.Fragment{Content: buf, StartLine: i + 1}); err != nil {
			return err
		}
	}
	return nil
}

func TestParallelDeliversEveryFragmentIntact(t *testing.T) {
	for _, threads := range []int{1, 2, 8} {
		var mu sync.Mutex
		var got []string
		err := Parallel{Source: sequential{n: 1000}, Threads: threads}.Scan(context.Background(), func(f *detect.Fragment) error {
			if want := strconv.Itoa(f.StartLine - 1); string(f.Content) != want {
				t.Errorf("fragment %d holds %q: its buffer was reused under it", f.StartLine, f.Content)
			}
			mu.Lock()
			got = append(got, string(f.Content))
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		if len(got) != 1000 {
			t.Fatalf("threads %d: %d fragments, want 1000", threads, len(got))
		}
	}
}

func TestParallelStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	err := Parallel{Source: sequential{n: 100000}, Threads: 4}.Scan(context.Background(), func(f *detect.Fragment) error {
		if f.StartLine == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}
