// Package config embeds leakhound's default rule set (default.toml) in the
// binary. The TOML is data; package rules decodes it.
package config

import _ "embed"

//go:embed default.toml
var defaultTOML string

// Default returns the text of the embedded default configuration.
func Default() string { return defaultTOML }

// DefaultName is how messages refer to the embedded configuration.
const DefaultName = "config/default.toml (embedded)"
