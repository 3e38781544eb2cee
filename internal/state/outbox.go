package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// maxClaim bounds one Claim, so a worker never leases more than it can
// deliver within one lease.
const maxClaim = 1000

func (s *sqlStore) Enqueue(ctx context.Context, a alert.Alert, channels []string) (int, error) {
	if a.ID == "" {
		return 0, fmt.Errorf("enqueue alert of rule %q: empty alert ID", a.RuleID)
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return 0, fmt.Errorf("enqueue alert %s: encode: %w", a.ID, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("enqueue alert %s: %w", a.ID, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	now := s.ts(s.clock())
	added := 0
	for _, ch := range channels {
		if ch == "" {
			return 0, fmt.Errorf("enqueue alert %s: empty channel name", a.ID)
		}
		res, err := tx.ExecContext(ctx, s.d.q.enqueue, a.ID, ch, string(payload), now)
		if err != nil {
			return 0, fmt.Errorf("enqueue alert %s for %s: %w", a.ID, ch, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("enqueue alert %s for %s: %w", a.ID, ch, err)
		}
		added += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("enqueue alert %s: commit: %w", a.ID, err)
	}
	return added, nil
}

func (s *sqlStore) Claim(ctx context.Context, channel string, lease time.Duration, limit int) ([]OutboxItem, error) {
	if lease <= 0 {
		return nil, fmt.Errorf("claim from %s: lease %v must be positive", channel, lease)
	}
	if limit <= 0 || limit > maxClaim {
		limit = maxClaim
	}
	now := s.clock()
	token := newLeaseToken()
	rows, err := s.db.QueryContext(ctx, s.d.q.claim, token, s.ts(now.Add(lease)), channel, s.ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim from %s: %w", channel, err)
	}
	var (
		items   []OutboxItem
		corrupt []OutboxItem
		errs    []error
	)
	for rows.Next() {
		it, payload, err := scanOutboxItem(rows)
		if err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("claim from %s: %w", channel, err)
		}
		if err := json.Unmarshal(payload, &it.Alert); err != nil {
			errs = append(errs, fmt.Errorf("outbox item %d (alert %s, channel %s): payload: %w: %w", it.ID, it.AlertID, it.Channel, ErrCorrupt, err))
			corrupt = append(corrupt, it)
			continue
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return nil, fmt.Errorf("claim from %s: %w", channel, err)
	}
	_ = rows.Close()
	// An undecodable item can never be delivered: park it where an operator
	// sees it rather than retrying it forever.
	for _, it := range corrupt {
		if err := s.DeadLetter(ctx, it, "corrupt payload"); err != nil {
			errs = append(errs, err)
		}
	}
	// RETURNING does not promise an order.
	slices.SortFunc(items, func(a, b OutboxItem) int {
		if c := a.NextAt.Compare(b.NextAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return items, errors.Join(errs...)
}

// scanner is what sql.Row and sql.Rows share.
type scanner interface{ Scan(dest ...any) error }

// outboxColumns is the column list every outbox query returns, in the
// order scanOutboxItem reads.
const outboxColumns = `id, alert_id, channel, payload, attempts, last_error, next_at, lease_token, lease_until, created_at`

func scanOutboxItem(r scanner) (OutboxItem, []byte, error) {
	var (
		it                     OutboxItem
		payload                string
		next, leaseEnd, create dbTime
	)
	if err := r.Scan(&it.ID, &it.AlertID, &it.Channel, &payload, &it.Attempts, &it.LastError, &next, &it.LeaseToken, &leaseEnd, &create); err != nil {
		return it, nil, err
	}
	it.NextAt, it.LeaseUntil, it.CreatedAt = next.t, leaseEnd.t, create.t
	return it, []byte(payload), nil
}

// finish runs one of the statements that end a lease and maps "no row" to
// ErrLeaseLost.
func (s *sqlStore) finish(ctx context.Context, what string, it OutboxItem, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, append([]any{it.ID, it.LeaseToken}, args...)...)
	if err != nil {
		return fmt.Errorf("%s outbox item %d (alert %s, channel %s): %w", what, it.ID, it.AlertID, it.Channel, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s outbox item %d (alert %s, channel %s): %w", what, it.ID, it.AlertID, it.Channel, err)
	}
	if n == 0 {
		return fmt.Errorf("%s outbox item %d (alert %s, channel %s): %w", what, it.ID, it.AlertID, it.Channel, ErrLeaseLost)
	}
	return nil
}

func (s *sqlStore) Ack(ctx context.Context, it OutboxItem) error {
	return s.finish(ctx, "ack", it, s.d.q.ack, s.ts(s.clock()))
}

func (s *sqlStore) Fail(ctx context.Context, it OutboxItem, next time.Time, reason string) error {
	return s.finish(ctx, "fail", it, s.d.q.fail, s.ts(next), reason)
}

func (s *sqlStore) DeadLetter(ctx context.Context, it OutboxItem, reason string) error {
	return s.finish(ctx, "dead-letter", it, s.d.q.deadLetter, s.ts(s.clock()), reason)
}

func (s *sqlStore) DeadLetters(ctx context.Context, channel string, limit int) ([]OutboxItem, error) {
	if limit <= 0 || limit > maxClaim {
		limit = maxClaim
	}
	rows, err := s.db.QueryContext(ctx, s.d.q.deadLetters, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var (
		items []OutboxItem
		errs  []error
	)
	for rows.Next() {
		it, payload, err := scanOutboxItem(rows)
		if err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		if err := json.Unmarshal(payload, &it.Alert); err != nil {
			// Still listed: the operator needs to see it, with the reason.
			errs = append(errs, fmt.Errorf("outbox item %d (alert %s, channel %s): payload: %w: %w", it.ID, it.AlertID, it.Channel, ErrCorrupt, err))
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return items, errors.Join(errs...)
}

func (s *sqlStore) Pending(ctx context.Context, channel string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.d.q.pending, channel).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending outbox items: %w", err)
	}
	return n, nil
}
