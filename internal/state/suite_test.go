package state

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// freshDB returns the DSN or path of a new, empty database. Opening it more
// than once gives several handles on the same data, as several workers have.
type freshDB func(t *testing.T) string

// runStoreSuite is the behaviour every Store implementation must show.
func runStoreSuite(t *testing.T, fresh freshDB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, dsn string)
	}{
		{"Checkpoints", testCheckpoints},
		{"MarkSeen", testMarkSeen},
		{"MarkSeenRace", testMarkSeenRace},
		{"Windows", testWindows},
		{"UpdateWindowsSerialises", testUpdateWindowsSerialises},
		{"UpdateWindowsAtomic", testUpdateWindowsAtomic},
		{"OutboxLifecycle", testOutboxLifecycle},
		{"OutboxDueOrder", testOutboxDueOrder},
		{"OutboxLeaseExpiry", testOutboxLeaseExpiry},
		{"OutboxDeadLetter", testOutboxDeadLetter},
		{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
		{"OutboxCorruptPayload", testOutboxCorruptPayload},
		{"History", testHistory},
		{"HistoryCorruptEntry", testHistoryCorruptEntry},
		{"Prune", testPrune},
		{"ConcurrentOpen", testConcurrentOpen},
		{"SchemaNewerThanBinary", testSchemaNewerThanBinary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, fresh(t)) })
	}
}

// testClock is a clock the test moves by hand, shared by all handles of a
// test so that they agree on what is due.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openStore(t *testing.T, dsn string, clock *testClock) Store {
	t.Helper()
	st, err := Open(context.Background(), dsn, WithClock(clock.Now))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

// rawExec runs SQL written with ?N placeholders directly on the store's
// database, to plant data the API would never write.
func rawExec(t *testing.T, st Store, query string, args ...any) {
	t.Helper()
	s := st.(*sqlStore)
	if _, err := s.db.ExecContext(context.Background(), rebind(s.d, query), args...); err != nil {
		t.Fatalf("raw %q: %v", query, err)
	}
}

func sampleAlert(id, rule string, sev severity.Level, keys ...string) alert.Alert {
	return alert.Alert{
		ID:          id,
		RuleID:      rule,
		RuleTitle:   "Title of " + rule,
		Severity:    sev,
		Tags:        []string{"attack.impact"},
		EventID:     "event-" + id,
		EventTime:   time.Date(2026, 3, 14, 8, 0, 0, 123000000, time.UTC),
		EventSource: "kms.amazonaws.com",
		EventName:   "ScheduleKeyDeletion",
		AccountID:   "111122223333",
		Region:      "eu-west-1",
		Outcome:     "success",
		Actor: alert.Actor{
			Type: "AssumedRole",
			ARN:  "arn:aws:sts::111122223333:assumed-role/admin/alice",
		},
		KeyARNs:           keys,
		RequestParameters: map[string]any{"keyId": "k1", "pendingWindowInDays": "7"},
		Details:           map[string]string{"deletion_date": "2026-03-21"},
	}
}

func testCheckpoints(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)

	if pos, ok, err := st.GetCheckpoint(ctx, "s3://trail"); err != nil || ok || pos != "" {
		t.Fatalf("GetCheckpoint of unknown source = %q, %v, %v; want \"\", false, nil", pos, ok, err)
	}
	steps := []struct{ source, pos string }{
		{"s3://trail", "AWSLogs/1/CloudTrail/eu-west-1/2026/03/14/a.json.gz"},
		{"dir:/var/log/ct", "file-0007.json.gz:1024"},
		{"s3://trail", "AWSLogs/1/CloudTrail/eu-west-1/2026/03/14/b.json.gz"},
	}
	for _, s := range steps {
		if err := st.SetCheckpoint(ctx, s.source, s.pos); err != nil {
			t.Fatalf("SetCheckpoint(%q): %v", s.source, err)
		}
	}
	other := openStore(t, dsn, clock) // another worker sees the same positions
	want := map[string]string{
		"s3://trail":      "AWSLogs/1/CloudTrail/eu-west-1/2026/03/14/b.json.gz",
		"dir:/var/log/ct": "file-0007.json.gz:1024",
	}
	for source, wantPos := range want {
		pos, ok, err := other.GetCheckpoint(ctx, source)
		if err != nil || !ok || pos != wantPos {
			t.Errorf("GetCheckpoint(%q) = %q, %v, %v; want %q, true, nil", source, pos, ok, err, wantPos)
		}
	}
}

func testMarkSeen(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	hour := clock.Now().Add(time.Hour)

	steps := []struct {
		name    string
		advance time.Duration
		key     string
		expires time.Time
		want    bool
	}{
		{"new key", 0, "rule-a/event-1", hour, true},
		{"same key again", 0, "rule-a/event-1", hour, false},
		{"other key", 0, "rule-a/event-2", hour, true},
		{"still live just before expiry", 59 * time.Minute, "rule-a/event-1", hour.Add(time.Hour), false},
		{"expired key counts as new", time.Minute, "rule-a/event-1", hour.Add(time.Hour), true},
		{"renewed by that call", 30 * time.Minute, "rule-a/event-1", hour.Add(2 * time.Hour), false},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		got, err := st.MarkSeen(ctx, s.key, s.expires)
		if err != nil {
			t.Fatalf("%s: MarkSeen: %v", s.name, err)
		}
		if got != s.want {
			t.Errorf("%s: MarkSeen(%q) = %v, want %v", s.name, s.key, got, s.want)
		}
	}
	// Now rule-a/event-2 (expired at +1h) is sweepable, event-1 (+2h) is not.
	stats, err := st.Sweep(ctx)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if diff := cmp.Diff(SweepStats{DedupKeys: 1}, stats); diff != "" {
		t.Errorf("Sweep stats (-want +got):\n%s", diff)
	}
	if first, err := st.MarkSeen(ctx, "rule-a/event-1", hour.Add(3*time.Hour)); err != nil || first {
		t.Errorf("MarkSeen of live key after sweep = %v, %v; want false, nil", first, err)
	}
}

// testMarkSeenRace: many goroutines on two handles race to mark the same
// keys; each key has exactly one winner.
func testMarkSeenRace(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	handles := []Store{openStore(t, dsn, clock), openStore(t, dsn, clock)}
	const workers, keys = 8, 25
	expires := clock.Now().Add(time.Hour)
	var (
		mu      sync.Mutex
		winners = map[string]int{}
		wg      sync.WaitGroup
		errs    = make(chan error, workers*keys)
	)
	for w := range workers {
		wg.Go(func() {
			st := handles[w%len(handles)]
			for k := range keys {
				key := "race/" + string(rune('a'+k))
				first, err := st.MarkSeen(ctx, key, expires)
				if err != nil {
					errs <- err
					return
				}
				if first {
					mu.Lock()
					winners[key]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("MarkSeen: %v", err)
	}
	if len(winners) != keys {
		t.Errorf("%d keys had a winner, want %d", len(winners), keys)
	}
	for key, n := range winners {
		if n != 1 {
			t.Errorf("key %s: %d callers saw it first, want exactly 1", key, n)
		}
	}
}

func testWindows(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	other := openStore(t, dsn, clock)
	expires := clock.Now().Add(10 * time.Minute)

	if _, ok, err := st.LoadWindow(ctx, "corr-1", "alice"); err != nil || ok {
		t.Fatalf("LoadWindow of missing window = %v, %v; want false, nil", ok, err)
	}
	v, err := st.SaveWindow(ctx, Window{RuleID: "corr-1", GroupKey: "alice", State: []byte(`{"n":1}`), ExpiresAt: expires})
	if err != nil || v != 1 {
		t.Fatalf("SaveWindow new = %d, %v; want 1, nil", v, err)
	}
	got, ok, err := other.LoadWindow(ctx, "corr-1", "alice")
	if err != nil || !ok {
		t.Fatalf("LoadWindow = %v, %v; want found", ok, err)
	}
	want := Window{RuleID: "corr-1", GroupKey: "alice", State: []byte(`{"n":1}`), ExpiresAt: expires.Truncate(time.Microsecond), Version: 1, UpdatedAt: clock.Now().Truncate(time.Microsecond)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadWindow (-want +got):\n%s", diff)
	}

	// Optimistic concurrency: a second creator and a stale updater lose.
	if _, err := other.SaveWindow(ctx, Window{RuleID: "corr-1", GroupKey: "alice", State: []byte(`x`), ExpiresAt: expires}); !errors.Is(err, ErrConflict) {
		t.Errorf("second create: err = %v, want ErrConflict", err)
	}
	got.State = []byte(`{"n":2}`)
	if v, err := st.SaveWindow(ctx, got); err != nil || v != 2 {
		t.Fatalf("SaveWindow update = %d, %v; want 2, nil", v, err)
	}
	if _, err := other.SaveWindow(ctx, got); !errors.Is(err, ErrConflict) {
		t.Errorf("stale update: err = %v, want ErrConflict", err)
	}
	if _, err := st.SaveWindow(ctx, Window{RuleID: "corr-1", GroupKey: "bob", State: make([]byte, MaxWindowStateBytes+1), ExpiresAt: expires}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized window: err = %v, want ErrTooLarge", err)
	}
	if _, err := st.SaveWindow(ctx, Window{RuleID: "corr-1", GroupKey: "bob", State: []byte(`b`), ExpiresAt: expires.Add(time.Hour)}); err != nil {
		t.Fatalf("SaveWindow bob: %v", err)
	}
	if _, err := st.SaveWindow(ctx, Window{RuleID: "corr-2", GroupKey: "alice", State: []byte(`c`), ExpiresAt: expires}); err != nil {
		t.Fatalf("SaveWindow corr-2: %v", err)
	}
	list, err := other.LoadWindows(ctx, "corr-1", 0)
	if err != nil {
		t.Fatalf("LoadWindows: %v", err)
	}
	var groups []string
	for _, w := range list {
		groups = append(groups, w.GroupKey+"="+string(w.State))
	}
	if diff := cmp.Diff([]string{`alice={"n":2}`, "bob=b"}, groups); diff != "" {
		t.Errorf("LoadWindows(corr-1) (-want +got):\n%s", diff)
	}

	// After expiry the window is gone for readers and can be created anew.
	clock.Advance(10 * time.Minute)
	if _, ok, err := st.LoadWindow(ctx, "corr-1", "alice"); err != nil || ok {
		t.Errorf("LoadWindow after expiry = %v, %v; want false, nil", ok, err)
	}
	if _, err := st.SaveWindow(ctx, got); !errors.Is(err, ErrConflict) {
		t.Errorf("update of expired window: err = %v, want ErrConflict", err)
	}
	fresh := Window{RuleID: "corr-1", GroupKey: "alice", State: []byte(`{"n":1}`), ExpiresAt: clock.Now().Add(time.Minute)}
	if v, err := other.SaveWindow(ctx, fresh); err != nil || v != 3 {
		t.Errorf("create over expired window = %d, %v; want 3, nil", v, err)
	}
	stats, err := st.Sweep(ctx)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if diff := cmp.Diff(SweepStats{Windows: 1}, stats); diff != "" {
		t.Errorf("Sweep stats (-want +got):\n%s", diff)
	}
	for _, group := range []string{"alice", "bob"} {
		if err := st.DeleteWindow(ctx, "corr-1", group); err != nil {
			t.Fatalf("DeleteWindow(%s): %v", group, err)
		}
	}
	if err := st.DeleteWindow(ctx, "corr-1", "bob"); err != nil {
		t.Errorf("DeleteWindow of missing window: %v", err)
	}
	if list, err := st.LoadWindows(ctx, "corr-1", 10); err != nil || len(list) != 0 {
		t.Errorf("LoadWindows after delete = %d windows, %v; want none", len(list), err)
	}
}
