package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// Headers of a generic webhook delivery.
const (
	HeaderSignature = "X-Kmsguard-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderTimestamp = "X-Kmsguard-Timestamp" // Unix seconds when the request was signed
	HeaderAlertID   = "X-Kmsguard-Alert-Id"  // DedupKey(alert), for receiver-side dedup
)

// WebhookOptions configure a generic JSON webhook.
type WebhookOptions struct {
	Name   string
	URL    Secret
	Secret Secret // HMAC key; empty means the request is not signed
	// Header is sent with every request (e.g. Authorization). Values are
	// treated as secrets and scrubbed from errors. Content-Type and the
	// X-Kmsguard-* headers cannot be overridden.
	Header     map[string]Secret
	HTTPClient *http.Client
	Now        func() time.Time // nil: time.Now
}

// Webhook POSTs the alert JSON (the alert.Alert contract, as `kmsguard
// detect --format json` prints one alert, plus dedup_key and
// idempotency_key) and signs it. A receiver that drops a delivery whose
// Idempotency-Key it has already accepted sees each alert once, even
// when kmsguard repeats a delivery after a crash.
//
// Verifying a delivery (any language): read the raw body bytes before
// parsing; reject if |now - X-Kmsguard-Timestamp| exceeds your tolerance
// (5 minutes is usual) to stop replays; compute hex(HMAC-SHA256(secret,
// timestamp + "." + body)); compare it with the X-Kmsguard-Signature value
// after its "sha256=" prefix using a constant-time comparison. In Go, call
// VerifySignature.
type Webhook struct {
	opts    WebhookOptions
	secrets []Secret
}

// NewWebhook validates the options.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	if opts.URL.IsZero() {
		return nil, errors.New("webhook: url is required")
	}
	secrets := []Secret{opts.URL, opts.Secret}
	for k, v := range opts.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Type", HeaderSignature, HeaderTimestamp, HeaderAlertID, HeaderIdempotencyKey:
			return nil, fmt.Errorf("webhook: header %s is set by kmsguard and cannot be configured", k)
		}
		secrets = append(secrets, v)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.HTTPClient = clientOr(opts.HTTPClient)
	return &Webhook{opts: opts, secrets: secrets}, nil
}

// Name returns the channel instance name.
func (w *Webhook) Name() string { return w.opts.Name }

// webhookBody is the alert JSON (the alert.Alert contract) with the two
// keys a receiver deduplicates by.
type webhookBody struct {
	alert.Alert
	DedupKey       string `json:"dedup_key"`       // DedupKey: per alert
	IdempotencyKey string `json:"idempotency_key"` // IdempotencyKey: per alert and channel
}

// Send posts the signed alert; any 2xx is success.
func (w *Webhook) Send(ctx context.Context, a alert.Alert) error {
	key := IdempotencyKey(a, w.opts.Name)
	body, err := json.Marshal(webhookBody{Alert: a, DedupKey: DedupKey(a), IdempotencyKey: key})
	if err != nil {
		return Permanent(fmt.Errorf("webhook: %w", err))
	}
	h := http.Header{}
	for k, v := range w.opts.Header {
		h.Set(k, v.Reveal())
	}
	h.Set(HeaderAlertID, DedupKey(a))
	h.Set(HeaderIdempotencyKey, key)
	if !w.opts.Secret.IsZero() {
		ts := strconv.FormatInt(w.opts.Now().Unix(), 10)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, Sign([]byte(w.opts.Secret.Reveal()), ts, body))
	}
	return postJSON(ctx, w.opts.HTTPClient, "webhook", w.opts.URL, body, h, nil, w.secrets[1:]...)
}

// Sign returns the X-Kmsguard-Signature value for a timestamp and body.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a webhook delivery: the timestamp header must be
// within tolerance of now, and the signature header must match the HMAC of
// timestamp + "." + body (compared in constant time).
func VerifySignature(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("verify: bad %s header: %w", HeaderTimestamp, err)
	}
	age := now.Sub(time.Unix(sec, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("verify: timestamp is %s away from now, tolerance %s", age.Round(time.Second), tolerance)
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	if !ok {
		return fmt.Errorf("verify: %s header must start with sha256=", HeaderSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("verify: %s header is not hex", HeaderSignature)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return errors.New("verify: signature mismatch")
	}
	return nil
}
