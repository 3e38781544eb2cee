package state

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Option adjusts how Open sets up a Store.
type Option func(*options)

type options struct {
	now                   func() time.Time
	walCheckpointInterval time.Duration // SQLite; tests shorten it
	logger                *slog.Logger
}

// WithClock makes the store read the time from now instead of the system
// clock: lease expiry, dedup expiry and history times all follow it. Tests
// use it to move time forward without sleeping.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithLogger makes the store log what goes wrong in its background work
// (SQLite's WAL checkpoints) to l; by default nothing is logged, and
// failures are still counted (WALReporter).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// Open opens the store named by dsnOrPath, creating or migrating its schema:
// a postgres:// or postgresql:// URL selects PostgreSQL, anything else is the
// path of a SQLite database file (created if missing).
func Open(ctx context.Context, dsnOrPath string, opts ...Option) (Store, error) {
	o := options{now: time.Now, walCheckpointInterval: walCheckpointInterval, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case dsnOrPath == "":
		return nil, fmt.Errorf("open state: empty path: want a SQLite file path or a postgres:// URL")
	case strings.HasPrefix(dsnOrPath, "postgres://"), strings.HasPrefix(dsnOrPath, "postgresql://"):
		return openPostgres(ctx, dsnOrPath, o)
	case strings.Contains(dsnOrPath, "://"):
		scheme, _, _ := strings.Cut(dsnOrPath, "://")
		return nil, fmt.Errorf("open state: unsupported scheme %q: want a SQLite file path or a postgres:// URL", scheme)
	default:
		return openSQLite(ctx, dsnOrPath, o)
	}
}
