// Package config holds leakhound's default rule set, default.toml: the
// only place built-in rules are written. The TOML is data; package rules
// decodes it. leakhound itself does not decode it at run time: it builds
// the same set from Go code generated from this file (package
// internal/builtin), so the text embedded here is linked only into what
// reads it (tests, the generator).
package config

import _ "embed"

//go:embed default.toml
var defaultTOML string

// Default returns the text of the embedded default configuration.
func Default() string { return defaultTOML }

// DefaultName is how messages refer to the built-in configuration, and
// the File of its rules and allowlists.
const DefaultName = "config/default.toml (embedded)"
