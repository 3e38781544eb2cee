package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/severity"
)

const pdKey = "R0UT1NGK3Y0123456789abcdef012345"

func TestPagerDutyTriggerEvent(t *testing.T) {
	srv := newCaptureServer(t, reply{Status: 202, Body: `{"status":"success","message":"Event processed","dedup_key":"a1b2c3d4e5f60718"}`})
	ch, err := NewPagerDuty(PagerDutyOptions{Name: "pd", RoutingKey: secretOf(pdKey), Endpoint: srv.URL + "/v2/enqueue"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a redelivery must carry the same dedup_key
		if err := ch.Send(context.Background(), testAlert()); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	reqs := srv.requests()
	if len(reqs) != 2 || reqs[0].Path != "/v2/enqueue" {
		t.Fatalf("requests = %+v", reqs)
	}
	var got map[string]any
	if err := json.Unmarshal(reqs[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"routing_key":  pdKey,
		"event_action": "trigger",
		"dedup_key":    "a1b2c3d4e5f60718",
		"client":       "kmsguard",
		"payload": map[string]any{
			"summary":   "[HIGH] KMS key scheduled for deletion: ScheduleKeyDeletion by arn:aws:sts::111122223333:assumed-role/Admin/alice on arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"source":    "aws:111122223333:eu-west-1",
			"severity":  "error",
			"timestamp": "2026-11-24T03:14:15Z",
			"component": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"group":     "111122223333",
			"class":     "kms-key-deletion-scheduled",
			"custom_details": map[string]any{
				"alert_id": "a1b2c3d4e5f60718", "rule_id": "kms-key-deletion-scheduled",
				"event_id": "8c1d5e7a-0f3b-4b5e-9d1a-2f6e4c3b2a10", "event_name": "ScheduleKeyDeletion",
				"actor": "arn:aws:sts::111122223333:assumed-role/Admin/alice", "source_ip": "203.0.113.7",
				"outcome":                    "success",
				"key_arns":                   []any{"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
				"first_response":             "aws kms cancel-key-deletion --key-id 1234abcd-12ab-34cd-56ef-1234567890ab --region eu-west-1",
				"detail.pending_window_days": "7",
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	if string(reqs[0].Body) != string(reqs[1].Body) {
		t.Errorf("redelivery body differs:\n%s\n%s", reqs[0].Body, reqs[1].Body)
	}
	golden(t, "pagerduty.json", indentJSON(t, reqs[0].Body))
}

func TestPagerDutySeverityMapping(t *testing.T) {
	tests := []struct {
		level severity.Level
		want  string
	}{
		{severity.Critical, "critical"}, {severity.High, "error"}, {severity.Medium, "warning"},
		{severity.Low, "info"}, {severity.Informational, "info"}, {severity.Unknown, "info"},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			if got := pagerDutySeverity(tt.level); got != tt.want {
				t.Errorf("pagerDutySeverity(%s) = %q, want %q", tt.level, got, tt.want)
			}
		})
	}
}

func TestPagerDutySummaryIsBounded(t *testing.T) {
	a := testAlert()
	a.RuleTitle = strings.Repeat("é", 2000)
	ev := pagerDutyEvent(a, "k")
	if n := len(ev.Payload.Summary); n > 1024 {
		t.Errorf("summary is %d bytes, want <= 1024", n)
	}
	if !strings.HasSuffix(ev.Payload.Summary, "…") {
		t.Errorf("truncated summary should end with an ellipsis: %q", ev.Payload.Summary[len(ev.Payload.Summary)-10:])
	}
}

func TestDedupKey(t *testing.T) {
	a := testAlert()
	if got := DedupKey(a); got != a.ID {
		t.Errorf("DedupKey with ID = %q, want the ID", got)
	}
	a.ID = ""
	k1 := DedupKey(a)
	if !strings.HasPrefix(k1, "kmsguard-") || len(k1) != len("kmsguard-")+32 {
		t.Errorf("hashed DedupKey = %q", k1)
	}
	if DedupKey(a) != k1 {
		t.Error("hashed DedupKey is not stable")
	}
	b := a
	b.EventID = "other"
	if DedupKey(b) == k1 {
		t.Error("different events share a dedup key")
	}
	a.ID = strings.Repeat("x", 256)
	if got := DedupKey(a); len(got) > 255 {
		t.Errorf("DedupKey for a 256-char ID is %d chars, over PagerDuty's limit", len(got))
	}
}

func TestPagerDutyResponses(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		wantErr   bool
		retryable bool
	}{
		{name: "202 accepted", reply: reply{Status: 202, Body: `{"status":"success"}`}},
		{name: "400 invalid event is permanent", reply: reply{Status: 400, Body: `{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters) ` + pdKey + `"]}`}, wantErr: true},
		{name: "429 is retryable", reply: reply{Status: 429}, wantErr: true, retryable: true},
		{name: "500 is retryable", reply: reply{Status: 500}, wantErr: true, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCaptureServer(t, tt.reply)
			ch, _ := NewPagerDuty(PagerDutyOptions{Name: "pd", RoutingKey: secretOf(pdKey), Endpoint: srv.URL + "/v2/enqueue"})
			err := ch.Send(context.Background(), testAlert())
			if (err != nil) != tt.wantErr || (err != nil && IsRetryable(err) != tt.retryable) {
				t.Fatalf("err = %v (retryable %v), want err %v retryable %v", err, IsRetryable(err), tt.wantErr, tt.retryable)
			}
			if err != nil && strings.Contains(err.Error(), pdKey) {
				t.Errorf("error leaks the routing key: %v", err)
			}
		})
	}
}
