//go:build ignore

// gen writes rules_gen.go from the embedded config/default.toml: run
// `go generate ./internal/builtin` after changing the file.
package main

import (
	"fmt"
	"os"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/internal/rulegen"
	"github.com/leakhound/leakhound/rules"
)

func main() {
	src, err := generate()
	if err == nil {
		err = os.WriteFile("rules_gen.go", src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func generate() ([]byte, error) {
	set, err := rules.Loader{}.Parse([]byte(config.Default()), config.DefaultName)
	if err != nil {
		return nil, err
	}
	return rulegen.Generate(set, "builtin", "defaultSet", "config/default.toml", "go generate ./internal/builtin")
}
