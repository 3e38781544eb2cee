package notify

import (
	"context"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// Delivery is one (alert, channel) pair waiting in, or recorded by, the
// outbox.
type Delivery struct {
	AlertID     string      `json:"alert_id"` // DedupKey(Alert)
	Channel     string      `json:"channel"`
	Alert       alert.Alert `json:"alert"`
	Attempts    int         `json:"attempts"` // failed attempts so far
	EnqueuedAt  time.Time   `json:"enqueued_at"`
	NextAttempt time.Time   `json:"next_attempt"`
	LastError   string      `json:"last_error,omitempty"` // scrubbed of secrets
}

// Outbox is the durable delivery queue. Every method returns only after its
// change is durable (fsync, commit). internal/notify provides FileOutbox;
// internal/state implements the same contract on SQLite and PostgreSQL.
//
// Dedup contract: the outbox remembers every (AlertID, Channel) pair it has
// seen (pending, delivered or dead-lettered) for at least its retention
// period, and Enqueue never adds a remembered pair again.
type Outbox interface {
	// Enqueue records one pending delivery of a per channel, due at now, and
	// returns the channels actually added (the others were already known).
	Enqueue(ctx context.Context, a alert.Alert, channels []string, now time.Time) ([]string, error)
	// Claim leases up to max pending deliveries of channel whose NextAttempt
	// is not after now, oldest due first, until now+lease. A leased delivery
	// is not claimed again before its lease ends, so work held by a crashed
	// worker comes back after the lease.
	Claim(ctx context.Context, channel string, now time.Time, lease time.Duration, max int) ([]Delivery, error)
	// Ack records d as delivered at now; it is never claimed again.
	Ack(ctx context.Context, d Delivery, now time.Time) error
	// Fail records a failed attempt: Attempts+1, LastError = reason, and the
	// delivery is due again at next.
	Fail(ctx context.Context, d Delivery, next time.Time, reason string) error
	// DeadLetter gives up on d (permanent error or attempts exhausted); it is
	// kept for inspection and never claimed again.
	DeadLetter(ctx context.Context, d Delivery, now time.Time, reason string) error
}
