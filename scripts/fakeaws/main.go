// Command fakeaws serves awsfake.SampleOrganization on 127.0.0.1 for manual
// checks such as scripts/compare-with-aws-cli.sh. It prints the endpoint
// URL on the first line of stdout and serves until interrupted.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := awsfake.SampleOrganization()
	cfg.Throttle = nil // a manual check should not wait out retries
	srv := awsfake.New(cfg)
	defer srv.Close()
	fmt.Println(srv.URL)
	<-ctx.Done()
}
