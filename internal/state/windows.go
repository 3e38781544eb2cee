package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxWindowsPerLoad bounds LoadWindows when the caller passes no limit.
const maxWindowsPerLoad = 10000

func (s *sqlStore) LoadWindow(ctx context.Context, ruleID, groupKey string) (Window, bool, error) {
	w := Window{RuleID: ruleID, GroupKey: groupKey}
	var expires, updated dbTime
	err := s.db.QueryRowContext(ctx, s.d.q.loadWindow, ruleID, groupKey, s.ts(s.clock())).
		Scan(&w.State, &expires, &w.Version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Window{}, false, nil
	}
	if err != nil {
		return Window{}, false, fmt.Errorf("load window %s/%s: %w", ruleID, groupKey, err)
	}
	w.ExpiresAt, w.UpdatedAt = expires.t, updated.t
	return w, true, nil
}

func (s *sqlStore) LoadWindows(ctx context.Context, ruleID string, limit int) ([]Window, error) {
	if limit <= 0 || limit > maxWindowsPerLoad {
		limit = maxWindowsPerLoad
	}
	rows, err := s.db.QueryContext(ctx, s.d.q.loadWindows, ruleID, s.ts(s.clock()), limit)
	if err != nil {
		return nil, fmt.Errorf("load windows of %s: %w", ruleID, err)
	}
	defer func() { _ = rows.Close() }()
	var out []Window
	for rows.Next() {
		w := Window{RuleID: ruleID}
		var expires, updated dbTime
		if err := rows.Scan(&w.GroupKey, &w.State, &expires, &w.Version, &updated); err != nil {
			return nil, fmt.Errorf("load windows of %s: %w", ruleID, err)
		}
		w.ExpiresAt, w.UpdatedAt = expires.t, updated.t
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load windows of %s: %w", ruleID, err)
	}
	return out, nil
}

func (s *sqlStore) SaveWindow(ctx context.Context, w Window) (int64, error) {
	if len(w.State) > MaxWindowStateBytes {
		return 0, fmt.Errorf("save window %s/%s: %d bytes: %w (limit %d)", w.RuleID, w.GroupKey, len(w.State), ErrTooLarge, MaxWindowStateBytes)
	}
	if w.State == nil {
		w.State = []byte{} // the column is NOT NULL
	}
	now := s.ts(s.clock())
	var (
		version int64
		err     error
	)
	if w.Version == 0 {
		// A new window may replace an expired one nobody has swept yet.
		err = s.db.QueryRowContext(ctx, s.d.q.insertWindow, w.RuleID, w.GroupKey, w.State, s.ts(w.ExpiresAt), now).Scan(&version)
	} else {
		err = s.db.QueryRowContext(ctx, s.d.q.updateWindow, w.RuleID, w.GroupKey, w.State, s.ts(w.ExpiresAt), now, w.Version).Scan(&version)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("save window %s/%s at version %d: %w", w.RuleID, w.GroupKey, w.Version, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("save window %s/%s: %w", w.RuleID, w.GroupKey, err)
	}
	return version, nil
}

func (s *sqlStore) DeleteWindow(ctx context.Context, ruleID, groupKey string) error {
	if _, err := s.db.ExecContext(ctx, s.d.q.deleteWindow, ruleID, groupKey); err != nil {
		return fmt.Errorf("delete window %s/%s: %w", ruleID, groupKey, err)
	}
	return nil
}
