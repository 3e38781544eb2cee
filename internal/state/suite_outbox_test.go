package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/severity"
)

// claimOne claims from channel and requires exactly want items.
func claimN(t *testing.T, st Store, channel string, lease time.Duration, want int) []OutboxItem {
	t.Helper()
	items, err := st.Claim(context.Background(), channel, lease, 10)
	if err != nil {
		t.Fatalf("Claim(%s): %v", channel, err)
	}
	if len(items) != want {
		t.Fatalf("Claim(%s) = %d items, want %d", channel, len(items), want)
	}
	return items
}

func testOutboxLifecycle(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	a := sampleAlert("al-1", "kms-schedule-deletion", severity.High, "arn:aws:kms:eu-west-1:111122223333:key/k1")

	if n, err := st.Enqueue(ctx, a, []string{"slack", "pagerduty"}); err != nil || n != 2 {
		t.Fatalf("Enqueue = %d, %v; want 2, nil", n, err)
	}
	if n, err := st.Enqueue(ctx, a, []string{"slack", "pagerduty"}); err != nil || n != 0 {
		t.Errorf("Enqueue again = %d, %v; want 0, nil", n, err)
	}
	if n, err := st.Pending(ctx, ""); err != nil || n != 2 {
		t.Errorf("Pending(all) = %d, %v; want 2", n, err)
	}
	item := claimN(t, st, "slack", time.Minute, 1)[0]
	if diff := cmp.Diff(a, item.Alert); diff != "" {
		t.Errorf("claimed alert (-want +got):\n%s", diff)
	}
	if item.AlertID != "al-1" || item.Channel != "slack" || item.Attempts != 1 || item.LeaseToken == "" {
		t.Errorf("claimed item = %+v; want alert al-1 on slack, attempt 1, with a lease token", item)
	}
	if want := clock.Now().Add(time.Minute).Truncate(time.Microsecond); !item.LeaseUntil.Equal(want) {
		t.Errorf("LeaseUntil = %v, want %v", item.LeaseUntil, want)
	}
	claimN(t, st, "slack", time.Minute, 0) // leased: invisible

	// A failure puts the item back at the given time, with its reason.
	if err := st.Fail(ctx, item, clock.Now().Add(5*time.Minute), "webhook returned 503"); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	if err := st.Ack(ctx, item); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Ack after Fail: err = %v, want ErrLeaseLost", err)
	}
	clock.Advance(4 * time.Minute)
	claimN(t, st, "slack", time.Minute, 0) // not yet due
	clock.Advance(time.Minute)
	item = claimN(t, st, "slack", time.Minute, 1)[0]
	if item.Attempts != 2 || item.LastError != "webhook returned 503" {
		t.Errorf("retried item: attempts %d, last error %q; want 2, %q", item.Attempts, item.LastError, "webhook returned 503")
	}
	if err := st.Ack(ctx, item); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if err := st.Ack(ctx, item); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("second Ack: err = %v, want ErrLeaseLost", err)
	}

	// Delivered is forever: not claimable, not queued again.
	clock.Advance(time.Hour)
	claimN(t, st, "slack", time.Minute, 0)
	if n, err := st.Enqueue(ctx, a, []string{"slack", "email"}); err != nil || n != 1 {
		t.Errorf("Enqueue after delivery = %d, %v; want 1 (email only), nil", n, err)
	}
	for ch, want := range map[string]int{"slack": 0, "pagerduty": 1, "email": 1, "": 2} {
		if n, err := st.Pending(ctx, ch); err != nil || n != want {
			t.Errorf("Pending(%q) = %d, %v; want %d", ch, n, err, want)
		}
	}
	if _, err := st.Enqueue(ctx, sampleAlert("", "r", severity.Low), []string{"slack"}); err == nil {
		t.Error("Enqueue of alert without ID succeeded, want error")
	}
}

func testOutboxDueOrder(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	for _, id := range []string{"a", "b", "c"} {
		if _, err := st.Enqueue(ctx, sampleAlert(id, "r", severity.Medium), []string{"webhook"}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	first := claimN(t, st, "webhook", time.Minute, 3)
	// "a" fails and is due again after "b" and "c" are.
	if err := st.Fail(ctx, first[0], clock.Now().Add(2*time.Second), "timeout"); err != nil {
		t.Fatal(err)
	}
	for _, it := range first[1:] {
		if err := st.Fail(ctx, it, clock.Now().Add(time.Second), "timeout"); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Second)
	if ids := alertIDs(claimN(t, st, "webhook", time.Minute, 2)); !cmp.Equal(ids, []string{"b", "c"}) {
		t.Errorf("due at +1s: %v, want [b c]", ids)
	}
	clock.Advance(time.Second)
	if ids := alertIDs(claimN(t, st, "webhook", time.Minute, 1)); !cmp.Equal(ids, []string{"a"}) {
		t.Errorf("due at +2s: %v, want [a]", ids)
	}
	if ids := alertIDs(first); !cmp.Equal(ids, []string{"a", "b", "c"}) {
		t.Errorf("first claim order = %v, want enqueue order [a b c]", ids)
	}
}

func alertIDs(items []OutboxItem) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.AlertID)
	}
	return ids
}

// testOutboxLeaseExpiry: a worker that crashes holding a lease loses the
// item to another worker once the lease expires, and cannot ack it later.
func testOutboxLeaseExpiry(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	crashed, survivor := openStore(t, dsn, clock), openStore(t, dsn, clock)
	if _, err := crashed.Enqueue(ctx, sampleAlert("al-1", "r", severity.High), []string{"sns"}); err != nil {
		t.Fatal(err)
	}
	lost := claimN(t, crashed, "sns", 30*time.Second, 1)[0]
	clock.Advance(29 * time.Second)
	claimN(t, survivor, "sns", 30*time.Second, 0)
	clock.Advance(time.Second)
	taken := claimN(t, survivor, "sns", 30*time.Second, 1)[0]
	if taken.ID != lost.ID || taken.Attempts != 2 || taken.LeaseToken == lost.LeaseToken {
		t.Errorf("handed-over item = id %d, attempt %d, token %q; want id %d, attempt 2, a new token", taken.ID, taken.Attempts, taken.LeaseToken, lost.ID)
	}
	if err := crashed.Ack(ctx, lost); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Ack with expired, re-claimed lease: err = %v, want ErrLeaseLost", err)
	}
	if err := crashed.Fail(ctx, lost, clock.Now(), "x"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Fail with re-claimed lease: err = %v, want ErrLeaseLost", err)
	}
	if err := survivor.Ack(ctx, taken); err != nil {
		t.Errorf("Ack by new holder: %v", err)
	}
}

func testOutboxDeadLetter(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	a := sampleAlert("al-1", "r", severity.Critical)
	if _, err := st.Enqueue(ctx, a, []string{"smtp", "slack"}); err != nil {
		t.Fatal(err)
	}
	item := claimN(t, st, "smtp", time.Minute, 1)[0]
	if err := st.DeadLetter(ctx, item, "550 mailbox unavailable"); err != nil {
		t.Fatalf("DeadLetter: %v", err)
	}
	clock.Advance(time.Hour)
	claimN(t, st, "smtp", time.Minute, 0)
	if n, err := st.Enqueue(ctx, a, []string{"smtp"}); err != nil || n != 0 {
		t.Errorf("Enqueue of dead pair = %d, %v; want 0, nil", n, err)
	}
	for _, channel := range []string{"smtp", ""} {
		dead, err := st.DeadLetters(ctx, channel, 10)
		if err != nil {
			t.Fatalf("DeadLetters(%q): %v", channel, err)
		}
		if len(dead) != 1 || dead[0].AlertID != "al-1" || dead[0].LastError != "550 mailbox unavailable" || dead[0].Alert.RuleID != "r" {
			t.Errorf("DeadLetters(%q) = %+v; want al-1 with its reason and alert", channel, dead)
		}
	}
	if dead, err := st.DeadLetters(ctx, "slack", 10); err != nil || len(dead) != 0 {
		t.Errorf("DeadLetters(slack) = %d, %v; want none", len(dead), err)
	}
	if n, err := st.Pending(ctx, "smtp"); err != nil || n != 0 {
		t.Errorf("Pending(smtp) = %d, %v; want 0", n, err)
	}
}

// testOutboxConcurrentClaims: workers on two handles drain one channel;
// every item is delivered exactly once.
func testOutboxConcurrentClaims(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	handles := []Store{openStore(t, dsn, clock), openStore(t, dsn, clock)}
	const items, workers = 150, 6
	for i := range items {
		if _, err := handles[0].Enqueue(ctx, sampleAlert(fmt.Sprintf("al-%03d", i), "r", severity.High), []string{"webhook"}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu        sync.Mutex
		delivered = map[string]int{}
		errs      []error
		wg        sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			st := handles[w%len(handles)]
			for {
				batch, err := st.Claim(ctx, "webhook", time.Hour, 4)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				if len(batch) == 0 {
					return
				}
				for _, it := range batch {
					mu.Lock()
					delivered[it.AlertID]++
					mu.Unlock()
					if err := st.Ack(ctx, it); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("worker: %v", err)
	}
	if len(delivered) != items {
		t.Errorf("%d distinct items delivered, want %d", len(delivered), items)
	}
	for id, n := range delivered {
		if n != 1 {
			t.Errorf("%s delivered %d times, want once", id, n)
		}
	}
	if n, err := handles[1].Pending(ctx, "webhook"); err != nil || n != 0 {
		t.Errorf("Pending after drain = %d, %v; want 0", n, err)
	}
}

func testOutboxCorruptPayload(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	for _, id := range []string{"good", "bad"} {
		if _, err := st.Enqueue(ctx, sampleAlert(id, "r", severity.High), []string{"slack"}); err != nil {
			t.Fatal(err)
		}
	}
	rawExec(t, st, `UPDATE outbox SET payload = ?1 WHERE alert_id = ?2`, `{"id": "bad", "severity": 7`, "bad")
	items, err := st.Claim(ctx, "slack", time.Minute, 10)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "alert bad") {
		t.Errorf("Claim over a corrupt payload: err = %v, want ErrCorrupt naming alert bad", err)
	}
	if ids := alertIDs(items); !cmp.Equal(ids, []string{"good"}) {
		t.Errorf("Claim returned %v, want the good item only", ids)
	}
	dead, err := st.DeadLetters(ctx, "slack", 10)
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("DeadLetters over a corrupt payload: err = %v, want ErrCorrupt", err)
	}
	if len(dead) != 1 || dead[0].AlertID != "bad" || dead[0].LastError != "corrupt payload" {
		t.Errorf("DeadLetters = %+v; want the corrupt item, parked with its reason", dead)
	}
}
