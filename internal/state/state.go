// Package state keeps what kmsguard must remember between runs and share
// between workers: source checkpoints, dedup keys, correlation windows, the
// notification outbox and the alert history.
//
// One Store interface has two implementations that pass the same test suite:
// an embedded SQLite database (the default, a file path) and PostgreSQL (a
// postgres:// URL) for several workers sharing one queue. Open picks one from
// the string it is given.
package state

import (
	"context"
	"errors"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// Store is the durable state of kmsguard. Every method is safe for
// concurrent use by many goroutines, and by many processes sharing the same
// SQLite file or PostgreSQL database.
type Store interface {
	// GetCheckpoint returns the position last saved for source, and false
	// if none was saved.
	GetCheckpoint(ctx context.Context, source string) (position string, ok bool, err error)
	// SetCheckpoint saves the position reached in source (an S3 key, a file
	// offset: opaque to the store).
	SetCheckpoint(ctx context.Context, source, position string) error

	// MarkSeen records key until expiresAt and reports whether this call was
	// the first to see it. Among concurrent callers exactly one gets true.
	// A key whose expiry has passed counts as unseen.
	MarkSeen(ctx context.Context, key string, expiresAt time.Time) (first bool, err error)
	// Sweep deletes expired dedup keys and correlation windows.
	Sweep(ctx context.Context) (SweepStats, error)

	// LoadWindow returns the live window of rule and group, and false if
	// there is none (or it has expired).
	LoadWindow(ctx context.Context, ruleID, groupKey string) (Window, bool, error)
	// LoadWindows returns up to limit live windows of rule, oldest update
	// first.
	LoadWindows(ctx context.Context, ruleID string, limit int) ([]Window, error)
	// SaveWindow stores w and returns its new version. w.Version must be the
	// version loaded (0 for a new window); if another writer saved the
	// window since, SaveWindow returns ErrConflict and changes nothing.
	SaveWindow(ctx context.Context, w Window) (version int64, err error)
	// DeleteWindow removes a window; deleting a missing window is not an
	// error.
	DeleteWindow(ctx context.Context, ruleID, groupKey string) error
	// UpdateWindows runs fn in one transaction holding the locks of the
	// windows refs, with the live ones loaded; the windows fn saves and
	// the alerts it queues and records commit together (see windowtx.go).
	// Workers sharing a store use it to correlate exactly.
	UpdateWindows(ctx context.Context, refs []WindowRef, fn func(tx WindowTx, live []Window) error) error

	// Enqueue queues a for delivery to each channel and returns how many
	// items were new. An (alert ID, channel) pair already queued, delivered
	// or dead-lettered is not queued again.
	Enqueue(ctx context.Context, a alert.Alert, channels []string) (added int, err error)
	// Claim leases up to limit due items of channel for the duration lease,
	// earliest due first. A leased item is invisible to other claims until
	// the lease expires, so a crashed worker's items return to the queue.
	// Each claim counts as an attempt. A worker must finish delivering (or
	// give up) within the lease: after it, another worker may deliver the
	// same item.
	Claim(ctx context.Context, channel string, lease time.Duration, limit int) ([]OutboxItem, error)
	// Ack records that item was delivered; the pair (alert ID, channel) is
	// never delivered again. It returns ErrLeaseLost if the lease expired
	// and another worker claimed the item since.
	Ack(ctx context.Context, item OutboxItem) error
	// Fail releases item for another attempt at next, recording why this
	// one failed. It returns ErrLeaseLost like Ack.
	Fail(ctx context.Context, item OutboxItem, next time.Time, reason string) error
	// DeadLetter gives up on item (typically after too many attempts); it is
	// kept for inspection and never claimed again.
	DeadLetter(ctx context.Context, item OutboxItem, reason string) error
	// DeadLetters lists up to limit dead items of channel ("" for all),
	// newest first.
	DeadLetters(ctx context.Context, channel string, limit int) ([]OutboxItem, error)
	// Pending counts the items of channel ("" for all) not yet delivered
	// or dead, for the queue-depth metric.
	Pending(ctx context.Context, channel string) (int, error)

	// RecordAlert adds a to the alert history and reports whether it was
	// new: an alert ID already recorded is not recorded twice.
	RecordAlert(ctx context.Context, a alert.Alert) (added bool, err error)
	// RecentAlerts returns the history entries matching q, newest first. If
	// some stored entries cannot be decoded it returns the others together
	// with an error wrapping ErrCorrupt that names each bad entry.
	RecentAlerts(ctx context.Context, q AlertQuery) ([]AlertRecord, error)

	// Prune deletes history entries recorded before before, and outbox items
	// delivered or dead-lettered before it. A pruned (alert ID, channel)
	// pair could be queued again, so before must lie further back than any
	// redelivery the dedup keys still guard against.
	Prune(ctx context.Context, before time.Time) (PruneStats, error)

	// Close releases the database connections.
	Close() error
}

// Errors callers inspect with errors.Is.
var (
	// ErrConflict: another writer saved the window since it was loaded.
	ErrConflict = errors.New("window changed since it was loaded")
	// ErrLeaseLost: the outbox item is no longer leased to the caller.
	ErrLeaseLost = errors.New("outbox lease lost")
	// ErrCorrupt: a stored record cannot be decoded.
	ErrCorrupt = errors.New("corrupt state record")
	// ErrTooLarge: a window's state exceeds MaxWindowStateBytes.
	ErrTooLarge = errors.New("window state too large")
)

// MaxWindowStateBytes bounds one correlation window's serialized state, so a
// runaway group cannot grow the database without limit.
const MaxWindowStateBytes = 1 << 20

// SweepStats counts what Sweep deleted.
type SweepStats struct {
	DedupKeys int
	Windows   int
}

// PruneStats counts what Prune deleted.
type PruneStats struct {
	Alerts      int
	OutboxItems int
}

// Window is the opaque, serialized state of one correlation rule for one
// group-by key (for example one principal), with its expiry.
type Window struct {
	RuleID    string
	GroupKey  string
	State     []byte
	ExpiresAt time.Time
	// Version increases with every save; SaveWindow uses it to detect
	// concurrent writers.
	Version   int64
	UpdatedAt time.Time
}

// OutboxItem is one alert due for delivery to one channel.
type OutboxItem struct {
	ID        int64
	AlertID   string
	Channel   string
	Alert     alert.Alert
	Attempts  int // claims so far, including the current one
	LastError string
	NextAt    time.Time // when the item is due
	// LeaseToken identifies the current claim; Ack, Fail and DeadLetter
	// check it.
	LeaseToken string
	LeaseUntil time.Time
	CreatedAt  time.Time
}

// AlertQuery filters the alert history. Zero fields do not filter.
type AlertQuery struct {
	Since       time.Time      // recorded at or after
	RuleID      string         // exactly this rule
	MinSeverity severity.Level // at least this severe
	KeyARN      string         // alerts naming this key
	Limit       int            // at most this many; 0 means DefaultAlertLimit
}

// DefaultAlertLimit is the number of history entries RecentAlerts returns
// when the query sets no limit.
const DefaultAlertLimit = 100

// AlertRecord is one entry of the alert history.
type AlertRecord struct {
	Seq        int64 // the store's row number, for referring to an entry
	RecordedAt time.Time
	Alert      alert.Alert
}
