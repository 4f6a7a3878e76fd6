package rules

import (
	"fmt"
	"regexp"
)

// memoAddr matches what %+v prints of an allowlist's unexported memo
// pointer, an address that changes from run to run.
var memoAddr = regexp.MustCompile(`memo:0x[0-9a-f]+`)

// Describe prints v (a rule, an allowlist, a confidence cap) whole and
// the same way in every run: every field, patterns as their expressions,
// and no address. Two values with the same description judge every
// candidate the same way, which is what a key over a rule set (an
// incremental scan's state, a recorded filter result) is built from.
func Describe(v any) string {
	return memoAddr.ReplaceAllString(fmt.Sprintf("%+v", v), "memo:")
}
