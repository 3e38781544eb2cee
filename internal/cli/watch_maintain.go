package cli

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/kmsguard/kmsguard/internal/state"
)

// maintainInterval is how often watch prunes and sweeps the state store.
const maintainInterval = time.Hour

// defaultStateRetention is how long watch keeps the alert history and
// finished outbox rows when notify's delivery.retention is not set: longer
// than SQS's maximum message retention (14 days), so no redelivery can
// queue a pruned alert again.
const defaultStateRetention = 30 * 24 * time.Hour

// maintainState deletes, every hour until ctx ends, expired dedup keys and
// windows, and history entries and finished outbox rows older than the
// retention (notify delivery.retention, default defaultStateRetention). A
// pair pruned from the outbox could be queued again, so the retention must
// exceed how late a record can be redelivered.
func maintainState(ctx context.Context, store state.Store, retention time.Duration, log *slog.Logger) {
	if retention <= 0 {
		retention = defaultStateRetention
	}
	for {
		if st, err := store.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("state sweep", "error", err)
		} else if err == nil && st.DedupKeys+st.Windows > 0 {
			log.Info("state sweep", "dedup_keys", st.DedupKeys, "windows", st.Windows)
		}
		if st, err := store.Prune(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
			log.Warn("state prune", "error", err)
		} else if err == nil && st.Alerts+st.OutboxItems > 0 {
			log.Info("state prune", "alerts", st.Alerts, "outbox_items", st.OutboxItems)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(maintainInterval):
		}
	}
}

// regionOfQueue returns the region in an SQS queue URL
// (https://sqs.<region>.amazonaws.com/<account>/<name>), or "".
func regionOfQueue(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) >= 4 && parts[0] == "sqs" && parts[2] == "amazonaws" {
		return parts[1]
	}
	return ""
}
