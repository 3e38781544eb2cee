package watch

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/state"
	"github.com/kmsguard/kmsguard/internal/state/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// Built-in correlations: "3 keys disabled or scheduled for deletion by one
// principal in 10 minutes" and "IAM change granting KMS permissions, then a
// destructive KMS action by the same principal within an hour".
const (
	bulkDisableRule = "a62c5a46-8805-4a4c-9332-16d8467f4960"
	iamThenKMSRule  = "5d0f3f7e-8c1a-4b6e-9d2f-7a3b4c5d6e7f"
)

// storeNow is the wall clock of the stores and correlations in these
// tests: just after the events, so their windows are live.
var storeNow = time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC)

func clockNow() time.Time { return storeNow }

const mallory = "arn:aws:iam::111122223333:user/mallory"

// disableKey is a DisableKey of key n by mallory, n minutes after 10:00.
func disableKey(t testing.TB, n int) *cloudtrail.Record {
	t.Helper()
	return decode(t, fmt.Sprintf(`{"eventVersion":"1.10","eventID":"ev-%d","eventName":"DisableKey",
		"eventSource":"kms.amazonaws.com","eventTime":"2026-11-20T10:%02d:00Z","awsRegion":"us-east-1",
		"recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":%q,"accountId":"111122223333"},
		"requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/%08d-0000-4000-8000-000000000000"}}`, n, n%60, mallory, n))
}

// grantKMS is mallory giving herself kms:* at 10:mm.
func grantKMS(t testing.TB, id string, minute int) *cloudtrail.Record {
	t.Helper()
	return decode(t, fmt.Sprintf(`{"eventVersion":"1.10","eventID":%q,"eventName":"PutUserPolicy",
		"eventSource":"iam.amazonaws.com","eventTime":"2026-11-20T10:%02d:00Z","awsRegion":"us-east-1",
		"recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":%q,"accountId":"111122223333"},
		"requestParameters":{"userName":"mallory","policyName":"p","policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"}}`, id, minute, mallory))
}

func decode(t testing.TB, doc string) *cloudtrail.Record {
	t.Helper()
	rec, err := cloudtrail.Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// backends runs fn against a SQLite file and a PostgreSQL schema; open
// returns a new handle on the same store each call (a new worker).
func backends(t *testing.T, fn func(t *testing.T, open func() state.Store)) {
	for _, b := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "state.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			fn(t, func() state.Store { return openStore(t, dsn) })
		})
	}
}

func openStore(t testing.TB, dsn string) state.Store {
	t.Helper()
	s, err := state.Open(context.Background(), dsn, state.WithClock(clockNow))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// router routes every alert to the channel "siem" (or to an invalid empty
// channel name while broken, which fails the outbox insert).
type router struct {
	mu     sync.Mutex
	broken bool
	woken  int
}

func (r *router) Route(alert.Alert) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken {
		return []string{""}
	}
	return []string{"siem"}
}

func (r *router) Wake(chs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.woken += len(chs)
}

// lockedSubmitter collects standalone alerts from several goroutines.
type lockedSubmitter struct {
	mu  sync.Mutex
	got []string
}

func (s *lockedSubmitter) Submit(_ context.Context, a alert.Alert) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, a.ID)
	return []string{"siem"}, nil
}

// worker is one watch process's pipeline on store, built and restored as
// `kmsguard watch` does at start.
func worker(t testing.TB, store state.Store, set detect.RuleSet, log *slog.Logger) (*Pipeline, *router, CorrelationStats) {
	t.Helper()
	e, err := detect.NewEngine(set, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := detect.NewCorrelator(set, detect.CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	corr := &Correlation{Engine: e, Correlator: c, Store: store, Logger: log, Now: clockNow}
	st, err := corr.Restore(context.Background())
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	r := &router{}
	return &Pipeline{Correlation: corr, Submit: &lockedSubmitter{}, Route: r, History: store, Now: clockNow}, r, st
}

// correlatorWithCap is the built-in correlator keeping at most max events
// per group, as watch runs it.
func correlatorWithCap(t testing.TB, max int) *detect.Correlator {
	t.Helper()
	c, err := detect.NewCorrelator(builtin(t), detect.CorrelatorOptions{MaxEventsPerGroup: max})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func builtin(t testing.TB) detect.RuleSet {
	t.Helper()
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// queued returns the alert IDs of rule in the history and the number of
// outbox deliveries waiting (every correlation alert goes to "siem" once).
func queued(t testing.TB, store state.Store, rule string) ([]string, int) {
	t.Helper()
	ctx := context.Background()
	h, err := store.RecentAlerts(ctx, state.AlertQuery{RuleID: rule})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range h {
		ids = append(ids, r.Alert.ID)
	}
	n, err := store.Pending(ctx, "siem")
	if err != nil {
		t.Fatal(err)
	}
	return ids, n
}

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

// TestCorrelationAcrossWorkers has two workers share one store and split a
// group's events between them: each sees too few to alert on its own (the
// interleaving below gave 0 or 2 alerts with per-process windows), together
// they alert exactly once.
func TestCorrelationAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	t.Run("bulk deletion interleaved out of order", func(t *testing.T) {
		backends(t, func(t *testing.T, open func() state.Store) {
			store := open()
			a, _, _ := worker(t, store, builtin(t), nil)
			b, _, _ := worker(t, open(), builtin(t), nil)
			// Keys 1..6 by eventTime minute; a gets 3, 1, 5, b gets 2, 6, 4.
			// Alone, a and b each see three keys in ten minutes.
			steps := []struct {
				p *Pipeline
				n int
			}{{a, 3}, {b, 2}, {a, 1}, {b, 6}, {a, 5}, {b, 4}}
			for _, s := range steps {
				if err := s.p.Handle(ctx, disableKey(t, s.n), storeNow); err != nil {
					t.Fatal(err)
				}
			}
			ids, pending := queued(t, store, bulkDisableRule)
			if len(ids) != 1 || pending != 1 {
				t.Fatalf("%d correlation alerts, %d deliveries; want exactly 1", len(ids), pending)
			}
			h, _ := store.RecentAlerts(ctx, state.AlertQuery{RuleID: bulkDisableRule})
			// The first three events to arrive (minutes 3, 2, 1) complete the
			// window starting at minute 1.
			if diff := cmp.Diff([]string{"ev-1", "ev-2", "ev-3"}, h[0].Alert.EventIDs); diff != "" {
				t.Errorf("alert's events (-want +got):\n%s", diff)
			}
		})
	})
	t.Run("bulk deletion concurrently", func(t *testing.T) {
		backends(t, func(t *testing.T, open func() state.Store) {
			store := open()
			workers := []*Pipeline{}
			for range 2 {
				p, _, _ := worker(t, open(), builtin(t), nil)
				workers = append(workers, p)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 24)
			for g := range 4 { // two receive loops per worker
				p := workers[g%2]
				wg.Go(func() {
					for n := 1 + g; n <= 24; n += 4 {
						errs <- p.Handle(ctx, disableKey(t, n), storeNow)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			// 24 keys over minutes 1..24 (none late: the clock is 10:05).
			// However the events interleave, every alert's window holds 3
			// keys and no event counts in two alerts.
			ids, pending := queued(t, store, bulkDisableRule)
			if len(ids) == 0 || pending != len(ids) {
				t.Fatalf("%d correlation alerts, %d deliveries", len(ids), pending)
			}
			h, _ := store.RecentAlerts(ctx, state.AlertQuery{RuleID: bulkDisableRule, Limit: 100})
			seen := map[string]string{}
			for _, r := range h {
				if len(r.Alert.EventIDs) < 3 {
					t.Errorf("alert %s holds %d events, want at least 3", r.Alert.ID, len(r.Alert.EventIDs))
				}
				for _, ev := range r.Alert.EventIDs {
					if prev, dup := seen[ev]; dup {
						t.Errorf("event %s counted by alerts %s and %s: windows overlapped across workers", ev, prev, r.Alert.ID)
					}
					seen[ev] = r.Alert.ID
				}
			}
		})
	})
	t.Run("bulk deletion concurrently in one window", func(t *testing.T) {
		backends(t, func(t *testing.T, open func() state.Store) {
			store := open()
			workers := []*Pipeline{}
			for range 2 {
				p, _, _ := worker(t, open(), builtin(t), nil)
				workers = append(workers, p)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for g := range 4 {
				p := workers[g%2]
				wg.Go(func() {
					for n := 1 + g; n <= 9; n += 4 { // keys 1..9, all within ten minutes
						errs <- p.Handle(ctx, disableKey(t, n), storeNow)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if ids, pending := queued(t, store, bulkDisableRule); len(ids) != 1 || pending != 1 {
				t.Errorf("%d correlation alerts, %d deliveries; want exactly 1", len(ids), pending)
			}
		})
	})
	for _, order := range []string{"in order", "destructive action first"} {
		t.Run("temporal_ordered split "+order, func(t *testing.T) {
			backends(t, func(t *testing.T, open func() state.Store) {
				store := open()
				a, _, _ := worker(t, store, builtin(t), nil)
				b, _, _ := worker(t, open(), builtin(t), nil)
				grant := func() error { return a.Handle(ctx, grantKMS(t, "iam-1", 2), storeNow) }
				destroy := func() error { return b.Handle(ctx, disableKey(t, 4), storeNow) }
				steps := []func() error{grant, destroy, destroy} // the last is a redelivery
				if order != "in order" {
					steps = []func() error{destroy, grant, grant}
				}
				for _, s := range steps {
					if err := s(); err != nil {
						t.Fatal(err)
					}
				}
				ids, _ := queued(t, store, iamThenKMSRule)
				if len(ids) != 1 {
					t.Errorf("%d IAM-then-KMS alerts, want 1", len(ids))
				}
			})
		})
	}
}

// TestCorrelationRollsBack checks that a record whose correlation alert
// cannot be queued changes no window: its redelivery completes the
// correlation (per-process windows used to count it as a duplicate and
// lose the alert).
func TestCorrelationRollsBack(t *testing.T) {
	backends(t, func(t *testing.T, open func() state.Store) {
		ctx := context.Background()
		store := open()
		p, r, _ := worker(t, store, builtin(t), nil)
		for n := 1; n <= 2; n++ {
			if err := p.Handle(ctx, disableKey(t, n), storeNow); err != nil {
				t.Fatal(err)
			}
		}
		r.broken = true
		if err := p.Handle(ctx, disableKey(t, 3), storeNow); err == nil {
			t.Fatal("queuing into a broken channel succeeded")
		}
		if st := p.Correlation.Stats(); st.Failures != 1 {
			t.Errorf("stats %+v, want 1 failure", st)
		}
		r.broken = false
		if err := p.Handle(ctx, disableKey(t, 3), storeNow); err != nil {
			t.Fatal(err)
		}
		if ids, pending := queued(t, store, bulkDisableRule); len(ids) != 1 || pending != 1 {
			t.Errorf("after the redelivery: %d correlation alerts, %d deliveries; want 1", len(ids), pending)
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
		extra, err := detect.ParseRuleSet("closing.yml", []byte(closingRule))
		if err != nil {
			t.Fatal(err)
		}
		set := builtin(t)
		set.Add(extra)
		store := open()
		a, _, _ := worker(t, store, set, nil)
		b, _, _ := worker(t, open(), set, nil)
		if err := a.Handle(ctx, disableKey(t, 1), storeNow); err != nil {
			t.Fatal(err)
		}
		const rule = "00000000-0000-4000-8000-00000000c105"
		if err := b.Tick(ctx, storeNow); err != nil {
			t.Fatal(err)
		}
		if ids, _ := queued(t, store, rule); len(ids) != 0 {
			t.Fatalf("an open window alerted: %v", ids)
		}
		// Past 10:01 + 10m + 15m of lateness the window is closed.
		later := time.Date(2026, 11, 20, 10, 27, 0, 0, time.UTC)
		for _, p := range []*Pipeline{b, a, b} {
			if err := p.Tick(ctx, later); err != nil {
				t.Fatal(err)
			}
		}
		if ids, _ := queued(t, store, rule); len(ids) != 1 {
			t.Errorf("%d alerts of the closing rule after three ticks, want 1", len(ids))
		}
	})
}
