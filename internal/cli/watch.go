package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/enrich"
	"github.com/kmsguard/kmsguard/internal/notify"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/source/sqssource"
	"github.com/kmsguard/kmsguard/internal/state"
	"github.com/kmsguard/kmsguard/internal/watch"
)

type watchOptions struct {
	sqsQueue, sqsKind, sqsDeadLetter string
	sqsWorkers, sqsMaxReceives       int
	sqsVisibility                    time.Duration
	dir                              string
	pollInterval                     time.Duration
	configPath, statePath, rulesDir  string
	snapshot                         string
	refresh                          time.Duration
	liveInventory                    bool
	metricsAddr                      string
	region, profile                  string
	sqsEndpoint, s3Endpoint          string
	notifyLease                      time.Duration
}

func newWatchCmd(a *app) *cobra.Command {
	var o watchOptions
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Detect risky KMS activity continuously from SQS or a directory and notify",
		Long: `Run continuously: read CloudTrail from an SQS queue (CloudTrail or S3
notifications of new log files, or EventBridge events) and/or a directory
followed as files arrive; match the detection rules; enrich alerts from the
inventory; queue them durably in the state store and deliver them through the
notify channels of --config. A message is deleted only once its alerts are
queued; SIGTERM stops receiving and finishes the messages in flight.

See docs/watch.md for the deployment (several processes on one queue share
the work; use --state postgres://... for them to share one outbox).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWatch(cmd.Context(), a, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.sqsQueue, "sqs-queue", "", "SQS queue URL to consume")
	f.StringVar(&o.sqsKind, "sqs-kind", "auto", "messages on the queue: auto, cloudtrail-s3 or eventbridge")
	f.StringVar(&o.sqsDeadLetter, "sqs-dead-letter-queue", "", "SQS queue URL for poison messages (else the queue's redrive policy)")
	f.IntVar(&o.sqsWorkers, "sqs-workers", 2, "concurrent receive loops")
	f.IntVar(&o.sqsMaxReceives, "sqs-max-receives", 5, "receives of a failing message before it is dead-lettered")
	f.DurationVar(&o.sqsVisibility, "sqs-visibility", time.Minute, "visibility timeout, renewed while a message is processed")
	f.StringVar(&o.dir, "dir", "", "directory of CloudTrail files to follow")
	f.DurationVar(&o.pollInterval, "poll-interval", 5*time.Second, "directory poll interval")
	f.StringVar(&o.configPath, "config", "", "kmsguard.yaml with the notify section and the allowlist")
	f.StringVar(&o.statePath, "state", "", "state store: SQLite file path or postgres:// URL (default $KMSGUARD_STATE, else kmsguard.db)")
	f.StringVar(&o.rulesDir, "rules", "", "directory of extra Sigma rules")
	f.StringVar(&o.snapshot, "snapshot", "", "inventory snapshot directory for enrichment (re-read every --refresh)")
	f.BoolVar(&o.liveInventory, "live-inventory", false, "collect the inventory live with the AWS SDK (every --refresh)")
	f.DurationVar(&o.refresh, "refresh", time.Hour, "inventory refresh interval; 0 loads it once")
	f.StringVar(&o.metricsAddr, "metrics-addr", "", "serve /metrics and /healthz on this address (e.g. :9090)")
	f.StringVar(&o.region, "region", "", "AWS region (default from the environment or profile)")
	f.StringVar(&o.profile, "profile", "", "AWS shared config profile")
	f.StringVar(&o.sqsEndpoint, "sqs-endpoint", "", "SQS endpoint URL override (e.g. a local SQS-compatible server)")
	f.StringVar(&o.s3Endpoint, "s3-endpoint", "", "S3 endpoint URL override (path-style addressing)")
	f.DurationVar(&o.notifyLease, "notify-lease", 0, "how long a worker holds a claimed notification before another may retry it (default: send timeout + 1m)")
	return cmd
}

func runWatch(ctx context.Context, a *app, o watchOptions) error {
	if o.sqsQueue == "" && o.dir == "" {
		return usageErrorf("nothing to watch: give --sqs-queue and/or --dir")
	}
	kind, err := sqssource.ParseKind(o.sqsKind)
	if err != nil {
		return usageErrorf("--sqs-kind: %v", err)
	}
	if o.snapshot != "" && o.liveInventory {
		return usageErrorf("--snapshot and --live-inventory are alternatives")
	}
	cfg := config.Default()
	if o.configPath != "" {
		if cfg, err = config.Load(o.configPath); err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
	}
	set, err := notify.Build(ctx, cfg.Notify, notify.BuildEnv{})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	rules, err := detect.BuiltinForMatching()
	if err != nil {
		return err
	}
	if o.rulesDir != "" {
		extra, err := detect.LoadDir(o.rulesDir)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		rules.Add(extra)
	}
	// The same own accounts and organisations as KMS.5 and KMSGUARD-XA-1.
	exposure := policy.ExposureAnalyzer{OrgIDs: cfg.Organization.OrganizationIDs, Trusted: cfg.Organization.TrustedAccounts}
	engine, err := detect.NewEngine(rules, detect.Options{Policy: exposure})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	correlator, err := detect.NewCorrelator(rules, detect.CorrelatorOptions{MaxEventsPerGroup: watchMaxEventsPerGroup})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	where := o.statePath
	if where == "" {
		where = os.Getenv(stateEnv)
	}
	if where == "" {
		where = defaultStatePath
	}
	log := a.logger.With("component", "watch")
	store, err := state.Open(ctx, where, state.WithLogger(log))
	if err != nil {
		return err
	}
	defer store.Close()
	outbox, err := state.NewNotifyOutbox(store)
	if err != nil {
		return err
	}
	disp, err := set.NewDispatcher(outbox, dispatcherOptions(o, log))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	metrics := watch.NewMetrics()
	registerDeliveryMetrics(metrics, disp, store)
	enricher := enrich.New(enrich.Rules{Authorised: allowlistFunc(cfg)})
	corr := &watch.Correlation{Engine: engine, Correlator: correlator, Store: store, Logger: log}
	restoreWindows(ctx, corr, log)
	registerCorrelationMetrics(metrics, corr)
	pipe := &watch.Pipeline{Correlation: corr, Enrich: enricher, Submit: disp, Route: disp, History: store, Metrics: metrics, Logger: log}

	if o.metricsAddr != "" {
		srv, err := serveMetrics(o.metricsAddr, metrics)
		if err != nil {
			return err
		}
		log.Info("metrics listening", "addr", srv.Addr)
		defer srv.Close()
	}
	if o.snapshot != "" || o.liveInventory {
		if err := loadInventory(ctx, o, enricher); err != nil {
			return err
		}
	}

	// Sources stop on ctx (finishing what is in flight); the dispatcher
	// keeps delivering until they have, then stops too. runCtx also ends
	// the background work when a source cannot start.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	dispCtx, stopDisp := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDisp()
	var bg sync.WaitGroup
	bg.Go(func() { _ = disp.Run(dispCtx) })
	bg.Go(func() { maintainState(runCtx, store, set.Retention, log) })
	bg.Go(func() { tickCorrelation(runCtx, pipe, correlationTick, log) })
	if (o.snapshot != "" || o.liveInventory) && o.refresh > 0 {
		bg.Go(func() { refreshInventory(runCtx, o, enricher, log) })
	}
	sources, err := startSources(runCtx, o, kind, pipe, metrics, store, log)
	if err != nil {
		stopRun()
		stopDisp()
		bg.Wait()
		return err
	}
	sources.Wait()
	stopRun()
	stopDisp()
	bg.Wait()
	log.Info("watch stopped", "delivered", disp.Stats().Delivered)
	return nil
}

func dispatcherOptions(o watchOptions, log *slog.Logger) notify.DispatcherOptions {
	opts := notify.DispatcherOptions{Logger: log}
	if o.notifyLease > 0 {
		// Work a crashed worker held comes back after the lease; re-check
		// the outbox often enough to pick it up promptly.
		opts.Lease = o.notifyLease
		opts.SendTimeout = min(30*time.Second, o.notifyLease/2)
		opts.PollInterval = min(time.Second, max(o.notifyLease/4, 50*time.Millisecond))
	}
	return opts
}

func allowlistFunc(cfg *config.Config) func(string) (bool, string) {
	if len(cfg.Allowlist.Principals) == 0 && len(cfg.Allowlist.BreakGlass) == 0 {
		return nil // no list: actors are not judged
	}
	return func(arn string) (bool, string) {
		if p := cfg.AuthorisedPrincipal(arn); p != nil {
			return true, p.Reason
		}
		if cfg.IsBreakGlass(arn) {
			return true, "break-glass role"
		}
		return false, ""
	}
}

func registerDeliveryMetrics(m *watch.Metrics, disp *notify.Dispatcher, store state.Store) {
	m.CounterFunc("kmsguard_notify_deliveries_total", "Notification deliveries by outcome.", map[string]string{"outcome": "delivered"},
		func() float64 { return float64(disp.Stats().Delivered) })
	m.CounterFunc("kmsguard_notify_failures_total", "Failed notification attempts (retried or dead-lettered).", nil,
		func() float64 { s := disp.Stats(); return float64(s.Retried + s.DeadLettered) })
	m.CounterFunc("kmsguard_notify_dead_letters_total", "Notifications given up on.", nil,
		func() float64 { return float64(disp.Stats().DeadLettered) })
	m.GaugeFunc("kmsguard_notify_outbox_pending", "Notifications queued and not yet delivered.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := store.Pending(ctx, "")
		if err != nil {
			return -1
		}
		return float64(n)
	})
	if r, ok := store.(state.WALReporter); ok {
		if _, ok := r.WALStats(); ok {
			m.CounterFunc("kmsguard_state_wal_checkpoint_failures_total", "SQLite WAL checkpoints that failed (the WAL grows until one succeeds).", nil,
				func() float64 { s, _ := r.WALStats(); return float64(s.CheckpointFailures) })
			m.CounterFunc("kmsguard_state_wal_checkpoints_busy_total", "SQLite WAL checkpoints skipped because another connection held the checkpoint lock.", nil,
				func() float64 { s, _ := r.WALStats(); return float64(s.CheckpointsBusy) })
			m.GaugeFunc("kmsguard_state_wal_frames_pending", "SQLite WAL frames the last checkpoint could not copy into the database yet.",
				func() float64 { s, _ := r.WALStats(); return float64(s.FramesPending) })
		}
	}
}

func serveMetrics(addr string, m *watch.Metrics) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the process goes on without metrics; Close ends Serve
		}
	}()
	return srv, nil
}

// redactURL keeps a URL's scheme, host and path for logs: no query, no
// user information.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if s, rest, ok := strings.Cut(u, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		return s + "://" + rest
	}
	return u
}
