package cli

import (
	"os"
	"testing"
)

// asMainEnv, set to 1, makes the test binary behave as leakhound itself
// (cmd/leakhound), so that the git hooks the tests install (which run the
// binary that installed them) run this package's code as a user's would,
// without building a second binary.
const asMainEnv = "LEAKHOUND_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}
