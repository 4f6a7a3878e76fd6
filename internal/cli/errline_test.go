package cli

import (
	"errors"
	"fmt"
	"testing"
)

// TestErrLine pins the text of the detector's joined errors: "; " between
// them, as before detect used errors.Join, nested joins flattened, and
// any other error as it is.
func TestErrLine(t *testing.T) {
	a, b, c := errors.New("rule \"a\": bad"), errors.New("rule \"b\": bad"), errors.New("c")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{a, `rule "a": bad`},
		{errors.Join(a), `rule "a": bad`},
		{errors.Join(a, b), `rule "a": bad; rule "b": bad`},
		{errors.Join(a, errors.Join(b, c)), `rule "a": bad; rule "b": bad; c`},
		{fmt.Errorf("x %w y %w", a, b), `x rule "a": bad y rule "b": bad`},
		{fmt.Errorf("blob: %w", errors.New("line 1\nline 2")), "blob: line 1\nline 2"},
	} {
		if got := errLine(tc.err); got != tc.want {
			t.Errorf("errLine(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
