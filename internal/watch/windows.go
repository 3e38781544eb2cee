package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/state"
)

// WindowStore holds the correlation windows every worker shares
// (state.Store).
type WindowStore interface {
	LoadWindows(ctx context.Context, ruleID string, limit int) ([]state.Window, error)
	DeleteWindow(ctx context.Context, ruleID, groupKey string) error
	UpdateWindows(ctx context.Context, refs []state.WindowRef, fn func(tx state.WindowTx, live []state.Window) error) error
}

// restoreLimit is how many windows Restore and a tick look at per
// correlation rule: the most the store returns in one call.
const restoreLimit = 10000

// Correlation is the detection step with correlation windows kept in the
// state store and shared by every worker on that store. The store is the
// only copy of a window: for each record whose matches feed a
// correlation, one transaction locks the windows the record touches
// (present or not), loads them into the correlator, applies the event,
// decides the correlation alerts, queues them in the outbox and the
// history, saves the changed windows and commits; the correlator forgets
// them again. Two workers that receive events of one group therefore take
// turns on its window, and correlation is exact however the events are
// spread over workers and restarts; a crash or failure before the commit
// changes nothing, so the record's redelivery starts from the same window.
//
// The correlator's watermark follows the wall clock (Now) as well as
// eventTime, so every worker judges lateness alike: an event older than
// the correlation's timespan plus the allowed lateness is late.
type Correlation struct {
	Engine     *detect.Engine
	Correlator *detect.Correlator
	Store      WindowStore
	Logger     *slog.Logger     // optional
	Now        func() time.Time // the wall clock; nil: time.Now

	mu    sync.Mutex // the correlator is not safe for concurrent use
	stats CorrelationStats
}

// CorrelationStats counts what Correlation did with stored windows.
type CorrelationStats struct {
	Restored int // valid windows found at start
	Corrupt  int // stored windows that could not be read (started afresh)
	Saved    int // window saves
	Deleted  int // window deletions
	TooLarge int // saves skipped: the window exceeded state.MaxWindowStateBytes
	Failures int // window transactions that failed (the record is retried)
}

// Stats returns the counters so far.
func (c *Correlation) Stats() CorrelationStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

func (c *Correlation) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Restore checks every live stored window of every correlation rule (at
// most restoreLimit per rule) at start: a window the correlator rejects
// (corrupt state, unknown group) is logged, counted in Corrupt and
// deleted. Nothing stays in memory: windows are loaded as events need
// them. It returns the errors it met (a rule whose windows cannot be
// read, a failed deletion) joined.
func (c *Correlation) Restore(ctx context.Context) (CorrelationStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.Correlator.Forget()
	var errs []error
	for _, rs := range c.Correlator.Stats() {
		ws, err := c.Store.LoadWindows(ctx, rs.RuleID, restoreLimit)
		if err != nil {
			errs = append(errs, fmt.Errorf("restore correlation %s: %w", rs.RuleID, err))
			continue
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
			c.stats.Restored++
			c.Correlator.Forget() // one at a time: the MaxGroups cap never evicts
		}
	}
	return c.stats, errors.Join(errs...)
}

// txQueue queues alerts inside a window transaction and returns what to
// do once it has committed (wake the channel workers, count, log).
type txQueue func(tx state.WindowTx, alerts []alert.Alert) (after func(), err error)

// process runs detection on rec: its standalone alerts go to queue, its
// correlation matches through one window transaction whose alerts go to
// queueTx. Records without matches take no lock.
func (c *Correlation) process(ctx context.Context, rec *cloudtrail.Record, queue func([]alert.Alert) error, queueTx txQueue) error {
	ms := c.Engine.Match(rec)
	if len(ms) == 0 {
		return nil
	}
	if err := queue(c.Correlator.StandaloneAlerts(ms, rec)); err != nil {
		return err
	}
	refs := c.Correlator.GroupsOf(ms, rec)
	if len(refs) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.update(ctx, c.now(), refs, func() []alert.Alert {
		var out []alert.Alert
		for _, m := range ms {
			out = append(out, c.Correlator.Observe(m, rec)...)
		}
		return out
	}, queueTx)
}

// advanceBatch is how many windows one tick transaction settles. One
// transaction per window made a tick over thousands of windows thousands
// of commits (each an fsync on SQLite) that the record path queued
// behind; a batch holds its locks a little longer instead.
const advanceBatch = 64

// advance settles, at the wall-clock time now, the stored windows of the
// correlation rules that alert when a window closes, advanceBatch windows
// per transaction, so that quiet groups still alert. Rules that alert as
// events arrive need nothing: their expired windows are swept by the
// store. When a batch fails, its windows are tried one per transaction,
// so that a window that cannot be settled holds back no other; what still
// fails is tried again on the next tick.
func (c *Correlation) advance(ctx context.Context, now time.Time, queueTx txQueue) error {
	var errs []error
	settle := func(refs []detect.GroupRef) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.update(ctx, now, refs, nil, queueTx)
	}
	for _, rule := range c.Correlator.ClosingRules() {
		ws, err := c.Store.LoadWindows(ctx, rule, restoreLimit)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for batch := range slices.Chunk(ws, advanceBatch) {
			refs := make([]detect.GroupRef, len(batch))
			for i, w := range batch {
				refs[i] = detect.GroupRef{RuleID: w.RuleID, GroupKey: w.GroupKey}
			}
			err := settle(refs)
			switch {
			case err == nil:
				continue
			case len(refs) == 1 || ctx.Err() != nil:
				errs = append(errs, err)
				continue
			}
			for _, ref := range refs { // the batch rolled back: settle each alone
				if err := settle([]detect.GroupRef{ref}); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// update is one window transaction: lock and load refs, restore them into
// the (empty) correlator, settle them at the wall-clock time now, apply observe
// (nil: nothing more), save or delete every window that changed, queue the
// alerts, commit; then forget the windows again. The caller holds c.mu.
func (c *Correlation) update(ctx context.Context, now time.Time, refs []detect.GroupRef, observe func() []alert.Alert, queueTx txQueue) error {
	srefs := make([]state.WindowRef, len(refs))
	for i, r := range refs {
		srefs[i] = state.WindowRef{RuleID: r.RuleID, GroupKey: r.GroupKey}
	}
	var (
		after func()
		st    CorrelationStats // counted only once committed
	)
	c.Correlator.Forget()
	defer c.Correlator.Forget()
	err := c.Store.UpdateWindows(ctx, srefs, func(tx state.WindowTx, live []state.Window) error {
		st = CorrelationStats{}
		c.Correlator.Forget() // a retried transaction starts from the store again
		corrupt := map[state.WindowRef]bool{}
		for _, w := range live {
			if err := c.Correlator.RestoreWindow(w.RuleID, w.GroupKey, w.State); err != nil {
				st.Corrupt++
				corrupt[state.WindowRef{RuleID: w.RuleID, GroupKey: w.GroupKey}] = true
				c.log(slog.LevelWarn, "corrupt correlation window started afresh", "rule", w.RuleID, "group", w.GroupKey, "error", err.Error())
			}
		}
		_ = c.Correlator.Dirty() // restoring is not a change
		alerts := c.Correlator.Sweep(now)
		if observe != nil {
			alerts = append(alerts, observe()...)
		}
		for _, ws := range c.Correlator.Dirty() {
			ref := state.WindowRef{RuleID: ws.RuleID, GroupKey: ws.GroupKey}
			delete(corrupt, ref)
			if ws.Deleted {
				if err := tx.DeleteWindow(ctx, ws.RuleID, ws.GroupKey); err != nil {
					return err
				}
				st.Deleted++
				continue
			}
			err := tx.PutWindow(ctx, state.Window{RuleID: ws.RuleID, GroupKey: ws.GroupKey, State: ws.State, ExpiresAt: ws.ExpiresAt})
			if errors.Is(err, state.ErrTooLarge) {
				// Failing would fail the record on every redelivery: keep the
				// stored window as it was and say so.
				st.TooLarge++
				c.log(slog.LevelWarn, "correlation window too large to save; its newest events are not kept", "rule", ws.RuleID, "group", ws.GroupKey, "bytes", len(ws.State))
				continue
			}
			if err != nil {
				return err
			}
			st.Saved++
		}
		for ref := range corrupt {
			if err := tx.DeleteWindow(ctx, ref.RuleID, ref.GroupKey); err != nil {
				return err
			}
			st.Deleted++
		}
		var err error
		after, err = queueTx(tx, alerts)
		return err
	})
	if err != nil {
		c.stats.Failures++
		return fmt.Errorf("correlation windows: %w", err)
	}
	c.stats.Corrupt += st.Corrupt
	c.stats.Saved += st.Saved
	c.stats.Deleted += st.Deleted
	c.stats.TooLarge += st.TooLarge
	if after != nil {
		after()
	}
	return nil
}

func (c *Correlation) log(level slog.Level, msg string, args ...any) {
	if c.Logger != nil {
		c.Logger.Log(context.Background(), level, msg, args...)
	}
}
