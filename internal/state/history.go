package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// maxAlertLimit bounds one history query.
const maxAlertLimit = 10000

func (s *sqlStore) RecordAlert(ctx context.Context, a alert.Alert) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("record alert %s: %w", a.ID, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	added, err := s.recordAlertTx(ctx, tx, a)
	if err != nil || !added {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("record alert %s: commit: %w", a.ID, err)
	}
	return true, nil
}

// recordAlertTx adds a to the history inside tx; false if it was there.
func (s *sqlStore) recordAlertTx(ctx context.Context, tx *sql.Tx, a alert.Alert) (bool, error) {
	if a.ID == "" {
		return false, fmt.Errorf("record alert of rule %q: empty alert ID", a.RuleID)
	}
	body, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("record alert %s: encode: %w", a.ID, err)
	}
	var seq int64
	err = tx.QueryRowContext(ctx, s.d.q.insertAlert,
		a.ID, s.ts(s.clock()), s.ts(a.EventTime), a.RuleID, int(a.Severity), string(body)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // already recorded
	}
	if err != nil {
		return false, fmt.Errorf("record alert %s: %w", a.ID, err)
	}
	keys := slices.Clone(a.KeyARNs)
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if _, err := tx.ExecContext(ctx, s.d.q.insertAlertKey, seq, k); err != nil {
			return false, fmt.Errorf("record alert %s: key %s: %w", a.ID, k, err)
		}
	}
	return true, nil
}

func (s *sqlStore) RecentAlerts(ctx context.Context, q AlertQuery) ([]AlertRecord, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultAlertLimit
	}
	limit = min(limit, maxAlertLimit)
	rows, err := s.db.QueryContext(ctx, s.d.q.recentAlerts,
		s.ts(q.Since), q.RuleID, int(q.MinSeverity), q.KeyARN, limit)
	if err != nil {
		return nil, fmt.Errorf("query alert history: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var (
		out  []AlertRecord
		errs []error
	)
	for rows.Next() {
		var (
			r        AlertRecord
			recorded dbTime
			alertID  string
			body     string
		)
		if err := rows.Scan(&r.Seq, &alertID, &recorded, &body); err != nil {
			return nil, fmt.Errorf("query alert history: %w", err)
		}
		r.RecordedAt = recorded.t
		if err := json.Unmarshal([]byte(body), &r.Alert); err != nil {
			errs = append(errs, fmt.Errorf("alert history entry %d (alert %s): %w: %s", r.Seq, alertID, ErrCorrupt, describeJSONError(err)))
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query alert history: %w", err)
	}
	return out, errors.Join(errs...)
}

// describeJSONError says where in the stored document decoding failed.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q at byte %d: %v", typ.Field, typ.Offset, err)
	default:
		return err.Error()
	}
}
