package cli

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kmsguard/kmsguard/internal/enrich"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/live"
	"github.com/kmsguard/kmsguard/internal/source/follow"
	"github.com/kmsguard/kmsguard/internal/source/sqssource"
	"github.com/kmsguard/kmsguard/internal/state"
	"github.com/kmsguard/kmsguard/internal/watch"
)

// startSources starts every configured source; the WaitGroup ends when
// all have stopped (after ctx ends and their in-flight work is done).
func startSources(ctx context.Context, o watchOptions, kind sqssource.Kind, pipe *watch.Pipeline, m *watch.Metrics, store state.Store, log *slog.Logger) (*sync.WaitGroup, error) {
	var wg sync.WaitGroup
	if o.sqsQueue != "" {
		region := o.region
		if region == "" {
			region = regionOfQueue(o.sqsQueue) // else the environment or profile
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region), awsconfig.WithSharedConfigProfile(o.profile))
		if err != nil {
			return nil, fmt.Errorf("load AWS configuration: %w", err)
		}
		sqsc := sqs.NewFromConfig(cfg, func(so *sqs.Options) {
			if o.sqsEndpoint != "" {
				so.BaseEndpoint = aws.String(o.sqsEndpoint)
			}
		})
		s3c := s3.NewFromConfig(cfg, func(so *s3.Options) {
			// Objects without a stored checksum are normal; the SDK would
			// print a line per object outside our structured log.
			so.DisableLogOutputChecksumValidationSkipped = true
			if o.s3Endpoint != "" {
				so.BaseEndpoint, so.UsePathStyle = aws.String(o.s3Endpoint), true
			}
		})
		c, err := sqssource.New(sqsc, s3c, sqssource.Options{
			QueueURL: o.sqsQueue, Kind: kind, Workers: o.sqsWorkers, Visibility: o.sqsVisibility,
			MaxReceives: o.sqsMaxReceives, DeadLetterURL: o.sqsDeadLetter, Logger: log,
		}, pipe.Handle)
		if err != nil {
			return nil, err
		}
		registerSQSMetrics(m, c)
		log.Info("watching SQS queue", "queue", redactURL(o.sqsQueue))
		wg.Go(func() { _ = c.Run(ctx) })
		wg.Go(func() { m.PollDepth(ctx, 15*time.Second, log, c.Depth) })
	}
	if o.dir != "" {
		f, err := follow.New(store, follow.Options{Dir: o.dir, Interval: o.pollInterval, Logger: log}, pipe.Handle)
		if err != nil {
			return nil, err
		}
		log.Info("following directory", "dir", o.dir)
		wg.Go(func() { _ = f.Run(ctx) })
	}
	return &wg, nil
}

func registerSQSMetrics(m *watch.Metrics, c *sqssource.Consumer) {
	for _, x := range []struct {
		outcome string
		n       func() int64
	}{
		{"received", c.Stats.Received.Load}, {"deleted", c.Stats.Deleted.Load}, {"failed", c.Stats.Failed.Load},
		{"dead_lettered", c.Stats.DeadLettered.Load}, {"ignored", c.Stats.Ignored.Load},
	} {
		m.CounterFunc("kmsguard_watch_sqs_messages_total", "SQS messages by outcome.", map[string]string{"outcome": x.outcome},
			func() float64 { return float64(x.n()) })
	}
	m.CounterFunc("kmsguard_watch_s3_objects_total", "Log files fetched from S3.", nil, func() float64 { return float64(c.Stats.Objects.Load()) })
	m.CounterFunc("kmsguard_watch_bad_records_total", "Records that could not be read.", nil, func() float64 { return float64(c.Stats.BadRecords.Load()) })
}

// loadInventory reads the snapshot directory, or collects it live, into
// the enricher.
func loadInventory(ctx context.Context, o watchOptions, e *enrich.Enricher) error {
	var (
		accts []*inventory.Account
		err   error
	)
	if o.snapshot != "" {
		accts, _, err = inventory.LoadDir(ctx, o.snapshot, inventory.LoadOptions{})
	} else {
		sink := live.NewMemSink()
		if _, err = live.Collect(ctx, live.Options{Profile: o.profile, Region: o.region}, sink); err == nil {
			accts, _, err = inventory.Load(ctx, sink, inventory.LoadOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("inventory for enrichment: %w", err)
	}
	e.SetInventory(accts)
	return nil
}

func refreshInventory(ctx context.Context, o watchOptions, e *enrich.Enricher, log *slog.Logger) {
	t := time.NewTicker(o.refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := loadInventory(ctx, o, e); err != nil && ctx.Err() == nil {
			// Keep enriching from the last good inventory.
			log.Warn("inventory refresh failed", "error", err)
			continue
		}
		log.Info("inventory refreshed", "keys", e.Keys())
	}
}
