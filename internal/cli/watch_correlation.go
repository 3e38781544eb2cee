package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/kmsguard/kmsguard/internal/watch"
)

// correlationTick is how often watch advances the correlation watermark to
// the wall clock, so that windows close (and expire from the store) when
// no events arrive. Windows close within this much of their deadline.
const correlationTick = 30 * time.Second

// restoreWindows loads the correlation windows a previous run saved. A
// failure is reported and watch goes on: the windows it could not read
// start afresh, which loses at most a partial correlation.
func restoreWindows(ctx context.Context, corr *watch.Correlation, log *slog.Logger) {
	st, err := corr.Restore(ctx)
	if err != nil {
		log.Error("restore correlation windows", "error", err.Error())
	}
	log.Info("correlation windows restored", "restored", st.Restored, "corrupt", st.Corrupt)
}

// tickCorrelation advances the correlator every interval until ctx ends.
// A failed tick is logged; the next one retries the unsaved windows.
func tickCorrelation(ctx context.Context, pipe *watch.Pipeline, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := pipe.Tick(ctx, now); err != nil && ctx.Err() == nil {
				log.Warn("advance correlation windows", "error", err.Error())
			}
		}
	}
}

func registerCorrelationMetrics(m *watch.Metrics, corr *watch.Correlation) {
	m.CounterFunc("kmsguard_correlation_window_conflicts_total",
		"Correlation window saves that found a newer window from another worker.", nil,
		func() float64 { return float64(corr.Stats().Conflicts) })
	m.CounterFunc("kmsguard_correlation_window_failures_total",
		"Correlation window saves or deletions that failed (retried).", nil,
		func() float64 { return float64(corr.Stats().Failures) })
	m.CounterFunc("kmsguard_correlation_windows_corrupt_total",
		"Stored correlation windows that could not be restored and were deleted.", nil,
		func() float64 { return float64(corr.Stats().Corrupt) })
}
