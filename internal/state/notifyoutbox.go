package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/notify"
)

// NotifyOutbox runs notify's Dispatcher on a Store: it implements
// notify.Outbox over the store's outbox table, so queued alerts survive a
// restart and several workers sharing one database share the deliveries.
//
// notify's contract passes the time explicitly and identifies a delivery by
// its (alert ID, channel) pair rather than by a lease token, so these
// methods use their own statements; they share the table, its unique key
// (the dedup record) and its status column with the Store methods. Through
// this adapter the attempts column counts failed attempts, as
// notify.Delivery.Attempts does, not claims.
type NotifyOutbox struct {
	s *sqlStore
	q notifyQueries
}

// NewNotifyOutbox adapts st, which must come from Open.
func NewNotifyOutbox(st Store) (*NotifyOutbox, error) {
	s, ok := st.(*sqlStore)
	if !ok {
		return nil, fmt.Errorf("notify outbox: unsupported store type %T", st)
	}
	q := sqliteNotifyQueries
	if s.d.name == "postgres" {
		q = postgresNotifyQueries
	}
	return &NotifyOutbox{s: s, q: q}, nil
}

var _ notify.Outbox = (*NotifyOutbox)(nil)

type notifyQueries struct{ claim, ack, fail, deadLetter string }

var sqliteNotifyQueries = notifyQueries{
	claim: `UPDATE outbox SET lease_token = ?1, lease_until = ?2
		WHERE id IN (
			SELECT id FROM outbox
			WHERE channel = ?3 AND status = 'pending' AND next_at <= ?4 AND lease_until <= ?4
			ORDER BY next_at, id
			LIMIT ?5)
		RETURNING ` + outboxColumns,
	ack: `UPDATE outbox SET status = 'delivered', done_at = ?3, lease_token = '', lease_until = 0
		WHERE alert_id = ?1 AND channel = ?2 AND status = 'pending'`,
	fail: `UPDATE outbox SET attempts = attempts + 1, next_at = ?3, last_error = ?4, lease_token = '', lease_until = 0
		WHERE alert_id = ?1 AND channel = ?2 AND status = 'pending'`,
	deadLetter: `UPDATE outbox SET status = 'dead', done_at = ?3, last_error = ?4, lease_token = '', lease_until = 0
		WHERE alert_id = ?1 AND channel = ?2 AND status = 'pending'`,
}

var postgresNotifyQueries = notifyQueries{
	claim: `UPDATE outbox SET lease_token = $1, lease_until = $2
		WHERE id IN (
			SELECT id FROM outbox
			WHERE channel = $3 AND status = 'pending' AND next_at <= $4
			  AND (lease_until IS NULL OR lease_until <= $4)
			ORDER BY next_at, id
			LIMIT $5
			FOR UPDATE SKIP LOCKED)
		RETURNING ` + outboxColumns,
	ack: `UPDATE outbox SET status = 'delivered', done_at = $3, lease_token = '', lease_until = NULL
		WHERE alert_id = $1 AND channel = $2 AND status = 'pending'`,
	fail: `UPDATE outbox SET attempts = attempts + 1, next_at = $3, last_error = $4, lease_token = '', lease_until = NULL
		WHERE alert_id = $1 AND channel = $2 AND status = 'pending'`,
	deadLetter: `UPDATE outbox SET status = 'dead', done_at = $3, last_error = $4, lease_token = '', lease_until = NULL
		WHERE alert_id = $1 AND channel = $2 AND status = 'pending'`,
}

// Enqueue implements notify.Outbox: one transaction, channels in the order
// given, each added at most once.
func (o *NotifyOutbox) Enqueue(ctx context.Context, a alert.Alert, channels []string, now time.Time) ([]string, error) {
	tx, err := o.s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("enqueue alert %s: %w", a.ID, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	added, err := o.s.enqueueTx(ctx, tx, a, channels, now)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("enqueue alert %s: commit: %w", a.ID, err)
	}
	return added, nil
}

// enqueueTx adds one pending delivery of a per channel inside tx and
// returns the channels actually added.
func (s *sqlStore) enqueueTx(ctx context.Context, tx *sql.Tx, a alert.Alert, channels []string, now time.Time) ([]string, error) {
	if a.ID == "" {
		return nil, fmt.Errorf("enqueue alert of rule %q: empty alert ID", a.RuleID)
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("enqueue alert %s: encode: %w", a.ID, err)
	}
	added := []string{}
	for _, ch := range channels {
		if ch == "" {
			return nil, fmt.Errorf("enqueue alert %s: empty channel name", a.ID)
		}
		res, err := tx.ExecContext(ctx, s.d.q.enqueue, a.ID, ch, string(payload), s.ts(now))
		if err != nil {
			return nil, fmt.Errorf("enqueue alert %s for %s: %w", a.ID, ch, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("enqueue alert %s for %s: %w", a.ID, ch, err)
		}
		if n > 0 {
			added = append(added, ch)
		}
	}
	return added, nil
}

// Claim implements notify.Outbox.
func (o *NotifyOutbox) Claim(ctx context.Context, channel string, now time.Time, lease time.Duration, max int) ([]notify.Delivery, error) {
	if lease <= 0 {
		return nil, fmt.Errorf("claim from %s: lease %v must be positive", channel, lease)
	}
	if max <= 0 || max > maxClaim {
		max = maxClaim
	}
	rows, err := o.s.db.QueryContext(ctx, o.q.claim, newLeaseToken(), o.s.ts(now.Add(lease)), channel, o.s.ts(now), max)
	if err != nil {
		return nil, fmt.Errorf("claim from %s: %w", channel, err)
	}
	var items []OutboxItem
	var payloads [][]byte
	for rows.Next() {
		it, payload, err := scanOutboxItem(rows)
		if err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("claim from %s: %w", channel, err)
		}
		items = append(items, it)
		payloads = append(payloads, payload)
	}
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return nil, fmt.Errorf("claim from %s: %w", channel, err)
	}
	_ = rows.Close()
	out := make([]notify.Delivery, 0, len(items))
	for i, it := range items {
		d := notify.Delivery{
			AlertID: it.AlertID, Channel: it.Channel, Attempts: it.Attempts,
			EnqueuedAt: it.CreatedAt, NextAttempt: it.NextAt, LastError: it.LastError,
		}
		if err := json.Unmarshal(payloads[i], &d.Alert); err != nil {
			// Undeliverable for good: park it where an operator sees it.
			reason := fmt.Sprintf("corrupt payload: %v", err)
			if derr := o.DeadLetter(ctx, d, now, reason); derr != nil {
				return nil, derr
			}
			continue
		}
		out = append(out, d)
	}
	sortDeliveries(out)
	return out, nil
}

// sortDeliveries orders by due time then enqueue time: RETURNING does not
// promise an order.
func sortDeliveries(ds []notify.Delivery) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && deliveryBefore(ds[j], ds[j-1]); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func deliveryBefore(a, b notify.Delivery) bool {
	if !a.NextAttempt.Equal(b.NextAttempt) {
		return a.NextAttempt.Before(b.NextAttempt)
	}
	return a.EnqueuedAt.Before(b.EnqueuedAt)
}

// Ack implements notify.Outbox.
func (o *NotifyOutbox) Ack(ctx context.Context, d notify.Delivery, now time.Time) error {
	return o.finish(ctx, "ack", d, o.q.ack, o.s.ts(now))
}

// Fail implements notify.Outbox.
func (o *NotifyOutbox) Fail(ctx context.Context, d notify.Delivery, next time.Time, reason string) error {
	return o.finish(ctx, "fail", d, o.q.fail, o.s.ts(next), reason)
}

// DeadLetter implements notify.Outbox.
func (o *NotifyOutbox) DeadLetter(ctx context.Context, d notify.Delivery, now time.Time, reason string) error {
	return o.finish(ctx, "dead-letter", d, o.q.deadLetter, o.s.ts(now), reason)
}

func (o *NotifyOutbox) finish(ctx context.Context, what string, d notify.Delivery, query string, args ...any) error {
	res, err := o.s.db.ExecContext(ctx, query, append([]any{d.AlertID, d.Channel}, args...)...)
	if err != nil {
		return fmt.Errorf("%s delivery of alert %s to %s: %w", what, d.AlertID, d.Channel, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s delivery of alert %s to %s: %w", what, d.AlertID, d.Channel, err)
	}
	if n == 0 {
		return fmt.Errorf("%s delivery of alert %s to %s: no pending delivery: %w", what, d.AlertID, d.Channel, ErrLeaseLost)
	}
	return nil
}
