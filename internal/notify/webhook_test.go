package notify

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
)

const hmacSecret = "whsec_0123456789abcdef"

func TestWebhookSignedDelivery(t *testing.T) {
	srv := newCaptureServer(t, reply{Status: 204})
	now := time.Unix(1795000000, 0)
	ch, err := NewWebhook(WebhookOptions{
		Name: "siem", URL: secretOf(srv.URL + "/hook"), Secret: secretOf(hmacSecret),
		Header: map[string]Secret{"Authorization": secretOf("Bearer t0k3n"), "X-Team": secretOf("security")},
		Now:    func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), testAlert()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := srv.requests()[0]
	var got alert.Alert
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body is not the alert JSON: %v", err)
	}
	if diff := cmp.Diff(testAlert(), got); diff != "" {
		t.Errorf("alert round trip (-want +got):\n%s", diff)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer t0k3n", "X-Team": "security",
		HeaderTimestamp: strconv.FormatInt(now.Unix(), 10), HeaderAlertID: "a1b2c3d4e5f60718",
		HeaderIdempotencyKey: IdempotencyKey(testAlert(), "siem"),
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	err = VerifySignature([]byte(hmacSecret), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), r.Body, now.Add(time.Minute), 5*time.Minute)
	if err != nil {
		t.Errorf("receiver-side verification failed: %v", err)
	}
	var keys struct {
		DedupKey       string `json:"dedup_key"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := json.Unmarshal(r.Body, &keys); err != nil || keys.DedupKey != "a1b2c3d4e5f60718" || keys.IdempotencyKey != r.Header.Get(HeaderIdempotencyKey) {
		t.Errorf("body keys = %+v, %v; want the dedup key and the Idempotency-Key header's value", keys, err)
	}
	golden(t, "webhook.json", indentJSON(t, r.Body))
}

func TestIdempotencyKey(t *testing.T) {
	a, b := testAlert(), testAlert()
	b.ID = "another-alert"
	k := IdempotencyKey(a, "siem")
	if len(k) != len("kmsguard-")+32 || !strings.HasPrefix(k, "kmsguard-") {
		t.Errorf("IdempotencyKey = %q, want kmsguard- and 32 hex digits", k)
	}
	a.Enrichment = map[string]string{"key.production": "true"} // a later attempt may be enriched differently
	for name, other := range map[string]string{
		"same alert and channel": IdempotencyKey(a, "siem"),
		"another channel":        IdempotencyKey(a, "pager"),
		"another alert":          IdempotencyKey(b, "siem"),
	} {
		if same := other == k; same != (name == "same alert and channel") {
			t.Errorf("%s: key %q, first %q", name, other, k)
		}
	}
}

func TestWebhookRejectsReservedHeaders(t *testing.T) {
	for _, h := range []string{"x-kmsguard-signature", "idempotency-key"} {
		_, err := NewWebhook(WebhookOptions{Name: "w", URL: secretOf("http://127.0.0.1/"), Header: map[string]Secret{h: secretOf("forged")}})
		if err == nil {
			t.Errorf("configuring %s should fail", h)
		}
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	now := time.Unix(1795000000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign([]byte(hmacSecret), ts, body)
	tests := []struct {
		name, secret, ts, sig string
		body                  []byte
		wantErr               string
	}{
		{name: "valid", secret: hmacSecret, ts: ts, sig: good, body: body},
		{name: "tampered body", secret: hmacSecret, ts: ts, sig: good, body: []byte(`{"id":"y"}`), wantErr: "mismatch"},
		{name: "wrong secret", secret: "other", ts: ts, sig: good, body: body, wantErr: "mismatch"},
		{name: "replayed timestamp", secret: hmacSecret, ts: strconv.FormatInt(now.Unix()-3600, 10), sig: Sign([]byte(hmacSecret), strconv.FormatInt(now.Unix()-3600, 10), body), body: body, wantErr: "tolerance"},
		{name: "timestamp swapped", secret: hmacSecret, ts: strconv.FormatInt(now.Unix()-1, 10), sig: good, body: body, wantErr: "mismatch"},
		{name: "no prefix", secret: hmacSecret, ts: ts, sig: strings.TrimPrefix(good, "sha256="), body: body, wantErr: "sha256="},
		{name: "not hex", secret: hmacSecret, ts: ts, sig: "sha256=zz", body: body, wantErr: "not hex"},
		{name: "bad timestamp", secret: hmacSecret, ts: "yesterday", sig: good, body: body, wantErr: "bad X-Kmsguard-Timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature([]byte(tt.secret), tt.ts, tt.sig, tt.body, now, 5*time.Minute)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// FuzzVerifySignature: arbitrary headers and bodies never panic, and only
// the true signature verifies.
func FuzzVerifySignature(f *testing.F) {
	f.Add("1795000000", "sha256=00", []byte(`{}`))
	f.Add("", "", []byte(nil))
	f.Add("-99999999999999999999", "sha256=zz", []byte("x"))
	now := time.Unix(1795000000, 0)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		_ = VerifySignature([]byte("k"), ts, sig, body, now, 5*time.Minute)
		if _, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64); err == nil {
			real := Sign([]byte("k"), ts, body)
			if sig != real && VerifySignature([]byte("k"), ts, sig, body, now, 1<<62) == nil {
				t.Fatalf("forged signature %q verified", sig)
			}
		}
	})
}
