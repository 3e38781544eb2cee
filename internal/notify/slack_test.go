package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const slackPath = "/services/T0001/B0002/s3cr3tW3bh00kT0k3n"

func TestSlackSendsBlockKitMessage(t *testing.T) {
	srv := newCaptureServer(t)
	ch, err := NewSlack(SlackOptions{Name: "slack-sec", WebhookURL: secretOf(srv.URL + slackPath)})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), testAlert()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != slackPath || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s %q", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type     string            `json:"type"`
			Elements []json.RawMessage `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(r.Body, &msg); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	wantText := "[HIGH] KMS key scheduled for deletion: ScheduleKeyDeletion by arn:aws:sts::111122223333:assumed-role/Admin/alice on arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	if msg.Text != wantText {
		t.Errorf("text fallback = %q, want %q", msg.Text, wantText)
	}
	var types []string
	for _, b := range msg.Blocks {
		types = append(types, b.Type)
	}
	if diff := cmp.Diff([]string{"header", "section", "section", "section", "context"}, types); diff != "" {
		t.Errorf("block types (-want +got):\n%s", diff)
	}
	ctxBlock := string(r.Body[strings.Index(string(r.Body), `"type":"context"`):])
	for _, want := range []string{"8c1d5e7a-0f3b-4b5e-9d1a-2f6e4c3b2a10", "aws kms cancel-key-deletion --key-id 1234abcd"} {
		if !strings.Contains(ctxBlock, want) {
			t.Errorf("context block lacks %q: %s", want, ctxBlock)
		}
	}
	golden(t, "slack.json", indentJSON(t, r.Body))
}

func TestSlackEscapesMrkdwn(t *testing.T) {
	a := testAlert()
	a.Actor.ARN = "<!channel> & <https://evil.example|click>"
	ch, err := NewSlack(SlackOptions{Name: "s", WebhookURL: secretOf("http://127.0.0.1/x")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := ch.payload(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "<!channel>") || strings.Contains(string(body), "<https://evil") {
		t.Errorf("payload carries an unescaped Slack control sequence: %s", body)
	}
}

func TestSlackStatusClassification(t *testing.T) {
	tests := []struct {
		name       string
		reply      reply
		wantErr    bool
		retryable  bool
		retryAfter time.Duration
	}{
		{name: "ok", reply: reply{Status: 200, Body: "ok"}},
		{name: "invalid payload is permanent", reply: reply{Status: 400, Body: "invalid_payload"}, wantErr: true},
		{name: "revoked webhook is permanent", reply: reply{Status: 404, Body: "no_service"}, wantErr: true},
		{name: "rate limited honours Retry-After", reply: reply{Status: 429, Header: map[string]string{"Retry-After": "7"}, Body: "rate_limited"}, wantErr: true, retryable: true, retryAfter: 7 * time.Second},
		{name: "server error is retryable", reply: reply{Status: 503}, wantErr: true, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCaptureServer(t, tt.reply)
			ch, err := NewSlack(SlackOptions{Name: "s", WebhookURL: secretOf(srv.URL + slackPath)})
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Send(context.Background(), testAlert())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if IsRetryable(err) != tt.retryable || RetryAfterOf(err) != tt.retryAfter {
				t.Errorf("retryable=%v after=%s, want %v %s (%v)", IsRetryable(err), RetryAfterOf(err), tt.retryable, tt.retryAfter, err)
			}
			if strings.Contains(err.Error(), "s3cr3tW3bh00kT0k3n") || strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error leaks the webhook URL: %v", err)
			}
		})
	}
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}
