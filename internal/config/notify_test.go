package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/notify"
	"github.com/kmsguard/kmsguard/internal/severity"
)

func TestParseNotifySection(t *testing.T) {
	doc := `version: 1
notify:
  channels:
    - name: siem
      webhook: {url: "env:SIEM_URL", secret: "env:SIEM_SECRET"}
  routes:
    - {channels: [siem], min_severity: high, rules: ["kms-*"]}
  delivery: {max_attempts: 4, initial_backoff: 2s}
`
	c, err := Parse([]byte(doc), "kmsguard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := notify.Config{
		Channels: []notify.ChannelConfig{{Name: "siem", Webhook: &notify.WebhookConfig{URL: "env:SIEM_URL", Secret: "env:SIEM_SECRET"}}},
		Routes:   []notify.Route{{Channels: []string{"siem"}, MinSeverity: severity.High, Rules: []string{"kms-*"}}},
		Delivery: notify.DeliveryConfig{MaxAttempts: 4, InitialBackoff: notify.Duration(2 * time.Second)},
	}
	if diff := cmp.Diff(want, c.Notify); diff != "" {
		t.Errorf("notify section (-want +got):\n%s", diff)
	}
}

func TestParseNotifySectionIsStrict(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown key in a channel", "notify:\n  channels:\n    - name: x\n      webhok: {url: a}\n", "kmsguard.yaml:4"},
		{"unknown key in notify", "notify:\n  chanels: []\n", "kmsguard.yaml:2"},
		{"bad duration", "notify:\n  delivery: {initial_backoff: soon}\n", `invalid duration "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "kmsguard.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to name %s", err, tt.want)
			}
		})
	}
}
