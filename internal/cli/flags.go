package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// parseInterspersed parses flags that may appear before, between or after
// positional arguments (`leakhound dir . --report-format json`), as users
// of gitleaks' and trufflehog's CLIs expect. "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at "--" (consumed) or at the first positional.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// redactFlag is --redact[=PERCENT]: bare means 100. set records that it
// was given at all (--redact=0 included), which --no-redact contradicts.
type redactFlag struct {
	percent *int
	set     *bool
}

func (r redactFlag) String() string {
	if r.percent == nil {
		return "0"
	}
	return strconv.Itoa(*r.percent)
}

func (r redactFlag) Set(s string) error {
	if r.set != nil {
		*r.set = true
	}
	if s == "true" || s == "" {
		*r.percent = 100
		return nil
	}
	if s == "false" {
		*r.percent = 0
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil || n < 0 || n > 100 {
		return fmt.Errorf("want a percentage from 0 to 100, got %q", s)
	}
	*r.percent = n
	return nil
}

func (redactFlag) IsBoolFlag() bool { return true }
