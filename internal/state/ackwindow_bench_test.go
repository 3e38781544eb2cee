package state

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/notify"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// ackTimer records when each delivery's ack committed.
type ackTimer struct {
	notify.Outbox
	mu    sync.Mutex
	acked map[string]time.Time
}

func (o *ackTimer) Ack(ctx context.Context, d notify.Delivery, now time.Time) error {
	err := o.Outbox.Ack(ctx, d, now)
	o.mu.Lock()
	o.acked[d.AlertID] = time.Now()
	o.mu.Unlock()
	return err
}

// BenchmarkSQLiteAckWindow measures the window in which killing watch
// repeats a delivery: from the webhook receiver accepting an alert (its
// handler returning) to the outbox's ack of that delivery committing. In
// "idle" nothing else writes; in "busy" another goroutine keeps queuing
// alerts into the same SQLite store, as the SQS workers do. It reports
// the median and p99 of that window.
//
//	go test ./internal/state -run '^$' -bench SQLiteAckWindow -benchtime 2000x
func BenchmarkSQLiteAckWindow(b *testing.B) {
	b.Run("idle", func(b *testing.B) { benchmarkAckWindow(b, false) })
	b.Run("busy", func(b *testing.B) { benchmarkAckWindow(b, true) })
}

func benchmarkAckWindow(b *testing.B, busy bool) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	out, err := NewNotifyOutbox(st)
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	accepted := map[string]time.Time{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		mu.Lock()
		accepted[r.Header.Get(notify.HeaderAlertID)] = time.Now()
		mu.Unlock()
	}))
	defer srv.Close()
	hook, err := notify.NewWebhook(notify.WebhookOptions{Name: "hook", URL: notify.NewSecret(srv.URL)})
	if err != nil {
		b.Fatal(err)
	}
	router, err := notify.NewRouter([]notify.Route{{Channels: []string{"hook"}}}, map[string]bool{"hook": true})
	if err != nil {
		b.Fatal(err)
	}
	timer := &ackTimer{Outbox: out, acked: map[string]time.Time{}}
	d, err := notify.NewDispatcher(timer, router, []notify.Channel{hook}, notify.DispatcherOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var load sync.WaitGroup
	load.Go(func() { // the SQS workers: alerts for another channel, back to back
		for i := 0; busy && loadCtx.Err() == nil; i++ {
			_, _ = out.Enqueue(loadCtx, sampleAlert(fmt.Sprintf("load-%d", i), "r", severity.High), []string{"other"}, time.Now())
		}
	})
	b.ResetTimer()
	for i := range b.N {
		a := sampleAlert(fmt.Sprintf("ack-%d", i), "r", severity.High)
		if _, err := d.Submit(ctx, a); err != nil {
			b.Fatal(err)
		}
		if n, err := d.DeliverDue(ctx, "hook"); err != nil || n != 1 {
			b.Fatalf("DeliverDue = %d, %v", n, err)
		}
	}
	b.StopTimer()
	stopLoad()
	load.Wait()
	var win []time.Duration
	for id, at := range accepted {
		win = append(win, timer.acked[id].Sub(at))
	}
	if len(win) != b.N {
		b.Fatalf("%d deliveries accepted, want %d", len(win), b.N)
	}
	slices.Sort(win)
	b.ReportMetric(float64(win[len(win)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(win[len(win)*99/100].Microseconds()), "p99-µs")
}
