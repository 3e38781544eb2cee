package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// WindowRef names one correlation window.
type WindowRef struct {
	RuleID   string
	GroupKey string
}

// WindowTx is one transaction of UpdateWindows: it holds the locks of its
// windows, and everything done through it commits or rolls back together.
type WindowTx interface {
	// PutWindow stores w (its Version is ignored: the lock, not a version
	// check, keeps other writers out).
	PutWindow(ctx context.Context, w Window) error
	// DeleteWindow removes a window; a missing window is not an error.
	DeleteWindow(ctx context.Context, ruleID, groupKey string) error
	// Enqueue queues a for each channel, due at now, as
	// NotifyOutbox.Enqueue does, and returns the channels newly added.
	Enqueue(ctx context.Context, a alert.Alert, channels []string, now time.Time) ([]string, error)
	// RecordAlert adds a to the history; false if it was already there.
	RecordAlert(ctx context.Context, a alert.Alert) (bool, error)
}

// windowLockKey is the PostgreSQL advisory lock key of a window: 64 bits
// of FNV-1a over the rule and group. Two windows that collide only share a
// lock, which serialises them needlessly but safely.
func windowLockKey(r WindowRef) int64 {
	h := fnv.New64a()
	h.Write([]byte("kmsguard-window\x00" + r.RuleID + "\x00" + r.GroupKey))
	return int64(h.Sum64())
}

// UpdateWindows runs fn in one transaction that first locks the windows
// refs, present or not, and loads the live ones (live holds them in the
// order of refs, absent or expired ones left out). Locks are taken in one
// global order, so concurrent callers never deadlock on them; another
// process updating any of these windows waits until this transaction
// ends. If fn returns an error, nothing fn did is kept.
func (s *sqlStore) UpdateWindows(ctx context.Context, refs []WindowRef, fn func(tx WindowTx, live []Window) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update correlation windows: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if s.d.q.lockWindow != "" {
		keys := make([]int64, 0, len(refs))
		for _, r := range refs {
			keys = append(keys, windowLockKey(r))
		}
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			if _, err := tx.ExecContext(ctx, s.d.q.lockWindow, k); err != nil {
				return fmt.Errorf("update correlation windows: lock: %w", err)
			}
		}
	}
	now := s.ts(s.clock())
	var live []Window
	for _, r := range refs {
		w := Window{RuleID: r.RuleID, GroupKey: r.GroupKey}
		var expires, updated dbTime
		err := tx.QueryRowContext(ctx, s.d.q.loadWindow, r.RuleID, r.GroupKey, now).Scan(&w.State, &expires, &w.Version, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("load window %s/%s: %w", r.RuleID, r.GroupKey, err)
		}
		w.ExpiresAt, w.UpdatedAt = expires.t, updated.t
		live = append(live, w)
	}
	if err := fn(&windowTx{s: s, tx: tx}, live); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update correlation windows: commit: %w", err)
	}
	return nil
}

type windowTx struct {
	s  *sqlStore
	tx *sql.Tx
}

func (t *windowTx) PutWindow(ctx context.Context, w Window) error {
	if len(w.State) > MaxWindowStateBytes {
		return fmt.Errorf("save window %s/%s: %d bytes: %w (limit %d)", w.RuleID, w.GroupKey, len(w.State), ErrTooLarge, MaxWindowStateBytes)
	}
	if w.State == nil {
		w.State = []byte{} // the column is NOT NULL
	}
	if _, err := t.tx.ExecContext(ctx, t.s.d.q.putWindow, w.RuleID, w.GroupKey, w.State, t.s.ts(w.ExpiresAt), t.s.ts(t.s.clock())); err != nil {
		return fmt.Errorf("save window %s/%s: %w", w.RuleID, w.GroupKey, err)
	}
	return nil
}

func (t *windowTx) DeleteWindow(ctx context.Context, ruleID, groupKey string) error {
	if _, err := t.tx.ExecContext(ctx, t.s.d.q.deleteWindow, ruleID, groupKey); err != nil {
		return fmt.Errorf("delete window %s/%s: %w", ruleID, groupKey, err)
	}
	return nil
}

func (t *windowTx) Enqueue(ctx context.Context, a alert.Alert, channels []string, now time.Time) ([]string, error) {
	return t.s.enqueueTx(ctx, t.tx, a, channels, now)
}

func (t *windowTx) RecordAlert(ctx context.Context, a alert.Alert) (bool, error) {
	return t.s.recordAlertTx(ctx, t.tx, a)
}
