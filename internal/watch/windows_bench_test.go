package watch

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/state/pgtest"
)

// The cost of one record that feeds the built-in correlations (a
// DisableKey): its window transaction (lock, load, observe, save) plus its
// two standalone alerts. "spread": 100 principals in turn, a few events
// per window, the usual case; "busy": one principal disabling the same key
// over and over, so the windows grow to watch's cap of 1,000 events and
// every record loads and saves them whole.
//
//	go test ./internal/watch -run '^$' -bench CorrelationRecord -benchtime 2000x
func BenchmarkCorrelationRecord(b *testing.B) {
	for _, backend := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "state.db") }},
		{"postgres", func(b *testing.B) string { return pgtest.DSN(b) }},
	} {
		for _, load := range []string{"spread", "busy"} {
			b.Run(backend.name+"/"+load, func(b *testing.B) {
				store := openStore(b, backend.dsn(b))
				p, _, _ := worker(b, store, builtin(b), nil)
				p.Correlation.Correlator = correlatorWithCap(b, 1000)
				recs := make([]*cloudtrail.Record, b.N)
				for i := range b.N {
					who, key := i%100, i
					if load == "busy" {
						who, key = 0, 0
					}
					recs[i] = decode(b, fmt.Sprintf(`{"eventVersion":"1.10","eventID":"b-%d","eventName":"DisableKey",
						"eventSource":"kms.amazonaws.com","eventTime":"2026-11-20T10:04:00Z","awsRegion":"us-east-1",
						"recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u%d"},
						"requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/%08d-0000-4000-8000-000000000000"}}`, i, who, key))
				}
				ctx := context.Background()
				b.ResetTimer()
				for i := range b.N {
					if err := p.Handle(ctx, recs[i], time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if st := p.Correlation.Stats(); st.Failures+st.TooLarge != 0 {
					b.Fatalf("stats %+v", st)
				}
			})
		}
	}
}

// The first tick after 2,000 windows of a closing rule have closed: it
// settles them all (advanceBatch per transaction) and queues their alerts.
//
//	go test ./internal/watch -run '^$' -bench CorrelationTick -benchtime 5x
func BenchmarkCorrelationTick(b *testing.B) {
	set := closingRuleSet(b)
	const windows = 2000
	for _, backend := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "state.db") }},
		{"postgres", func(b *testing.B) string { return pgtest.DSN(b) }},
	} {
		b.Run(backend.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				store := openStore(b, backend.dsn(b))
				p, _, _ := worker(b, store, set, nil)
				for u := range windows {
					if err := p.Handle(ctx, disableKeyByUser(b, u), storeNow); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if err := p.Tick(ctx, closedAt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
