package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// PagerDuty Events API v2 endpoints. Accounts in the EU service region use
// the EU endpoint.
const (
	PagerDutyEndpoint   = "https://events.pagerduty.com/v2/enqueue"
	PagerDutyEndpointEU = "https://events.eu.pagerduty.com/v2/enqueue"
)

// PagerDutyOptions configure a PagerDuty Events API v2 channel.
type PagerDutyOptions struct {
	Name       string
	RoutingKey Secret // the integration key of an Events API v2 integration
	Endpoint   string // "" means PagerDutyEndpoint
	HTTPClient *http.Client
}

// PagerDuty triggers an incident per alert with a stable dedup_key, so a
// redelivered alert updates the same incident instead of opening another.
type PagerDuty struct{ opts PagerDutyOptions }

// NewPagerDuty validates the options.
func NewPagerDuty(opts PagerDutyOptions) (*PagerDuty, error) {
	if opts.RoutingKey.IsZero() {
		return nil, errors.New("pagerduty: routing_key is required")
	}
	if opts.Endpoint == "" {
		opts.Endpoint = PagerDutyEndpoint
	}
	opts.HTTPClient = clientOr(opts.HTTPClient)
	return &PagerDuty{opts: opts}, nil
}

// Name returns the channel instance name.
func (p *PagerDuty) Name() string { return p.opts.Name }

// Send enqueues a trigger event. PagerDuty answers 202 on success, 400 for an
// invalid event (permanent) and 429 or 5xx when it wants us to come back.
func (p *PagerDuty) Send(ctx context.Context, a alert.Alert) error {
	body, err := json.Marshal(pagerDutyEvent(a, p.opts.RoutingKey.Reveal()))
	if err != nil {
		return Permanent(fmt.Errorf("pagerduty: %w", err))
	}
	return postJSON(ctx, p.opts.HTTPClient, "pagerduty", NewSecret(p.opts.Endpoint), body, nil,
		[]int{http.StatusAccepted, http.StatusOK}, p.opts.RoutingKey)
}

type pdEvent struct {
	RoutingKey  string    `json:"routing_key"`
	EventAction string    `json:"event_action"`
	DedupKey    string    `json:"dedup_key"`
	Payload     pdPayload `json:"payload"`
	Client      string    `json:"client"`
}

type pdPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details"`
}

func pagerDutyEvent(a alert.Alert, routingKey string) pdEvent {
	d := newTemplateData(a, "")
	summary := fmt.Sprintf("[%s] %s: %s by %s", d.Severity, d.Title, a.EventName, d.Actor)
	if len(a.KeyARNs) > 0 {
		summary += " on " + a.KeyARNs[0]
		if n := len(a.KeyARNs) - 1; n > 0 {
			summary += fmt.Sprintf(" and %d more", n)
		}
	}
	source := "aws"
	if a.AccountID != "" {
		source += ":" + a.AccountID
	}
	if a.Region != "" {
		source += ":" + a.Region
	}
	component := a.EventSource
	if len(a.KeyARNs) > 0 {
		component = a.KeyARNs[0]
	}
	details := map[string]any{
		"alert_id": a.ID, "rule_id": a.RuleID, "event_id": a.EventID, "event_name": a.EventName,
		"actor": d.Actor, "source_ip": a.SourceIP, "outcome": a.Outcome,
	}
	if len(a.KeyARNs) > 0 {
		details["key_arns"] = a.KeyARNs
	}
	if d.FirstCommand != "" {
		details["first_response"] = d.FirstCommand
	}
	for k, v := range a.Details {
		details["detail."+k] = v
	}
	for k, v := range a.Enrichment {
		details["enrichment."+k] = v
	}
	var ts string
	if !a.EventTime.IsZero() {
		ts = a.EventTime.UTC().Format(time.RFC3339)
	}
	return pdEvent{
		RoutingKey: routingKey, EventAction: "trigger", DedupKey: DedupKey(a), Client: "kmsguard",
		Payload: pdPayload{
			Summary: truncate(1024, summary), Source: source, Severity: pagerDutySeverity(a.Severity),
			Timestamp: ts, Component: component, Group: a.AccountID, Class: a.RuleID, CustomDetails: details,
		},
	}
}

// pagerDutySeverity maps our scale onto PagerDuty's four levels.
func pagerDutySeverity(l severity.Level) string {
	switch {
	case l >= severity.Critical:
		return "critical"
	case l >= severity.High:
		return "error"
	case l >= severity.Medium:
		return "warning"
	default:
		return "info"
	}
}

// DedupKey is the stable per-alert key used by PagerDuty (dedup_key) and
// offered to other receivers: the alert ID when it is set and fits
// PagerDuty's 255-character limit, otherwise "kmsguard-" and the first 32 hex
// digits of SHA-256(rule ID, NUL, first key ARN, NUL, event ID).
func DedupKey(a alert.Alert) string {
	if a.ID != "" && len(a.ID) <= 255 {
		return a.ID
	}
	key := ""
	if len(a.KeyARNs) > 0 {
		key = a.KeyARNs[0]
	}
	sum := sha256.Sum256([]byte(a.RuleID + "\x00" + key + "\x00" + a.EventID))
	return "kmsguard-" + hex.EncodeToString(sum[:16])
}
