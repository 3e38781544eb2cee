package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// buildChannel constructs the one channel type cc configures and returns
// its type name.
func buildChannel(ctx context.Context, cc ChannelConfig, env BuildEnv) (Channel, string, error) {
	set := 0
	for _, p := range []bool{cc.Slack != nil, cc.PagerDuty != nil, cc.Teams != nil, cc.Webhook != nil, cc.Email != nil, cc.SNS != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return nil, "", errors.New("set exactly one of slack, pagerduty, teams, webhook, email, sns")
	}
	res := env.Lookup.Resolve
	switch {
	case cc.Slack != nil:
		url, err := res(cc.Slack.WebhookURL)
		if err != nil {
			return nil, "", fmt.Errorf("slack.webhook_url: %w", err)
		}
		ch, err := NewSlack(SlackOptions{Name: cc.Name, WebhookURL: url, Templates: cc.Templates, HTTPClient: env.HTTPClient})
		return ch, "slack", err
	case cc.PagerDuty != nil:
		key, err := res(cc.PagerDuty.RoutingKey)
		if err != nil {
			return nil, "", fmt.Errorf("pagerduty.routing_key: %w", err)
		}
		endpoint := cc.PagerDuty.Endpoint
		switch strings.ToLower(cc.PagerDuty.Region) {
		case "", "us":
		case "eu":
			if endpoint == "" {
				endpoint = PagerDutyEndpointEU
			}
		default:
			return nil, "", fmt.Errorf("pagerduty.region %q: want us or eu", cc.PagerDuty.Region)
		}
		ch, err := NewPagerDuty(PagerDutyOptions{Name: cc.Name, RoutingKey: key, Endpoint: endpoint, HTTPClient: env.HTTPClient})
		return ch, "pagerduty", err
	case cc.Teams != nil:
		url, err := res(cc.Teams.WebhookURL)
		if err != nil {
			return nil, "", fmt.Errorf("teams.webhook_url: %w", err)
		}
		ch, err := NewTeams(TeamsOptions{Name: cc.Name, WebhookURL: url, HTTPClient: env.HTTPClient})
		return ch, "teams", err
	case cc.Webhook != nil:
		ch, err := buildWebhook(cc, env)
		return ch, "webhook", err
	case cc.Email != nil:
		ch, err := buildEmail(cc, env)
		return ch, "email", err
	default:
		pub, err := env.SNSClient(ctx, *cc.SNS)
		if err != nil {
			return nil, "", fmt.Errorf("sns: %w", err)
		}
		ch, err := NewSNS(SNSOptions{Name: cc.Name, TopicARN: cc.SNS.TopicARN, Client: pub, Templates: cc.Templates})
		return ch, "sns", err
	}
}

func buildWebhook(cc ChannelConfig, env BuildEnv) (Channel, error) {
	w := cc.Webhook
	url, err := env.Lookup.Resolve(w.URL)
	if err != nil {
		return nil, fmt.Errorf("webhook.url: %w", err)
	}
	var secret Secret
	if w.Secret != "" {
		if secret, err = env.Lookup.Resolve(w.Secret); err != nil {
			return nil, fmt.Errorf("webhook.secret: %w", err)
		}
	}
	headers := map[string]Secret{}
	for k, v := range w.Headers {
		if strings.HasPrefix(v, "env:") || strings.HasPrefix(v, "file:") {
			s, err := env.Lookup.Resolve(SecretRef(v))
			if err != nil {
				return nil, fmt.Errorf("webhook.headers.%s: %w", k, err)
			}
			headers[k] = s
			continue
		}
		headers[k] = NewSecret(v)
	}
	return NewWebhook(WebhookOptions{Name: cc.Name, URL: url, Secret: secret, Header: headers, HTTPClient: env.HTTPClient, Now: env.Now})
}

func buildEmail(cc ChannelConfig, env BuildEnv) (Channel, error) {
	e := cc.Email
	opts := EmailOptions{Name: cc.Name, Host: e.Host, Port: e.Port, Security: e.Security, Username: e.Username,
		From: e.From, To: e.To, LocalName: e.LocalName, Templates: cc.Templates, Now: env.Now}
	if e.Username != "" {
		pw, err := env.Lookup.Resolve(e.Password)
		if err != nil {
			return nil, fmt.Errorf("email.password: %w", err)
		}
		opts.Password = pw
	}
	if e.CAFile != "" {
		pem, err := env.Lookup.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("email.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("email.ca_file %s: no PEM certificates", e.CAFile)
		}
		opts.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return NewEmail(opts)
}

// defaultSNSClient loads the standard AWS configuration (environment,
// shared files, IMDS, ...) for the topic's region.
func defaultSNSClient(ctx context.Context, c SNSConfig) (SNSPublisher, error) {
	region := c.Region
	if region == "" {
		if parts := strings.Split(c.TopicARN, ":"); len(parts) >= 6 {
			region = parts[3]
		}
	}
	if region == "" {
		return nil, fmt.Errorf("topic_arn %q: cannot tell the region; set sns.region", c.TopicARN)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, err
	}
	return sns.NewFromConfig(cfg, func(o *sns.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		o.RetryMaxAttempts = 1 // the dispatcher owns retries and backoff
	}), nil
}
