package state

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/severity"
)

// testUpdateWindowsSerialises has workers on two store handles (two
// processes, as far as the database can tell) increment a counter kept in
// one window that does not exist yet: every increment reads the value the
// previous one committed, so none is lost, and the creation of the absent
// row is serialised too.
func testUpdateWindowsSerialises(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	handles := []Store{openStore(t, dsn, clock), openStore(t, dsn, clock)}
	ref := WindowRef{RuleID: "corr-1", GroupKey: `["alice"]`}
	other := WindowRef{RuleID: "corr-2", GroupKey: `["alice"]`}
	expires := clock.Now().Add(time.Hour)
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		st := handles[w%2]
		wg.Go(func() {
			for range each {
				// Lock order differs between workers: refs are locked in one
				// global order whatever order the caller gives.
				refs := []WindowRef{ref, other}
				if w%2 == 1 {
					refs = []WindowRef{other, ref}
				}
				errs <- st.UpdateWindows(ctx, refs, func(tx WindowTx, live []Window) error {
					n := 0
					for _, lw := range live {
						if lw.RuleID == ref.RuleID {
							n, _ = strconv.Atoi(string(lw.State))
						}
					}
					return tx.PutWindow(ctx, Window{RuleID: ref.RuleID, GroupKey: ref.GroupKey, State: []byte(strconv.Itoa(n + 1)), ExpiresAt: expires})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("UpdateWindows: %v", err)
		}
	}
	w, ok, err := handles[0].LoadWindow(ctx, ref.RuleID, ref.GroupKey)
	if err != nil || !ok {
		t.Fatalf("LoadWindow: %v, found %v", err, ok)
	}
	if got := string(w.State); got != strconv.Itoa(workers*each) {
		t.Errorf("counter = %s after %d serialised increments: updates were lost", got, workers*each)
	}
	if w.Version != workers*each {
		t.Errorf("version = %d, want %d (one per save)", w.Version, workers*each)
	}
}

// testUpdateWindowsAtomic checks that the window, the queued deliveries
// and the history entry of one update commit together or not at all, and
// that expired windows are not loaded.
func testUpdateWindowsAtomic(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	ref := WindowRef{RuleID: "corr-1", GroupKey: `["bob"]`}
	a := sampleAlert("corr-alert-1", "corr-1", severity.Critical, "arn:aws:kms:eu-west-1:111122223333:key/k1")
	update := func(fail error) error {
		return st.UpdateWindows(ctx, []WindowRef{ref}, func(tx WindowTx, live []Window) error {
			if len(live) != 0 {
				t.Errorf("live windows %v, want none", live)
			}
			if err := tx.PutWindow(ctx, Window{RuleID: ref.RuleID, GroupKey: ref.GroupKey, State: []byte(`w`), ExpiresAt: clock.Now().Add(time.Minute)}); err != nil {
				return err
			}
			added, err := tx.Enqueue(ctx, a, []string{"pager", "siem"}, clock.Now())
			if err != nil || len(added) != 2 {
				t.Errorf("Enqueue = %v, %v; want both channels", added, err)
			}
			if ok, err := tx.RecordAlert(ctx, a); err != nil || !ok {
				t.Errorf("RecordAlert = %v, %v; want added", ok, err)
			}
			return fail
		})
	}
	boom := errors.New("boom")
	if err := update(boom); !errors.Is(err, boom) {
		t.Fatalf("UpdateWindows = %v, want fn's error", err)
	}
	if _, ok, _ := st.LoadWindow(ctx, ref.RuleID, ref.GroupKey); ok {
		t.Error("a rolled-back update left its window")
	}
	if n, _ := st.Pending(ctx, ""); n != 0 {
		t.Errorf("a rolled-back update left %d deliveries", n)
	}
	if h, _ := st.RecentAlerts(ctx, AlertQuery{}); len(h) != 0 {
		t.Errorf("a rolled-back update left %d history entries", len(h))
	}
	if err := update(nil); err != nil {
		t.Fatalf("UpdateWindows: %v", err)
	}
	if _, ok, _ := st.LoadWindow(ctx, ref.RuleID, ref.GroupKey); !ok {
		t.Error("the committed window is missing")
	}
	if n, _ := st.Pending(ctx, ""); n != 2 {
		t.Errorf("%d deliveries pending, want 2", n)
	}
	if err := st.UpdateWindows(ctx, []WindowRef{ref}, func(tx WindowTx, live []Window) error {
		if len(live) != 1 || string(live[0].State) != "w" {
			t.Errorf("live windows %v, want the committed one", live)
		}
		if _, err := tx.Enqueue(ctx, a, []string{"pager"}, clock.Now()); err != nil {
			return err
		}
		return tx.PutWindow(ctx, Window{RuleID: ref.RuleID, GroupKey: ref.GroupKey, State: make([]byte, MaxWindowStateBytes+1), ExpiresAt: clock.Now().Add(time.Minute)})
	}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized window: %v, want ErrTooLarge", err)
	}
	clock.Advance(2 * time.Minute) // the window has expired
	if err := st.UpdateWindows(ctx, []WindowRef{ref}, func(tx WindowTx, live []Window) error {
		if len(live) != 0 {
			t.Errorf("an expired window was loaded: %v", live)
		}
		return tx.DeleteWindow(ctx, ref.RuleID, ref.GroupKey)
	}); err != nil {
		t.Fatal(err)
	}
}
