package notify

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// testAlert is a realistic alert: a key scheduled for deletion.
func testAlert() alert.Alert {
	return alert.Alert{
		ID:          "a1b2c3d4e5f60718",
		RuleID:      "kms-key-deletion-scheduled",
		RuleTitle:   "KMS key scheduled for deletion",
		Severity:    severity.High,
		Tags:        []string{"attack.impact", "attack.t1485"},
		Description: "A principal scheduled a customer managed KMS key for deletion.",
		Guide:       "Check who did it, then cancel:\n\n```\naws kms cancel-key-deletion --key-id 1234abcd-12ab-34cd-56ef-1234567890ab --region eu-west-1\n```\n",
		EventID:     "8c1d5e7a-0f3b-4b5e-9d1a-2f6e4c3b2a10",
		EventTime:   time.Date(2026, 11, 24, 3, 14, 15, 0, time.UTC),
		EventSource: "kms.amazonaws.com",
		EventName:   "ScheduleKeyDeletion",
		AccountID:   "111122223333",
		Region:      "eu-west-1",
		Outcome:     "success",
		Actor: alert.Actor{
			Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/Admin/alice",
			PrincipalID: "AROAEXAMPLE:alice", AccountID: "111122223333", AccessKeyID: "ASIAEXAMPLE",
			SessionIssuerARN: "arn:aws:iam::111122223333:role/Admin",
		},
		SourceIP:  "203.0.113.7",
		UserAgent: "aws-cli/2.15.0",
		KeyARNs:   []string{"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		Details:   map[string]string{"pending_window_days": "7"},
	}
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// recorded is one request a capture server received.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// reply is a scripted response.
type reply struct {
	Status int
	Header map[string]string
	Body   string
}

// captureServer records requests and answers with the scripted replies in
// order, repeating the last one.
type captureServer struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	replies []reply
}

func newCaptureServer(t *testing.T, replies ...reply) *captureServer {
	t.Helper()
	return newCaptureServerB(t, replies...)
}

// newCaptureServerB is newCaptureServer for tests and benchmarks alike.
func newCaptureServerB(t testing.TB, replies ...reply) *captureServer {
	t.Helper()
	c := &captureServer{replies: replies}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		rp := reply{Status: http.StatusOK, Body: "ok"}
		if n := len(c.reqs) - 1; len(c.replies) > 0 {
			rp = c.replies[min(n, len(c.replies)-1)]
		}
		c.mu.Unlock()
		for k, v := range rp.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.Status)
		_, _ = io.WriteString(w, rp.Body)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *captureServer) requests() []recorded {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]recorded(nil), c.reqs...)
}

// fakeClock advances only when told to or when something sleeps on it, so
// backoff and rate-limit waits are observable and instant.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.slept = append(c.slept, d)
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func secretOf(s string) Secret { return NewSecret(s) }
