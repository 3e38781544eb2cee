package watch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
)

type submitter struct {
	got  []string
	fail bool
}

func (s *submitter) Submit(_ context.Context, a alert.Alert) ([]string, error) {
	if s.fail {
		return nil, errors.New("database is locked")
	}
	s.got = append(s.got, a.ID)
	return []string{"x"}, nil
}

type history map[string]bool

func (h history) RecordAlert(_ context.Context, a alert.Alert) (bool, error) {
	if h[a.ID] {
		return false, nil
	}
	h[a.ID] = true
	return true, nil
}

func record(t *testing.T, id string) *cloudtrail.Record {
	t.Helper()
	rec, err := cloudtrail.Decode([]byte(`{"eventVersion":"1.09","eventID":"` + id + `","eventName":"DisableKey","eventSource":"kms.amazonaws.com","eventTime":"2026-11-24T05:00:00Z","userIdentity":{"arn":"arn:aws:iam::111122223333:user/bob"}}`))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// builtinDetect is the built-in rule set as watch runs it: the engine plus
// the correlator, which keeps `generate: false` base rules from alerting.
func builtinDetect(t *testing.T) DetectFunc {
	t.Helper()
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e, err := detect.NewEngine(set, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := detect.NewCorrelator(set, detect.CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return EngineDetect(e, c)
}

type severityBump struct{}

func (severityBump) Enrich(a *alert.Alert) {
	a.Enrichment = map[string]string{"enriched": "yes"}
}

func scrape(t *testing.T, m *Metrics, path string) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return string(b)
}

func TestPipelineHandle(t *testing.T) {
	sub, hist, m := &submitter{}, history{}, NewMetrics()
	p := &Pipeline{Detect: builtinDetect(t), Enrich: severityBump{}, Submit: sub, History: hist, Metrics: m,
		Now: func() time.Time { return time.Date(2026, 11, 24, 5, 0, 30, 0, time.UTC) }}
	ctx := context.Background()
	received := time.Date(2026, 11, 24, 5, 0, 29, 0, time.UTC)
	for range 2 { // the second time is a redelivery
		if err := p.Handle(ctx, record(t, "ev-1"), received); err != nil {
			t.Fatal(err)
		}
	}
	if len(sub.got) != 4 {
		t.Errorf("submitted %d alerts, want 2 rules x 2 deliveries (the outbox dedups)", len(sub.got))
	}
	body := scrape(t, m, "/metrics")
	for _, want := range []string{
		"kmsguard_watch_events_total 2",
		`kmsguard_watch_alerts_total{rule="fcfcb8c4-0f20-4bf1-bfcf-798516697a85"} 1`,
		"kmsguard_watch_alert_lag_seconds_count 2",
		`kmsguard_watch_alert_lag_seconds_bucket{le="30"} 2`,
		`kmsguard_watch_alert_lag_seconds_bucket{le="15"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if got := scrape(t, m, "/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}

	sub.fail = true
	if err := p.Handle(ctx, record(t, "ev-2"), received); err == nil || !strings.Contains(err.Error(), "event ev-2") {
		t.Errorf("a failed submit must fail the record (so its message is not deleted), got %v", err)
	}
}

func TestPipelineNoAlerts(t *testing.T) {
	sub := &submitter{}
	p := &Pipeline{Detect: builtinDetect(t), Submit: sub}
	rec, _ := cloudtrail.Decode([]byte(`{"eventID":"e","eventName":"Decrypt","eventSource":"kms.amazonaws.com"}`))
	if err := p.Handle(context.Background(), rec, time.Now()); err != nil || len(sub.got) != 0 {
		t.Errorf("Decrypt: err %v, submitted %v", err, sub.got)
	}
}
