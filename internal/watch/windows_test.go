package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/state"
)

func TestCorrelationSurvivesRestart(t *testing.T) {
	backends(t, func(t *testing.T, open func() state.Store) {
		ctx := context.Background()
		store := open()
		p, _, st := worker(t, store, builtin(t), nil)
		if st.Restored != 0 {
			t.Fatalf("a new store restored %d windows", st.Restored)
		}
		for n := 1; n <= 2; n++ {
			if err := p.Handle(ctx, disableKey(t, n), storeNow); err != nil {
				t.Fatal(err)
			}
		}
		if ids, _ := queued(t, store, bulkDisableRule); len(ids) != 0 {
			t.Fatalf("2 keys raised %d correlation alerts", len(ids))
		}
		// A crash: the pipeline, its correlator and the store handle go.
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		store = open()
		p, r, st := worker(t, store, builtin(t), nil)
		// Both built-in correlations keep a window for mallory: DisableKey
		// is also the destructive action of the IAM-change sequence.
		if st.Restored != 2 || st.Corrupt != 0 {
			t.Errorf("restore: %+v, want the 2 windows of mallory", st)
		}
		for range 2 { // the second is a redelivery
			if err := p.Handle(ctx, disableKey(t, 3), storeNow); err != nil {
				t.Fatal(err)
			}
		}
		ids, pending := queued(t, store, bulkDisableRule)
		if len(ids) != 1 || pending != 1 || r.woken != 1 {
			t.Errorf("the 3rd key after a restart: %d correlation alerts, %d deliveries queued, %d wake-ups; want 1 of each", len(ids), pending, r.woken)
		}
	})
}

func TestCorrelationRestoreCorrupt(t *testing.T) {
	backends(t, func(t *testing.T, open func() state.Store) {
		ctx := context.Background()
		store := open()
		p, _, _ := worker(t, store, builtin(t), nil)
		if err := p.Handle(ctx, disableKey(t, 1), storeNow); err != nil {
			t.Fatal(err)
		}
		expires := storeNow.Add(time.Hour) // live by the store's clock
		for _, w := range []state.Window{
			{RuleID: bulkDisableRule, GroupKey: `["arn:aws:iam::111122223333:user/eve"]`, State: []byte(`{"v":1,"values":[`), ExpiresAt: expires},
			{RuleID: bulkDisableRule, GroupKey: `["arn:aws:iam::111122223333:user/oscar"]`, State: []byte(`{"v":7,"values":["x"],"entries":[]}`), ExpiresAt: expires},
		} {
			if _, err := store.SaveWindow(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		var logs bytes.Buffer
		_, _, st := worker(t, store, builtin(t), slog.New(slog.NewTextHandler(&logs, nil)))
		if diff := cmp.Diff(CorrelationStats{Restored: 2, Corrupt: 2}, st); diff != "" {
			t.Errorf("restore stats (-want +got):\n%s", diff)
		}
		for _, want := range []string{"user/eve", "decode", "user/oscar", "state version 7"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, logs.String())
			}
		}
		left, err := store.LoadWindows(ctx, bulkDisableRule, 0)
		if err != nil {
			t.Fatal(err)
		}
		var groups []string
		for _, w := range left {
			groups = append(groups, w.GroupKey)
		}
		if diff := cmp.Diff([]string{`["` + mallory + `"]`}, groups); diff != "" {
			t.Errorf("stored windows after restore (-want +got):\n%s", diff)
		}
	})
}

// TestCorrelationCorruptWindowInUse: a window corrupted after start is met
// when an event needs it; the event starts it afresh instead of failing.
func TestCorrelationCorruptWindowInUse(t *testing.T) {
	ctx := context.Background()
	store := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	p, _, _ := worker(t, store, builtin(t), nil)
	if _, err := store.SaveWindow(ctx, state.Window{RuleID: bulkDisableRule, GroupKey: `["` + mallory + `"]`, State: []byte(`{"v":1,`), ExpiresAt: storeNow.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := p.Handle(ctx, disableKey(t, 1), storeNow); err != nil {
		t.Fatalf("a corrupt window failed the record: %v", err)
	}
	w, ok, err := store.LoadWindow(ctx, bulkDisableRule, `["`+mallory+`"]`)
	if err != nil || !ok || !strings.Contains(string(w.State), "ev-1") {
		t.Errorf("window after the event: %s, %v, %v; want a fresh window holding ev-1", w.State, ok, err)
	}
	if st := p.Correlation.Stats(); st.Corrupt != 1 {
		t.Errorf("stats %+v, want 1 corrupt", st)
	}
}

// closingWorkers returns a store and two workers on it (each with its own
// connection) running the built-in rules and closingRule.
func closingWorkers(t *testing.T, open func() state.Store) (state.Store, *Pipeline, *Pipeline) {
	t.Helper()
	set := closingRuleSet(t)
	store := open()
	a, _, _ := worker(t, store, set, nil)
	b, _, _ := worker(t, open(), set, nil)
	return store, a, b
}

// closingRuleSet is the built-in rules and closingRule.
func closingRuleSet(t testing.TB) detect.RuleSet {
	t.Helper()
	extra, err := detect.ParseRuleSet("closing.yml", []byte(closingRule))
	if err != nil {
		t.Fatal(err)
	}
	set := builtin(t)
	set.Add(extra)
	return set
}

// tickAll ticks each pipeline in turn at the wall-clock time at.
func tickAll(t *testing.T, at time.Time, ps ...*Pipeline) {
	t.Helper()
	for _, p := range ps {
		if err := p.Tick(context.Background(), at); err != nil {
			t.Fatal(err)
		}
	}
}

// closingRuleID is closingRule's id; closedAt is a time after which a
// window whose events are at 10:01 is closed (10m span, 15m lateness).
const closingRuleID = "00000000-0000-4000-8000-00000000c105"

var closedAt = time.Date(2026, 11, 20, 10, 27, 0, 0, time.UTC)

// closingRule is a correlation whose condition has an upper bound: it
// alerts when a 10-minute window closes with a single disabled key.
const closingRule = `title: A single key disabled
id: 00000000-0000-4000-8000-00000000c105
level: low
correlation:
    type: event_count
    rules:
        - kms_key_disabled_or_deletion_scheduled_any
    group-by:
        - userIdentity.arn
    timespan: 10m
    condition:
        gte: 1
        lt: 2
`

// TestCorrelationTickClosesWindows: windows of a closing rule alert on the
// tick once they close, exactly once however many workers tick.
func TestCorrelationTickClosesWindows(t *testing.T) {
	backends(t, func(t *testing.T, open func() state.Store) {
		ctx := context.Background()
		store, a, b := closingWorkers(t, open)
		if err := a.Handle(ctx, disableKey(t, 1), storeNow); err != nil {
			t.Fatal(err)
		}
		if err := b.Tick(ctx, storeNow); err != nil {
			t.Fatal(err)
		}
		if ids, _ := queued(t, store, closingRuleID); len(ids) != 0 {
			t.Fatalf("an open window alerted: %v", ids)
		}
		tickAll(t, closedAt, b, a, b)
		if ids, _ := queued(t, store, closingRuleID); len(ids) != 1 {
			t.Errorf("%d alerts of the closing rule after three ticks, want 1", len(ids))
		}
	})
}

// TestCorrelationTickClosesWindowsAsTimePasses: the store's clock and the
// ticks move together, as in production. A window whose only event is at
// 10:01 can close at 10:26 (10m span, 15m lateness), the same moment its
// newest event would make it expire: the closing rule must still alert,
// once, on the first tick after that.
func TestCorrelationTickClosesWindowsAsTimePasses(t *testing.T) {
	backends(t, func(t *testing.T, open func() state.Store) {
		ctx := context.Background()
		store, a, b := closingWorkers(t, open)
		if err := a.Handle(ctx, disableKey(t, 1), storeNow); err != nil {
			t.Fatal(err)
		}
		for at := storeNow; at.Before(time.Date(2026, 11, 20, 10, 40, 0, 0, time.UTC)); at = at.Add(30 * time.Second) {
			setClock(t, at)
			tickAll(t, at, a, b)
		}
		if ids, _ := queued(t, store, closingRuleID); len(ids) != 1 {
			t.Errorf("%d alerts of the closing rule after ticking past its close, want 1", len(ids))
		}
	})
}

// TestCorrelationTickClosesManyWindows: a tick settles stored windows in
// batches (advanceBatch per transaction); windows of every batch, the last
// one partial, alert once each, however many workers tick.
func TestCorrelationTickClosesManyWindows(t *testing.T) {
	backends(t, func(t *testing.T, open func() state.Store) {
		ctx := context.Background()
		store, a, b := closingWorkers(t, open)
		const users = 2*advanceBatch + 17
		// u7's alert cannot be queued at first: its batch fails, and the
		// others of that batch must still alert on the same tick.
		a.Route.(*router).brokenFor = func(al alert.Alert) bool {
			js, _ := json.Marshal(al)
			return bytes.Contains(js, []byte(`user/u7"`))
		}
		for u := range users {
			if err := a.Handle(ctx, disableKeyByUser(t, u), storeNow); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Tick(ctx, closedAt); err == nil {
			t.Error("a tick with a window that cannot be settled reports no error")
		}
		if first, err := store.RecentAlerts(ctx, state.AlertQuery{RuleID: closingRuleID, Limit: 10 * users}); err != nil || len(first) != users-1 {
			t.Errorf("%d alerts after the first tick (%v), want %d: one window must hold back no other", len(first), err, users-1)
		}
		a.Route.(*router).brokenFor = nil
		tickAll(t, closedAt, b, a, b)
		h, err := store.RecentAlerts(ctx, state.AlertQuery{RuleID: closingRuleID, Limit: 10 * users})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, r := range h {
			seen[r.Alert.ID]++
		}
		if len(h) != users || len(seen) != users {
			t.Errorf("%d alerts (%d distinct) of the closing rule for %d closed windows, want one each", len(h), len(seen), users)
		}
		// A window that alerted stays stored, marked closed, until it
		// expires: later ticks must not alert again.
		tickAll(t, closedAt.Add(time.Minute), a, b)
		if again, err := store.RecentAlerts(ctx, state.AlertQuery{RuleID: closingRuleID, Limit: 10 * users}); err != nil || len(again) != users {
			t.Errorf("%d alerts after two more ticks (%v), want still %d", len(again), err, users)
		}
	})
}
