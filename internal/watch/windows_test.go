package watch

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/state"
)

// bulkDisableRule is the built-in "3 keys disabled or scheduled for
// deletion by one principal in 10 minutes" correlation.
const bulkDisableRule = "a62c5a46-8805-4a4c-9332-16d8467f4960"

// storeNow is the store's clock: just after the events, so their windows
// are live.
var storeNow = time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC)

const mallory = "arn:aws:iam::111122223333:user/mallory"

// disableKey is a DisableKey of key n by mallory, n minutes after 10:00.
func disableKey(t *testing.T, n int) *cloudtrail.Record {
	t.Helper()
	rec, err := cloudtrail.Decode(fmt.Appendf(nil, `{"eventVersion":"1.10","eventID":"ev-%d","eventName":"DisableKey",
		"eventSource":"kms.amazonaws.com","eventTime":"2026-11-20T10:0%d:00Z","awsRegion":"us-east-1",
		"recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":%q,"accountId":"111122223333"},
		"requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/0000000%d-0000-4000-8000-000000000000"}}`, n, n, mallory, n))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func openStore(t *testing.T, path string) state.Store {
	t.Helper()
	s, err := state.Open(context.Background(), path, state.WithClock(func() time.Time { return storeNow }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newCorrelation builds a fresh engine, correlator and pipeline on store,
// restored from it, as `kmsguard watch` does at start.
func newCorrelation(t *testing.T, store state.Store, log *slog.Logger) (*Pipeline, *submitter, CorrelationStats) {
	t.Helper()
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e, err := detect.NewEngine(set, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := detect.NewCorrelator(set, detect.CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	corr := &Correlation{Engine: e, Correlator: c, Store: store, Logger: log}
	st, err := corr.Restore(context.Background())
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	sub := &submitter{}
	return &Pipeline{Correlation: corr, Submit: sub, History: store}, sub, st
}

// correlationAlerts counts the bulk-disable alerts sub got.
func correlationAlerts(t *testing.T, store state.Store, sub *submitter) int {
	t.Helper()
	h, err := store.RecentAlerts(context.Background(), state.AlertQuery{RuleID: bulkDisableRule})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, id := range sub.got {
		for _, r := range h {
			if r.Alert.ID == id {
				n++
			}
		}
	}
	return n
}

func TestCorrelationSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	before := time.Now()

	store := openStore(t, path)
	p, sub, st := newCorrelation(t, store, nil)
	if st.Restored != 0 {
		t.Fatalf("a new store restored %d windows", st.Restored)
	}
	for n := 1; n <= 2; n++ {
		if err := p.Handle(ctx, disableKey(t, n), before); err != nil {
			t.Fatal(err)
		}
	}
	if got := correlationAlerts(t, store, sub); got != 0 {
		t.Fatalf("2 keys raised %d correlation alerts", got)
	}
	// A crash: the pipeline, its correlator and the store handle are gone.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store = openStore(t, path)
	p, sub, st = newCorrelation(t, store, nil)
	// Both built-in correlations keep a window for mallory: DisableKey is
	// also the destructive action of the IAM-change-then-destroy sequence.
	if st.Restored != 2 || st.Corrupt != 0 {
		t.Errorf("restore: %+v, want the 2 windows of mallory", st)
	}
	if err := p.Handle(ctx, disableKey(t, 3), before); err != nil {
		t.Fatal(err)
	}
	if got := correlationAlerts(t, store, sub); got != 1 {
		t.Errorf("the 3rd key after a restart raised %d correlation alerts, want 1", got)
	}
	// A redelivery of the 3rd event alerts no more.
	if err := p.Handle(ctx, disableKey(t, 3), before); err != nil {
		t.Fatal(err)
	}
	h, err := store.RecentAlerts(ctx, state.AlertQuery{RuleID: bulkDisableRule})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 {
		t.Errorf("history holds %d correlation alerts, want 1", len(h))
	}
}

func TestCorrelationRestoreCorrupt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	store := openStore(t, path)
	p, _, _ := newCorrelation(t, store, nil)
	if err := p.Handle(ctx, disableKey(t, 1), time.Now()); err != nil {
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
	_, _, st := newCorrelation(t, store, slog.New(slog.NewTextHandler(&logs, nil)))
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
}

func TestCorrelationTickExpiresWindows(t *testing.T) {
	ctx := context.Background()
	store := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	p, _, _ := newCorrelation(t, store, nil)
	if err := p.Handle(ctx, disableKey(t, 1), time.Now()); err != nil {
		t.Fatal(err)
	}
	if ws, err := store.LoadWindows(ctx, bulkDisableRule, 0); err != nil || len(ws) != 1 {
		t.Fatalf("after one event: %d windows, %v", len(ws), err)
	}
	// An hour of event time later the 10-minute window (15 minutes late
	// at most) can hold nothing: the tick drops it, in the store too.
	if err := p.Tick(ctx, time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if ws, err := store.LoadWindows(ctx, bulkDisableRule, 0); err != nil || len(ws) != 0 {
		t.Errorf("after the tick: %d windows, %v", len(ws), err)
	}
	if st := p.Correlation.Stats(); st.Deleted != 1 {
		t.Errorf("stats %+v, want 1 deletion", st)
	}
}

func TestCorrelationConflictOverwrites(t *testing.T) {
	ctx := context.Background()
	store := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	a, _, _ := newCorrelation(t, store, nil)
	b, _, _ := newCorrelation(t, store, nil)
	// Two workers each see one of mallory's events: the second save finds
	// the first worker's window and replaces it instead of failing.
	if err := a.Handle(ctx, disableKey(t, 1), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := b.Handle(ctx, disableKey(t, 2), time.Now()); err != nil {
		t.Fatalf("a conflicting save failed the record: %v", err)
	}
	if st := b.Correlation.Stats(); st.Conflicts != 2 || st.Saved != 2 || st.Failures != 0 {
		t.Errorf("worker b stats %+v, want 2 conflicts (one per correlation) and 2 saves", st)
	}
	w, found, err := store.LoadWindow(ctx, bulkDisableRule, `["`+mallory+`"]`)
	if err != nil || !found {
		t.Fatalf("load: %v, found %v", err, found)
	}
	if !strings.Contains(string(w.State), "ev-2") || strings.Contains(string(w.State), "ev-1") {
		t.Errorf("stored window %s: want worker b's (ev-2 only)", w.State)
	}
}
