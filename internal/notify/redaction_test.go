package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailedDeliveryLeaksNoSecret drives failing deliveries through the
// dispatcher, with the server echoing the credentials back, and searches
// every error, log line and the outbox journal for the secrets.
func TestFailedDeliveryLeaksNoSecret(t *testing.T) {
	const (
		pathToken  = "T0001/B0002/xoxbW3bh00kS3cr3t"
		authHeader = "Bearer s3cr3tB34r3rT0k3n"
	)
	// A port nothing listens on: the client gets "connection refused" and
	// net/http wraps it in a url.Error that quotes the full URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + l.Addr().String() + "/services/" + pathToken
	_ = l.Close()
	// A server that rejects the request and quotes it back: path, query,
	// Authorization header and body (which holds PagerDuty's routing key).
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, "rejected %s?%s auth=%q body=%s", r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), body)
	}))
	t.Cleanup(echo.Close)

	tests := []struct {
		name string
		ch   func() (Channel, error)
	}{
		{"slack connection refused", func() (Channel, error) {
			return NewSlack(SlackOptions{Name: "c", WebhookURL: secretOf(deadURL)})
		}},
		{"slack echoing server", func() (Channel, error) {
			return NewSlack(SlackOptions{Name: "c", WebhookURL: secretOf(echo.URL + "/services/" + pathToken)})
		}},
		{"teams echoing server", func() (Channel, error) {
			return NewTeams(TeamsOptions{Name: "c", WebhookURL: secretOf(echo.URL + "/workflows/1/invoke?api-version=1&sig=" + pathToken)})
		}},
		{"teams invalid URL", func() (Channel, error) {
			return NewTeams(TeamsOptions{Name: "c", WebhookURL: secretOf("http://[::1/" + pathToken)})
		}},
		{"pagerduty echoing server", func() (Channel, error) {
			return NewPagerDuty(PagerDutyOptions{Name: "c", RoutingKey: secretOf(pdKey), Endpoint: echo.URL})
		}},
		{"webhook with auth header", func() (Channel, error) {
			return NewWebhook(WebhookOptions{Name: "c", URL: secretOf(echo.URL + "/services/" + pathToken),
				Secret: secretOf(hmacSecret), Header: map[string]Secret{"Authorization": secretOf(authHeader)}})
		}},
		{"webhook connection refused", func() (Channel, error) {
			return NewWebhook(WebhookOptions{Name: "c", URL: secretOf(deadURL), Header: map[string]Secret{"Authorization": secretOf(authHeader)}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := tt.ch()
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			dir := t.TempDir()
			out := openOutbox(t, dir)
			router, _ := NewRouter([]Route{{Channels: []string{"c"}}}, map[string]bool{"c": true})
			d, _ := NewDispatcher(out, router, []Channel{ch}, DispatcherOptions{Clock: newFakeClock(), Logger: logger, Jitter: maxJitter})
			_, _ = d.Submit(context.Background(), testAlert())
			if n, err := d.DeliverDue(context.Background(), "c"); n != 1 || err != nil {
				t.Fatalf("DeliverDue = %d, %v", n, err)
			}
			direct := ch.Send(context.Background(), testAlert())
			if direct == nil {
				t.Fatal("Send succeeded against a failing endpoint")
			}
			t.Logf("error: %v", direct)
			journal, _ := os.ReadFile(filepath.Join(dir, journalName))
			e := out.Entries()[0]
			if e.LastError == "" || logs.Len() == 0 {
				t.Fatalf("no failure recorded: entry %+v, logs %q", e, logs.String())
			}
			for where, text := range map[string]string{
				"Send error": direct.Error(), "outbox entry": e.LastError, "logs": logs.String(), "journal": string(journal),
			} {
				for _, secret := range []string{"xoxbW3bh00kS3cr3t", pdKey, "s3cr3tB34r3rT0k3n", hmacSecret} {
					if strings.Contains(text, secret) {
						t.Errorf("%s leaks %q:\n%s", where, secret, text)
					}
				}
			}
		})
	}
}

// TestTruncationNeverCutsASecretInHalf: a secret straddling the point where
// the quoted response body is cut must not leave a recognisable prefix.
func TestTruncationNeverCutsASecretInHalf(t *testing.T) {
	for _, pad := range []int{maxErrorBody - 20, readErrorBody - 10} {
		t.Run(fmt.Sprint(pad), func(t *testing.T) {
			srv := newCaptureServer(t, reply{Status: 400, Body: strings.Repeat("x", pad) + pdKey + strings.Repeat("y", 100)})
			ch, _ := NewPagerDuty(PagerDutyOptions{Name: "pd", RoutingKey: secretOf(pdKey), Endpoint: srv.URL})
			err := ch.Send(context.Background(), testAlert())
			if err == nil || strings.Contains(err.Error(), pdKey[:8]) {
				t.Errorf("error = %v, want no routing key prefix", err)
			}
		})
	}
}
