package state

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/severity"
)

const (
	keyProd = "arn:aws:kms:eu-west-1:111122223333:key/prod"
	keyDev  = "arn:aws:kms:eu-west-1:111122223333:key/dev"
)

func testHistory(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	start := clock.Now()
	// Recorded one hour apart, oldest first.
	for _, a := range []struct {
		id, rule string
		sev      severity.Level
		keys     []string
	}{
		{"a1", "kms-disable", severity.Medium, []string{keyDev}},
		{"a2", "kms-schedule-deletion", severity.High, []string{keyProd, keyDev, keyProd}},
		{"a3", "kms-disable", severity.Critical, []string{keyProd}},
		{"a4", "kms-policy-change", severity.Low, nil},
	} {
		added, err := st.RecordAlert(ctx, sampleAlert(a.id, a.rule, a.sev, a.keys...))
		if err != nil || !added {
			t.Fatalf("RecordAlert(%s) = %v, %v; want true, nil", a.id, added, err)
		}
		clock.Advance(time.Hour)
	}
	if added, err := st.RecordAlert(ctx, sampleAlert("a2", "kms-schedule-deletion", severity.High)); err != nil || added {
		t.Errorf("RecordAlert of a recorded ID = %v, %v; want false, nil", added, err)
	}

	tests := []struct {
		name string
		q    AlertQuery
		want []string
	}{
		{"all, newest first", AlertQuery{}, []string{"a4", "a3", "a2", "a1"}},
		{"since", AlertQuery{Since: start.Add(90 * time.Minute)}, []string{"a4", "a3"}},
		{"since is inclusive", AlertQuery{Since: start.Add(time.Hour)}, []string{"a4", "a3", "a2"}},
		{"rule", AlertQuery{RuleID: "kms-disable"}, []string{"a3", "a1"}},
		{"min severity", AlertQuery{MinSeverity: severity.High}, []string{"a3", "a2"}},
		{"key", AlertQuery{KeyARN: keyProd}, []string{"a3", "a2"}},
		{"limit", AlertQuery{Limit: 2}, []string{"a4", "a3"}},
		{"filters combine", AlertQuery{RuleID: "kms-disable", MinSeverity: severity.High, KeyARN: keyProd}, []string{"a3"}},
		{"nothing matches", AlertQuery{RuleID: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := st.RecentAlerts(ctx, tt.q)
			if err != nil {
				t.Fatalf("RecentAlerts: %v", err)
			}
			var ids []string
			for _, r := range recs {
				ids = append(ids, r.Alert.ID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("alert IDs (-want +got):\n%s", diff)
			}
		})
	}

	recs, err := st.RecentAlerts(ctx, AlertQuery{RuleID: "kms-schedule-deletion"})
	if err != nil || len(recs) != 1 {
		t.Fatalf("RecentAlerts(a2) = %d, %v", len(recs), err)
	}
	want := sampleAlert("a2", "kms-schedule-deletion", severity.High, keyProd, keyDev, keyProd)
	if diff := cmp.Diff(want, recs[0].Alert); diff != "" {
		t.Errorf("stored alert (-want +got):\n%s", diff)
	}
	if wantAt := start.Add(time.Hour).Truncate(time.Microsecond); !recs[0].RecordedAt.Equal(wantAt) {
		t.Errorf("RecordedAt = %v, want %v", recs[0].RecordedAt, wantAt)
	}
}

func testHistoryCorruptEntry(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	for _, id := range []string{"good-1", "bad", "good-2"} {
		if _, err := st.RecordAlert(ctx, sampleAlert(id, "r", severity.High)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	rawExec(t, st, `UPDATE alerts SET body = ?1 WHERE alert_id = ?2`, `{"id": "bad", "rule_id": `, "bad")
	recs, err := st.RecentAlerts(ctx, AlertQuery{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("RecentAlerts over a corrupt entry: err = %v, want ErrCorrupt", err)
	}
	for _, want := range []string{"alert bad", "byte 25"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.Alert.ID)
	}
	if diff := cmp.Diff([]string{"good-2", "good-1"}, ids); diff != "" {
		t.Errorf("entries returned beside the error (-want +got):\n%s", diff)
	}
}

// testConcurrentOpen: workers starting together all migrate or find the
// schema migrated, without errors.
func testConcurrentOpen(t *testing.T, dsn string) {
	clock := newTestClock()
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]Store, n)
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn, WithClock(clock.Now)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		if err := stores[i].SetCheckpoint(context.Background(), "src", "pos"); err != nil {
			t.Errorf("store %d: SetCheckpoint: %v", i, err)
		}
		stores[i].Close()
	}
	st := openStore(t, dsn, clock)
	var versions int
	if err := st.(*sqlStore).db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if want := len(st.(*sqlStore).d.migrations); versions != want {
		t.Errorf("schema_migrations has %d rows, want %d (each version applied once)", versions, want)
	}
}

func testSchemaNewerThanBinary(t *testing.T, dsn string) {
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	future := len(st.(*sqlStore).d.migrations) + 1
	rawExec(t, st, `INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)`, future, st.(*sqlStore).ts(clock.Now()))
	_, err := Open(context.Background(), dsn, WithClock(clock.Now))
	if err == nil || !strings.Contains(err.Error(), "newer than this kmsguard supports") {
		t.Errorf("Open of a newer schema: err = %v, want it to name the newer schema", err)
	}
}

func testPrune(t *testing.T, dsn string) {
	ctx := context.Background()
	clock := newTestClock()
	st := openStore(t, dsn, clock)
	old := sampleAlert("old", "r", severity.High, keyProd)
	for _, ch := range []string{"slack", "smtp"} {
		if _, err := st.Enqueue(ctx, old, []string{ch}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RecordAlert(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enqueue(ctx, sampleAlert("pending-old", "r", severity.High), []string{"webhook"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Ack(ctx, claimN(t, st, "slack", time.Minute, 1)[0]); err != nil {
		t.Fatal(err)
	}
	if err := st.DeadLetter(ctx, claimN(t, st, "smtp", time.Minute, 1)[0], "gave up"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(48 * time.Hour)
	recent := sampleAlert("recent", "r", severity.High, keyProd)
	if _, err := st.RecordAlert(ctx, recent); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enqueue(ctx, recent, []string{"slack"}); err != nil {
		t.Fatal(err)
	}
	stats, err := st.Prune(ctx, clock.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if diff := cmp.Diff(PruneStats{Alerts: 1, OutboxItems: 2}, stats); diff != "" {
		t.Errorf("Prune stats (-want +got):\n%s", diff)
	}
	recs, err := st.RecentAlerts(ctx, AlertQuery{KeyARN: keyProd})
	if err != nil || len(recs) != 1 || recs[0].Alert.ID != "recent" {
		t.Errorf("history after prune = %+v, %v; want only the recent alert", recs, err)
	}
	// Pending items are never pruned, whatever their age.
	if n, err := st.Pending(ctx, ""); err != nil || n != 2 {
		t.Errorf("Pending after prune = %d, %v; want 2", n, err)
	}
}
