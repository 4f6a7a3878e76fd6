// Package builtin is leakhound's built-in rule set, ready without
// decoding TOML: rules_gen.go is Go code generated from
// config/default.toml, which stays the only place rules are written.
// Decoding the 236 KB file took about 25 ms of every process, more than a
// pre-commit hook's scan; building the set from the generated code takes
// a fraction of a millisecond. A test checks that the generated set is
// field for field the one the loader reads from the file, and fails when
// rules_gen.go is older than the file; after editing config/default.toml,
// run
//
//	go generate ./internal/builtin
//
// Package builtin does no I/O and holds no state: each call to Set builds
// a new set.
package builtin

//go:generate go run gen.go

import "github.com/leakhound/leakhound/rules"

// Set returns a new copy of the built-in rules, the same as
// rules.Loader{}.Parse gives for config/default.toml under the name
// config.DefaultName. Their allowlist patterns compile on first use
// (rules.Pattern), and the detector compiles the detection patterns
// lazily, as for any set.
func Set() *rules.Set {
	s := defaultSet()
	// The loader memoizes every allowlist it decodes.
	memoize := func(as []rules.Allowlist) {
		for i := range as {
			as[i].Memoize()
		}
	}
	memoize(s.Allowlists)
	for _, r := range s.Rules {
		memoize(r.Allowlists)
		for i := range r.Adjusts {
			r.Adjusts[i].Memoize()
		}
	}
	return s
}
