package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/state"
)

// WindowStore holds correlation windows across restarts (state.Store).
type WindowStore interface {
	LoadWindow(ctx context.Context, ruleID, groupKey string) (state.Window, bool, error)
	LoadWindows(ctx context.Context, ruleID string, limit int) ([]state.Window, error)
	SaveWindow(ctx context.Context, w state.Window) (version int64, err error)
	DeleteWindow(ctx context.Context, ruleID, groupKey string) error
}

// restoreLimit is how many windows Restore asks for per correlation rule:
// the most the store returns in one call.
const restoreLimit = 10000

// Correlation is the detection step with durable correlation windows: the
// engine's matches go through the correlator, and the windows they change
// are saved to the store once the record's alerts are durably queued, all
// under one mutex, so the stored windows never run ahead of the queued
// alerts and a crash after the message is acknowledged loses no window.
//
// Windows are per process: with several workers on one store, each keeps
// its own windows and a save that finds a newer version from another
// worker (state.ErrConflict) overwrites it (the latest event's process
// wins) and is counted in Conflicts; a conflict never fails a record. Correlation across processes is
// therefore only exact when one process sees all events of a group.
type Correlation struct {
	Engine     *detect.Engine
	Correlator *detect.Correlator
	Store      WindowStore
	Logger     *slog.Logger // optional

	mu       sync.Mutex
	versions map[windowKey]int64              // stored version of each window this process saved or restored
	pending  map[windowKey]detect.WindowState // changes not yet saved (a failed save is retried)
	stats    CorrelationStats
}

type windowKey struct{ rule, group string }

// CorrelationStats counts what Correlation did with stored windows.
type CorrelationStats struct {
	Restored  int // windows loaded at start
	Corrupt   int // stored windows that could not be restored (deleted)
	Saved     int // window saves
	Deleted   int // window deletions
	Conflicts int // saves that found a newer window from another worker
	Failures  int // saves or deletions that failed (retried on the next persist)
}

// Stats returns the counters so far.
func (c *Correlation) Stats() CorrelationStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

func (c *Correlation) init() {
	if c.versions == nil {
		c.versions = map[windowKey]int64{}
		c.pending = map[windowKey]detect.WindowState{}
	}
}

// Restore loads every live stored window of every correlation rule into
// the correlator. A window the correlator rejects (corrupt state, unknown
// group) is logged, counted in Corrupt and deleted from the store; Restore
// goes on with the rest and returns the errors it met (a rule whose
// windows cannot be read, a failed deletion) joined.
func (c *Correlation) Restore(ctx context.Context) (CorrelationStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	var errs []error
	for _, rs := range c.Correlator.Stats() {
		ws, err := c.Store.LoadWindows(ctx, rs.RuleID, restoreLimit)
		if err != nil {
			errs = append(errs, fmt.Errorf("restore correlation %s: %w", rs.RuleID, err))
			continue
		}
		if len(ws) >= restoreLimit {
			c.log(slog.LevelWarn, "correlation windows beyond the restore limit start afresh",
				"rule", rs.RuleID, "restored", len(ws))
		}
		for _, w := range ws {
			if err := c.Correlator.RestoreWindow(w.RuleID, w.GroupKey, w.State); err != nil {
				c.stats.Corrupt++
				c.log(slog.LevelWarn, "corrupt correlation window deleted", "rule", w.RuleID, "group", w.GroupKey, "error", err.Error())
				if err := c.Store.DeleteWindow(ctx, w.RuleID, w.GroupKey); err != nil {
					errs = append(errs, err)
				}
				continue
			}
			c.versions[windowKey{w.RuleID, w.GroupKey}] = w.Version
			c.stats.Restored++
		}
	}
	// Groups evicted by the MaxGroups cap while restoring are deletions.
	if err := c.persistLocked(ctx); err != nil {
		errs = append(errs, err)
	}
	return c.stats, errors.Join(errs...)
}

// process runs detection on rec and hands its alerts to queue; once queue
// has succeeded it saves the changed windows. Records without matches do
// not take the lock.
func (c *Correlation) process(ctx context.Context, rec *cloudtrail.Record, queue func([]alert.Alert) error) error {
	matches := c.Engine.Match(rec)
	if len(matches) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := queue(c.Correlator.Alerts(matches, rec)); err != nil {
		return err
	}
	return c.persistLocked(ctx)
}

// advance moves the correlator's watermark to now, queues the alerts of
// the windows that close and saves the changed windows.
func (c *Correlation) advance(ctx context.Context, now time.Time, queue func([]alert.Alert) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := queue(c.Correlator.Advance(now)); err != nil {
		return err
	}
	return c.persistLocked(ctx)
}

// persistLocked saves or deletes every changed window. A window whose save
// fails stays pending and is tried again on the next call (with its
// newest state).
func (c *Correlation) persistLocked(ctx context.Context) error {
	c.init()
	for _, ws := range c.Correlator.Dirty() {
		c.pending[windowKey{ws.RuleID, ws.GroupKey}] = ws
	}
	var errs []error
	for key, ws := range c.pending {
		var err error
		done := true
		if ws.Deleted {
			if err = c.Store.DeleteWindow(ctx, ws.RuleID, ws.GroupKey); err == nil {
				delete(c.versions, key)
				c.stats.Deleted++
			}
		} else {
			done, err = c.save(ctx, key, ws)
		}
		if err != nil {
			c.stats.Failures++
			errs = append(errs, err)
			continue
		}
		if done {
			delete(c.pending, key)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("save correlation windows: %w", errors.Join(errs...))
	}
	return nil
}

// conflictRetries bounds the overwrite attempts of one save when other
// workers keep saving the same group.
const conflictRetries = 3

// save stores ws. A conflict (another worker saved the group since) is not
// an error: this process's window, which has just changed, replaces the
// stored one (see the type's comment); if other workers win every retry,
// the window stays pending for the next persist.
func (c *Correlation) save(ctx context.Context, key windowKey, ws detect.WindowState) (saved bool, err error) {
	w := state.Window{RuleID: ws.RuleID, GroupKey: ws.GroupKey, State: ws.State, ExpiresAt: ws.ExpiresAt, Version: c.versions[key]}
	for range conflictRetries {
		v, err := c.Store.SaveWindow(ctx, w)
		if err == nil {
			c.versions[key] = v
			c.stats.Saved++
			return true, nil
		}
		if !errors.Is(err, state.ErrConflict) {
			return false, err
		}
		c.stats.Conflicts++
		c.log(slog.LevelDebug, "correlation window saved by another worker; overwriting", "rule", ws.RuleID, "group", ws.GroupKey)
		cur, found, err := c.Store.LoadWindow(ctx, ws.RuleID, ws.GroupKey)
		if err != nil {
			return false, err
		}
		w.Version = 0
		if found {
			w.Version = cur.Version
		}
	}
	return false, nil
}

func (c *Correlation) log(level slog.Level, msg string, args ...any) {
	if c.Logger != nil {
		c.Logger.Log(context.Background(), level, msg, args...)
	}
}
