package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"
)

// maxJitter makes full jitter deterministic: always the top of the range.
func maxJitter(n time.Duration) time.Duration { return n - 1 }

type dispatchFixture struct {
	d     *Dispatcher
	out   *FileOutbox
	clock *fakeClock
	srv   *captureServer
}

// newPagerDutyDispatch wires one PagerDuty channel "pd" to a capture server.
func newPagerDutyDispatch(t *testing.T, policy RetryPolicy, replies ...reply) dispatchFixture {
	t.Helper()
	srv := newCaptureServer(t, replies...)
	pd, err := NewPagerDuty(PagerDutyOptions{Name: "pd", RoutingKey: secretOf(pdKey), Endpoint: srv.URL + "/v2/enqueue"})
	if err != nil {
		t.Fatal(err)
	}
	out := openOutbox(t, t.TempDir())
	router, _ := NewRouter([]Route{{Channels: []string{"pd"}}}, map[string]bool{"pd": true})
	clock := newFakeClock()
	d, err := NewDispatcher(out, router, []Channel{pd}, DispatcherOptions{Retry: policy, Clock: clock, Jitter: maxJitter})
	if err != nil {
		t.Fatal(err)
	}
	return dispatchFixture{d: d, out: out, clock: clock, srv: srv}
}

func (f dispatchFixture) deliver(t *testing.T, want int) {
	t.Helper()
	n, err := f.d.DeliverDue(context.Background(), "pd")
	if err != nil || n != want {
		t.Fatalf("DeliverDue = %d, %v; want %d attempts", n, err, want)
	}
}

func TestDispatcherRetriesThenDelivers(t *testing.T) {
	f := newPagerDutyDispatch(t, RetryPolicy{MaxAttempts: 5, Base: time.Second, Max: time.Minute},
		reply{Status: 500}, reply{Status: 500}, reply{Status: 202})
	if added, err := f.d.Submit(context.Background(), testAlert()); err != nil || !cmp.Equal(added, []string{"pd"}) {
		t.Fatalf("Submit = %q, %v", added, err)
	}
	start := f.clock.Now()
	f.deliver(t, 1) // 500
	e := f.out.Entries()[0]
	if e.Attempts != 1 || !e.NextAttempt.Equal(start.Add(time.Second-1)) || !strings.Contains(e.LastError, "HTTP 500") {
		t.Fatalf("after first failure: %+v", e)
	}
	f.deliver(t, 0) // not due yet
	f.clock.Advance(time.Second)
	f.deliver(t, 1) // 500 again; backoff doubles
	if e := f.out.Entries()[0]; !e.NextAttempt.Equal(f.clock.Now().Add(2*time.Second - 1)) {
		t.Fatalf("second backoff: next %v, now %v", e.NextAttempt, f.clock.Now())
	}
	f.clock.Advance(2 * time.Second)
	f.deliver(t, 1) // 202
	if e := f.out.Entries()[0]; e.State != "delivered" {
		t.Fatalf("state = %s", e.State)
	}
	reqs := f.srv.requests()
	if len(reqs) != 3 || string(reqs[0].Body) != string(reqs[2].Body) {
		t.Errorf("requests = %d, and retries must resend the same event (same dedup_key)", len(reqs))
	}
	if got := f.d.Stats(); got != (DispatcherStats{Delivered: 1, Retried: 2}) {
		t.Errorf("stats = %+v", got)
	}
}

func TestDispatcherPermanentFailureDeadLetters(t *testing.T) {
	f := newPagerDutyDispatch(t, RetryPolicy{}, reply{Status: 400, Body: `{"status":"invalid event"}`})
	_, _ = f.d.Submit(context.Background(), testAlert())
	f.deliver(t, 1)
	e := f.out.Entries()[0]
	if e.State != "dead" || !strings.Contains(e.LastError, "HTTP 400") {
		t.Fatalf("entry = %+v, want dead-lettered with the 400", e)
	}
	f.clock.Advance(time.Hour)
	f.deliver(t, 0)
	if n := len(f.srv.requests()); n != 1 {
		t.Errorf("a permanent failure was retried: %d requests", n)
	}
}

func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	f := newPagerDutyDispatch(t, RetryPolicy{MaxAttempts: 3, Base: time.Second}, reply{Status: 503})
	_, _ = f.d.Submit(context.Background(), testAlert())
	for range 3 {
		f.deliver(t, 1)
		f.clock.Advance(time.Minute)
	}
	f.deliver(t, 0)
	if e := f.out.Entries()[0]; e.State != "dead" || e.Attempts != 2 {
		t.Errorf("entry = %+v, want dead after 3 attempts", e)
	}
	if got := f.d.Stats(); got != (DispatcherStats{Retried: 2, DeadLettered: 1}) {
		t.Errorf("stats = %+v", got)
	}
}

func TestDispatcherHonoursRetryAfter(t *testing.T) {
	f := newPagerDutyDispatch(t, RetryPolicy{Base: time.Second},
		reply{Status: 429, Header: map[string]string{"Retry-After": "30"}}, reply{Status: 202})
	first := testAlert()
	_, _ = f.d.Submit(context.Background(), first)
	f.deliver(t, 1)
	if e := f.out.Entries()[0]; !e.NextAttempt.Equal(f.clock.Now().Add(30 * time.Second)) {
		t.Fatalf("next attempt %v, want Retry-After 30s after %v", e.NextAttempt, f.clock.Now())
	}
	second := testAlert()
	second.ID = "second"
	_, _ = f.d.Submit(context.Background(), second)
	f.clock.Advance(29 * time.Second)
	f.deliver(t, 0) // the whole channel waits, even for the new alert
	f.clock.Advance(time.Second)
	f.deliver(t, 2)
	for _, e := range f.out.Entries() {
		if e.State != "delivered" {
			t.Errorf("%s: %s", e.AlertID, e.State)
		}
	}
}

func TestDispatcherRateLimit(t *testing.T) {
	srv := newCaptureServer(t)
	slack, _ := NewSlack(SlackOptions{Name: "slack", WebhookURL: secretOf(srv.URL + "/x")})
	out := openOutbox(t, t.TempDir())
	router, _ := NewRouter([]Route{{Channels: []string{"slack"}}}, map[string]bool{"slack": true})
	clock := newFakeClock()
	lim := rate.NewLimiter(2, 1) // 2 per second
	d, _ := NewDispatcher(out, router, []Channel{slack}, DispatcherOptions{Clock: clock, Limits: map[string]*rate.Limiter{"slack": lim}})
	for i := range 5 {
		a := testAlert()
		a.ID = fmt.Sprintf("alert-%d", i)
		if _, err := d.Submit(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	n, err := d.DeliverDue(context.Background(), "slack")
	if err != nil || n != 5 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	want := []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}
	if diff := cmp.Diff(want, clock.sleeps()); diff != "" {
		t.Errorf("rate-limit waits (-want +got):\n%s", diff)
	}
	if len(srv.requests()) != 5 {
		t.Errorf("server got %d messages", len(srv.requests()))
	}
}

func TestBackoffFullJitterBounds(t *testing.T) {
	p := RetryPolicy{Base: time.Second, Max: 10 * time.Second}
	for failures, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		if got := p.Ceiling(failures); got != want {
			t.Errorf("Ceiling(%d) = %s, want %s", failures, got, want)
		}
	}
	for range 1000 {
		if d := p.Delay(3, 0, nil); d < 0 || d >= 4*time.Second {
			t.Fatalf("Delay(3) = %s, outside [0, 4s)", d)
		}
	}
	if d := p.Delay(1, 90*time.Second, func(time.Duration) time.Duration { return 0 }); d != 90*time.Second {
		t.Errorf("Retry-After not honoured: %s", d)
	}
	if d := p.Delay(1, 48*time.Hour, func(time.Duration) time.Duration { return 0 }); d != time.Hour {
		t.Errorf("Retry-After not capped: %s", d)
	}
}

// TestOutboxDurabilityAcrossRestart: alerts are queued, one channel is
// drained, a delivery is in flight when the process "crashes" (dispatcher
// dropped, outbox closed without acks). A new process on the same outbox
// delivers the rest, and every (alert, channel) pair arrives exactly once.
func TestOutboxDurabilityAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	slackSrv, hookSrv := newCaptureServer(t), newCaptureServer(t, reply{Status: 204})
	channels := func() []Channel {
		s, _ := NewSlack(SlackOptions{Name: "slack", WebhookURL: secretOf(slackSrv.URL + "/s")})
		w, _ := NewWebhook(WebhookOptions{Name: "hook", URL: secretOf(hookSrv.URL + "/h"), Secret: secretOf(hmacSecret)})
		return []Channel{s, w}
	}
	router, _ := NewRouter([]Route{{Channels: []string{"slack", "hook"}}}, map[string]bool{"slack": true, "hook": true})
	const n = 10
	alerts := make([]string, n)

	out1, err := OpenFileOutbox(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := NewDispatcher(out1, router, channels(), DispatcherOptions{})
	for i := range n {
		a := testAlert()
		a.ID = fmt.Sprintf("alert-%02d", i)
		alerts[i] = a.ID
		if _, err := d1.Submit(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := d1.DeliverDue(ctx, "slack"); err != nil || got != n {
		t.Fatalf("slack DeliverDue = %d, %v", got, err)
	}
	// One hook delivery is claimed by a worker that dies before sending.
	if c, _ := out1.Claim(ctx, "hook", time.Now(), time.Hour, 1); len(c) != 1 {
		t.Fatal("could not claim")
	}
	_ = out1.Close() // crash: nothing else is flushed or acknowledged

	out2, err := OpenFileOutbox(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = out2.Close() }()
	d2, _ := NewDispatcher(out2, router, channels(), DispatcherOptions{PollInterval: 5 * time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = d2.Run(runCtx) })
	deadline := time.Now().Add(10 * time.Second)
	for len(hookSrv.requests()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Resubmitting (e.g. a redelivered SQS message) must not queue again.
	for _, id := range alerts {
		a := testAlert()
		a.ID = id
		if added, err := d2.Submit(ctx, a); err != nil || len(added) != 0 {
			t.Errorf("resubmit %s added %q, %v", id, added, err)
		}
	}
	time.Sleep(20 * time.Millisecond) // a few idle polls: nothing more may arrive
	cancel()
	wg.Wait()

	for name, srv := range map[string]*captureServer{"slack": slackSrv, "hook": hookSrv} {
		seen := map[string]int{}
		for _, r := range srv.requests() {
			var id string
			if name == "hook" {
				id = r.Header.Get(HeaderAlertID)
			} else {
				var m struct {
					Blocks []struct {
						Elements []struct{ Text string } `json:"elements"`
					} `json:"blocks"`
				}
				_ = json.Unmarshal(r.Body, &m)
				ctxText := m.Blocks[len(m.Blocks)-1].Elements[0].Text
				id = ctxText[strings.Index(ctxText, "alert-") : strings.Index(ctxText, "alert-")+8]
			}
			seen[id]++
		}
		want := map[string]int{}
		for _, id := range alerts {
			want[id] = 1
		}
		if diff := cmp.Diff(want, seen); diff != "" {
			t.Errorf("%s deliveries per alert (-want +got):\n%s", name, diff)
		}
	}
	for _, e := range out2.Entries() {
		if e.State != "delivered" {
			t.Errorf("%s/%s is %s", e.AlertID, e.Channel, e.State)
		}
	}
}

func TestNewDispatcherRejectsUnknownRouteChannel(t *testing.T) {
	out := openOutbox(t, t.TempDir())
	router, _ := NewRouter([]Route{{Channels: []string{"pd"}}}, map[string]bool{"pd": true})
	if _, err := NewDispatcher(out, router, nil, DispatcherOptions{}); err == nil || !strings.Contains(err.Error(), `"pd"`) {
		t.Errorf("err = %v, want one naming the unconfigured channel", err)
	}
}

// TestRunFinishesInFlightDeliveryOnShutdown: cancelling Run while a send is
// in flight lets it complete and records it, so it is not sent again after
// a restart.
func TestRunFinishesInFlightDeliveryOnShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	pd, _ := NewPagerDuty(PagerDutyOptions{Name: "pd", RoutingKey: secretOf(pdKey), Endpoint: srv.URL})
	out := openOutbox(t, t.TempDir())
	router, _ := NewRouter([]Route{{Channels: []string{"pd"}}}, map[string]bool{"pd": true})
	d, _ := NewDispatcher(out, router, []Channel{pd}, DispatcherOptions{PollInterval: time.Millisecond})
	if _, err := d.Submit(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() { _ = d.Run(ctx); close(finished) }()
	<-started
	cancel()
	select {
	case <-finished:
		t.Fatal("Run returned while a delivery was in flight")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-finished
	if e := out.Entries()[0]; e.State != "delivered" {
		t.Errorf("in-flight delivery ended as %s, want delivered", e.State)
	}
}
