package watch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

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

// clockNow is the stores' and correlations' clock: storeNow unless a test
// moves it with setClock (the package's tests do not run in parallel).
func clockNow() time.Time { return movingClock }

var movingClock = storeNow

// setClock moves clockNow to at until the test ends.
func setClock(t *testing.T, at time.Time) {
	movingClock = at
	t.Cleanup(func() { movingClock = storeNow })
}

const mallory = "arn:aws:iam::111122223333:user/mallory"

// disableKey is a DisableKey of key n by mallory, n minutes after 10:00.
func disableKey(t testing.TB, n int) *cloudtrail.Record {
	t.Helper()
	return decode(t, fmt.Sprintf(`{"eventVersion":"1.10","eventID":"ev-%d","eventName":"DisableKey",
		"eventSource":"kms.amazonaws.com","eventTime":"2026-11-20T10:%02d:00Z","awsRegion":"us-east-1",
		"recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":%q,"accountId":"111122223333"},
		"requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/%08d-0000-4000-8000-000000000000"}}`, n, n%60, mallory, n))
}

// disableKeyByUser is a DisableKey of key u by user u<u> at 10:01: one
// record per correlation group of the built-in rules and closingRule.
func disableKeyByUser(t testing.TB, u int) *cloudtrail.Record {
	t.Helper()
	return decode(t, fmt.Sprintf(`{"eventVersion":"1.10","eventID":"user-%d","eventName":"DisableKey",
		"eventSource":"kms.amazonaws.com","eventTime":"2026-11-20T10:01:00Z","awsRegion":"us-east-1",
		"recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u%d","accountId":"111122223333"},
		"requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/%08d-0000-4000-8000-000000000000"}}`, u, u, u))
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
	mu        sync.Mutex
	broken    bool
	brokenFor func(alert.Alert) bool // when set, the alerts it picks cannot be queued
	woken     int
}

func (r *router) Route(a alert.Alert) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken || r.brokenFor != nil && r.brokenFor(a) {
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
