package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Config is the "notify" section of the kmsguard config file:
//
//	notify:
//	  channels:
//	    - name: slack-sec
//	      slack: {webhook_url: env:SLACK_WEBHOOK_URL}
//	    - name: pagerduty
//	      rate_limit: 2          # sends per second; 0 = the channel type's default, -1 = unlimited
//	      pagerduty: {routing_key: file:/run/secrets/pd_key, region: eu}
//	    - name: teams-sec
//	      teams: {webhook_url: env:TEAMS_WORKFLOW_URL}
//	    - name: siem
//	      webhook:
//	        url: env:SIEM_URL
//	        secret: env:SIEM_HMAC_SECRET
//	        headers: {Authorization: env:SIEM_AUTH_HEADER, X-Team: security}
//	    - name: mail-oncall
//	      email:
//	        host: smtp.example.com
//	        port: 587
//	        username: kmsguard
//	        password: env:SMTP_PASSWORD
//	        from: "kmsguard <kmsguard@example.com>"
//	        to: ["secops@example.com"]
//	      templates: {email_subject: "KMS {{.Severity}} {{.Title}}"}
//	    - name: sns-oncall
//	      sns: {topic_arn: "arn:aws:sns:eu-west-1:111122223333:kms-alerts"}
//	  routes:
//	    - {channels: [slack-sec, siem]}
//	    - {channels: [pagerduty, sns-oncall], min_severity: high, rules: ["kms-*"]}
//	  templates: {slack_text: "..."}   # defaults for every channel
//	  delivery: {max_attempts: 8, initial_backoff: 2s, max_backoff: 5m, outbox_dir: /var/lib/kmsguard/outbox}
type Config struct {
	Channels  []ChannelConfig `json:"channels" yaml:"channels"`
	Routes    []Route         `json:"routes" yaml:"routes"`
	Templates Templates       `json:"templates,omitzero" yaml:"templates,omitempty"`
	Delivery  DeliveryConfig  `json:"delivery,omitzero" yaml:"delivery,omitempty"`
}

// ChannelConfig is one named channel instance; exactly one of the type
// blocks is set.
type ChannelConfig struct {
	Name      string    `json:"name" yaml:"name"`
	RateLimit float64   `json:"rate_limit,omitempty" yaml:"rate_limit,omitempty"`
	Burst     int       `json:"burst,omitempty" yaml:"burst,omitempty"`
	Templates Templates `json:"templates,omitzero" yaml:"templates,omitempty"`

	Slack     *SlackConfig     `json:"slack,omitempty" yaml:"slack,omitempty"`
	PagerDuty *PagerDutyConfig `json:"pagerduty,omitempty" yaml:"pagerduty,omitempty"`
	Teams     *TeamsConfig     `json:"teams,omitempty" yaml:"teams,omitempty"`
	Webhook   *WebhookConfig   `json:"webhook,omitempty" yaml:"webhook,omitempty"`
	Email     *EmailConfig     `json:"email,omitempty" yaml:"email,omitempty"`
	SNS       *SNSConfig       `json:"sns,omitempty" yaml:"sns,omitempty"`
}

// SlackConfig: the incoming webhook URL is a secret.
type SlackConfig struct {
	WebhookURL SecretRef `json:"webhook_url" yaml:"webhook_url"`
}

// PagerDutyConfig: Region "eu" selects the EU endpoint; Endpoint overrides
// both.
type PagerDutyConfig struct {
	RoutingKey SecretRef `json:"routing_key" yaml:"routing_key"`
	Region     string    `json:"region,omitempty" yaml:"region,omitempty"`
	Endpoint   string    `json:"endpoint,omitempty" yaml:"endpoint,omitempty"`
}

// TeamsConfig: the workflow URL is a secret (it embeds a signature).
type TeamsConfig struct {
	WebhookURL SecretRef `json:"webhook_url" yaml:"webhook_url"`
}

// WebhookConfig: header values may be literal or env:/file: references.
type WebhookConfig struct {
	URL     SecretRef         `json:"url" yaml:"url"`
	Secret  SecretRef         `json:"secret,omitempty" yaml:"secret,omitempty"`
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
}

// EmailConfig: Security is "starttls" (default), "tls" or "none"; CAFile
// adds a PEM bundle of trusted CAs (private relays).
type EmailConfig struct {
	Host      string    `json:"host" yaml:"host"`
	Port      int       `json:"port,omitempty" yaml:"port,omitempty"`
	Security  string    `json:"security,omitempty" yaml:"security,omitempty"`
	Username  string    `json:"username,omitempty" yaml:"username,omitempty"`
	Password  SecretRef `json:"password,omitempty" yaml:"password,omitempty"`
	From      string    `json:"from" yaml:"from"`
	To        []string  `json:"to" yaml:"to"`
	CAFile    string    `json:"ca_file,omitempty" yaml:"ca_file,omitempty"`
	LocalName string    `json:"local_name,omitempty" yaml:"local_name,omitempty"`
}

// SNSConfig: Region defaults to the topic ARN's region; Endpoint overrides
// the service endpoint (VPC endpoints, tests). Credentials come from the
// standard AWS chain.
type SNSConfig struct {
	TopicARN string `json:"topic_arn" yaml:"topic_arn"`
	Region   string `json:"region,omitempty" yaml:"region,omitempty"`
	Endpoint string `json:"endpoint,omitempty" yaml:"endpoint,omitempty"`
}

// DeliveryConfig is the retry policy and where the outbox lives.
type DeliveryConfig struct {
	MaxAttempts    int      `json:"max_attempts,omitempty" yaml:"max_attempts,omitempty"`
	InitialBackoff Duration `json:"initial_backoff,omitzero" yaml:"initial_backoff,omitempty"`
	MaxBackoff     Duration `json:"max_backoff,omitzero" yaml:"max_backoff,omitempty"`
	OutboxDir      string   `json:"outbox_dir,omitempty" yaml:"outbox_dir,omitempty"`
	Retention      Duration `json:"retention,omitzero" yaml:"retention,omitempty"`
}

// Duration reads and writes Go duration strings ("2s", "5m").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Default send rates per second by channel type, below each service's
// documented limits (Slack webhooks: about 1 message per second).
var defaultRates = map[string]float64{
	"slack": 1, "teams": 1, "pagerduty": 2, "webhook": 10, "email": 1, "sns": 10,
}

// Set is a built notify configuration, ready for NewDispatcher.
type Set struct {
	Channels  []Channel
	Router    *Router
	Limits    map[string]*rate.Limiter
	Retry     RetryPolicy
	OutboxDir string        // delivery.outbox_dir, "" if unset
	Retention time.Duration // delivery.retention, 0 for the default
}

// NewDispatcher returns a dispatcher for the set over out; opts.Retry and
// opts.Limits are taken from the set.
func (s *Set) NewDispatcher(out Outbox, opts DispatcherOptions) (*Dispatcher, error) {
	opts.Retry, opts.Limits = s.Retry, s.Limits
	return NewDispatcher(out, s.Router, s.Channels, opts)
}

// BuildEnv supplies what Build needs from outside the config.
type BuildEnv struct {
	Lookup     Lookup       // zero: DefaultLookup()
	HTTPClient *http.Client // nil: NewHTTPClient()
	Now        func() time.Time
	// SNSClient makes the SNS client for a channel; nil: the AWS SDK default
	// credential chain with the SDK's retries off (the dispatcher retries).
	SNSClient func(ctx context.Context, cfg SNSConfig) (SNSPublisher, error)
}

// Build validates cfg, resolves its secrets, compiles its templates and
// constructs every channel. All problems are reported together, each naming
// the channel or route.
func Build(ctx context.Context, cfg Config, env BuildEnv) (*Set, error) {
	if env.Lookup.Env == nil || env.Lookup.ReadFile == nil {
		env.Lookup = DefaultLookup()
	}
	if env.HTTPClient == nil {
		env.HTTPClient = NewHTTPClient()
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.SNSClient == nil {
		env.SNSClient = defaultSNSClient
	}
	if _, err := cfg.Templates.compile(); err != nil {
		return nil, fmt.Errorf("notify.templates: %w", err)
	}
	set := &Set{Limits: map[string]*rate.Limiter{}, Retry: RetryPolicy{
		MaxAttempts: cfg.Delivery.MaxAttempts,
		Base:        time.Duration(cfg.Delivery.InitialBackoff),
		Max:         time.Duration(cfg.Delivery.MaxBackoff),
	}.withDefaults(), OutboxDir: cfg.Delivery.OutboxDir, Retention: time.Duration(cfg.Delivery.Retention)}
	names := map[string]bool{}
	var errs []error
	for i, cc := range cfg.Channels {
		where := fmt.Sprintf("notify.channels[%d] (%s)", i, cc.Name)
		if cc.Name == "" || names[cc.Name] {
			errs = append(errs, fmt.Errorf("%s: name is empty or used twice", where))
			continue
		}
		names[cc.Name] = true
		cc.Templates = cc.Templates.merge(cfg.Templates)
		ch, kind, err := buildChannel(ctx, cc, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		set.Channels = append(set.Channels, ch)
		r := cc.RateLimit
		if r == 0 {
			r = defaultRates[kind]
		}
		if r > 0 {
			set.Limits[cc.Name] = rate.NewLimiter(rate.Limit(r), max(cc.Burst, 1))
		}
	}
	router, err := NewRouter(cfg.Routes, names)
	if err != nil {
		errs = append(errs, fmt.Errorf("notify.%w", err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	set.Router = router
	return set, nil
}
