// Command leakhound finds credentials in code, git history and streams.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/leakhound/leakhound/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.DefaultEnv())
	stop()
	os.Exit(code)
}
