package state

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/severity"
)

// The per-alert cost of state in the watch path: one MarkSeen, one
// RecordAlert, one Enqueue, and the claim and ack of its delivery.
func BenchmarkSQLiteAlertPath(b *testing.B) {
	benchmarkAlertPath(b, filepath.Join(b.TempDir(), "state.db"))
}

func BenchmarkPostgresAlertPath(b *testing.B) {
	benchmarkAlertPath(b, postgresDSN(b))
}

func benchmarkAlertPath(b *testing.B, dsn string) {
	ctx := context.Background()
	st, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	expires := time.Now().Add(time.Hour)
	b.ResetTimer()
	for i := range b.N {
		a := sampleAlert(fmt.Sprintf("bench-%d", i), "r", severity.High, keyProd)
		first, err := st.MarkSeen(ctx, a.ID, expires)
		if err != nil || !first {
			b.Fatalf("MarkSeen = %v, %v", first, err)
		}
		if _, err := st.RecordAlert(ctx, a); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Enqueue(ctx, a, []string{"webhook"}); err != nil {
			b.Fatal(err)
		}
		items, err := st.Claim(ctx, "webhook", time.Minute, 1)
		if err != nil || len(items) != 1 {
			b.Fatalf("Claim = %d items, %v", len(items), err)
		}
		if err := st.Ack(ctx, items[0]); err != nil {
			b.Fatal(err)
		}
	}
}
