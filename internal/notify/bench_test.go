package notify

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
)

// BenchmarkSubmitAndDeliver measures one alert's path through the durable
// outbox to a local webhook: route, enqueue (fsync), claim, HTTP POST with
// HMAC signature, ack (fsync).
func BenchmarkSubmitAndDeliver(b *testing.B) {
	srv := newCaptureServerB(b)
	hook, _ := NewWebhook(WebhookOptions{Name: "hook", URL: secretOf(srv.URL + "/h"), Secret: secretOf(hmacSecret)})
	out, err := OpenFileOutbox(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = out.Close() }()
	router, _ := NewRouter([]Route{{Channels: []string{"hook"}}}, map[string]bool{"hook": true})
	d, _ := NewDispatcher(out, router, []Channel{hook}, DispatcherOptions{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	a := testAlert()
	b.ResetTimer()
	for i := range b.N {
		a.ID = "bench-" + strconv.Itoa(i)
		if _, err := d.Submit(ctx, a); err != nil {
			b.Fatal(err)
		}
		if n, err := d.DeliverDue(ctx, "hook"); err != nil || n != 1 {
			b.Fatalf("DeliverDue = %d, %v", n, err)
		}
	}
}
