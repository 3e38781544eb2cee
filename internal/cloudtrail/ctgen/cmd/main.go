// Command ctgen writes a deterministic CloudTrail corpus (gzipped log files
// in the S3 delivery layout) and its manifest of planted events:
//
//	go run ./internal/cloudtrail/ctgen/cmd -out /tmp/corpus -events 200000 -seed 1
//
// Point readers at DIR/AWSLogs; the manifest is DIR/ctgen-manifest.json.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/kmsguard/kmsguard/internal/cloudtrail/ctgen"
)

func main() { os.Exit(run()) }

func run() int {
	out := flag.String("out", "", "output directory (required)")
	events := flag.Int("events", 200000, "number of records")
	seed := flag.Uint64("seed", 1, "random seed: the same seed writes byte-identical files")
	days := flag.Int("days", 3, "days the events span")
	perFile := flag.Int("per-file", 100, "mean records per log file")
	plant := flag.Int("plant", 3, "planted events per kind")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "ctgen: -out is required")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	m, err := ctgen.WriteDir(ctx, *out, ctgen.Config{Events: *events, Seed: *seed, Days: *days, PerFile: *perFile, PlantEach: *plant})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ctgen:", err)
		return 1
	}
	fmt.Printf("wrote %d events in %d files (%.1f MB JSON, %.1f MB gzip) to %s in %s\n",
		m.Events, m.Files, float64(m.JSONBytes)/1e6, float64(m.GzipBytes)/1e6, *out, time.Since(start).Round(time.Millisecond))
	return 0
}
