// Command kmsguard guards AWS KMS keys: posture audit, detection and response.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kmsguard/kmsguard/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
