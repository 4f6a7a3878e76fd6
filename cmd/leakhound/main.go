// Command leakhound finds credentials in code, git history and streams.
package main

import (
	"os"

	"github.com/leakhound/leakhound/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
