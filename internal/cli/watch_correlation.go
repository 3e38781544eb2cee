package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/kmsguard/kmsguard/internal/watch"
)

// correlationTick is how often watch settles the stored windows of the
// correlation rules that alert when a window closes, so that they alert
// when no events arrive. Windows close within this much of their deadline.
const correlationTick = 30 * time.Second

// restoreWindows checks the correlation windows a previous run saved and
// deletes the corrupt ones. A failure is reported and watch goes on: a
// window it could not read is started afresh when an event needs it.
func restoreWindows(ctx context.Context, corr *watch.Correlation, log *slog.Logger) {
	st, err := corr.Restore(ctx)
	if err != nil {
		log.Error("restore correlation windows", "error", err.Error())
	}
	log.Info("correlation windows checked", "live", st.Restored, "corrupt", st.Corrupt)
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
	m.CounterFunc("kmsguard_correlation_window_failures_total",
		"Correlation window transactions that failed (the record is retried).", nil,
		func() float64 { return float64(corr.Stats().Failures) })
	m.CounterFunc("kmsguard_correlation_windows_corrupt_total",
		"Stored correlation windows that could not be read and were started afresh.", nil,
		func() float64 { return float64(corr.Stats().Corrupt) })
	m.CounterFunc("kmsguard_correlation_windows_too_large_total",
		"Correlation window saves skipped because the window exceeded the store's size limit.", nil,
		func() float64 { return float64(corr.Stats().TooLarge) })
}

// watchMaxEventsPerGroup caps the events one correlation window keeps in
// watch: every event of a group loads and saves its window, so the cap
// bounds that cost (and keeps a window well under the store's 1 MiB
// limit); events beyond it drop the oldest, counted by the correlator.
const watchMaxEventsPerGroup = 1000
