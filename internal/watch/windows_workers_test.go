package watch

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/state"
)

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
			disableConcurrently(t, open, 24)
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
			disableConcurrently(t, open, 9) // keys 1..9, all within ten minutes
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

// disableConcurrently has two workers on the store, with two receive
// loops each, handle DisableKey of keys 1..last between them.
func disableConcurrently(t *testing.T, open func() state.Store, last int) {
	t.Helper()
	workers := []*Pipeline{}
	for range 2 {
		p, _, _ := worker(t, open(), builtin(t), nil)
		workers = append(workers, p)
	}
	var wg sync.WaitGroup
	errs := make(chan error, last)
	for g := range 4 {
		p := workers[g%2]
		wg.Go(func() {
			for n := 1 + g; n <= last; n += 4 {
				errs <- p.Handle(context.Background(), disableKey(t, n), storeNow)
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
