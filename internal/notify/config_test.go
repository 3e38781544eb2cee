package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"
)

const fullConfig = `{
  "channels": [
    {"name": "slack-sec", "slack": {"webhook_url": "env:SLACK_URL"}},
    {"name": "pagerduty", "rate_limit": 5, "burst": 2, "pagerduty": {"routing_key": "env:PD_KEY", "region": "eu"}},
    {"name": "teams", "teams": {"webhook_url": "env:TEAMS_URL"}},
    {"name": "siem", "rate_limit": -1, "webhook": {"url": "env:SIEM_URL", "secret": "env:SIEM_SECRET", "headers": {"Authorization": "env:SIEM_AUTH", "X-Team": "security"}}},
    {"name": "mail", "email": {"host": "smtp.example.com", "username": "u", "password": "env:SMTP_PASSWORD", "from": "kmsguard@example.com", "to": ["secops@example.com"]},
     "templates": {"email_subject": "KMS {{.Severity}}"}}
  ],
  "routes": [
    {"channels": ["slack-sec", "siem"]},
    {"channels": ["pagerduty", "mail"], "min_severity": "high", "rules": ["kms-*"]}
  ],
  "delivery": {"max_attempts": 5, "initial_backoff": "500ms", "max_backoff": "1m", "outbox_dir": "/var/lib/kmsguard/outbox", "retention": "48h"}
}`

func testLookup(env map[string]string) Lookup {
	return Lookup{
		Env:      func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile: noFile,
	}
}

var allEnv = map[string]string{
	"SLACK_URL": "https://hooks.slack.com/services/T/B/x", "PD_KEY": pdKey, "TEAMS_URL": "https://example.invalid/wf",
	"SIEM_URL": "https://siem.example.com/in", "SIEM_SECRET": hmacSecret, "SIEM_AUTH": "Bearer abc", "SMTP_PASSWORD": "pw",
}

func TestBuildFullConfig(t *testing.T) {
	var cfg Config
	if err := json.Unmarshal([]byte(fullConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	set, err := Build(context.Background(), cfg, BuildEnv{Lookup: testLookup(allEnv)})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var names []string
	for _, c := range set.Channels {
		names = append(names, c.Name())
	}
	if diff := cmp.Diff([]string{"slack-sec", "pagerduty", "teams", "siem", "mail"}, names); diff != "" {
		t.Errorf("channels (-want +got):\n%s", diff)
	}
	if pd := set.Channels[1].(*PagerDuty); pd.opts.Endpoint != PagerDutyEndpointEU {
		t.Errorf("pagerduty endpoint = %q, want the EU endpoint", pd.opts.Endpoint)
	}
	if got := set.Limits["pagerduty"]; got == nil || got.Limit() != rate.Limit(5) || got.Burst() != 2 {
		t.Errorf("pagerduty limiter = %+v", got)
	}
	if got := set.Limits["slack-sec"]; got == nil || got.Limit() != rate.Limit(1) {
		t.Errorf("slack default limiter = %+v", got)
	}
	if _, ok := set.Limits["siem"]; ok {
		t.Error("rate_limit -1 should leave siem unlimited")
	}
	if diff := cmp.Diff(RetryPolicy{MaxAttempts: 5, Base: 500 * time.Millisecond, Max: time.Minute, MaxRetryAfter: time.Hour}, set.Retry); diff != "" {
		t.Errorf("retry policy (-want +got):\n%s", diff)
	}
	a := testAlert()
	if diff := cmp.Diff([]string{"slack-sec", "siem", "pagerduty", "mail"}, set.Router.Match(a)); diff != "" {
		t.Errorf("routing (-want +got):\n%s", diff)
	}
	if set.OutboxDir != "/var/lib/kmsguard/outbox" || set.Retention != 48*time.Hour {
		t.Errorf("outbox settings = %q, %s", set.OutboxDir, set.Retention)
	}
	d, err := set.NewDispatcher(openOutbox(t, t.TempDir()), DispatcherOptions{})
	if err != nil || d.opts.Retry.MaxAttempts != 5 || d.opts.Limits["pagerduty"] == nil {
		t.Errorf("Set.NewDispatcher = %+v, %v", d, err)
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	var cfg Config
	if err := json.Unmarshal([]byte(fullConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Channels[0].Slack.WebhookURL = "https://hooks.slack.com/services/T/B/1nl1neT0ken"
	cfg.Channels[2].Email = &EmailConfig{Host: "h"}
	cfg.Channels[4].Templates.EmailSubject = "{{.Nope}}"
	cfg.Routes = append(cfg.Routes, Route{Channels: []string{"nowhere"}})
	env := map[string]string{}
	for k, v := range allEnv {
		env[k] = v
	}
	delete(env, "PD_KEY")
	_, err := Build(context.Background(), cfg, BuildEnv{Lookup: testLookup(env)})
	if err == nil {
		t.Fatal("Build accepted a broken config")
	}
	for _, want := range []string{
		"notify.channels[0] (slack-sec): slack.webhook_url: secret must be a reference",
		"notify.channels[1] (pagerduty): pagerduty.routing_key: secret \"env:PD_KEY\": environment variable PD_KEY is not set",
		"notify.channels[2] (teams): set exactly one of",
		"notify.channels[4] (mail): email: template email_subject",
		`notify.routes[2]: unknown channel "nowhere"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "1nl1neT0ken") {
		t.Errorf("error repeats the inline secret: %v", err)
	}
}

func TestDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("90s")); err != nil || time.Duration(d) != 90*time.Second {
		t.Fatalf("UnmarshalText = %v, %v", d, err)
	}
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Error("bad duration accepted")
	}
	if b, _ := Duration(time.Minute).MarshalText(); string(b) != "1m0s" {
		t.Errorf("MarshalText = %s", b)
	}
}
