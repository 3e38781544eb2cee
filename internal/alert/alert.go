// Package alert defines the detection alert: what a rule matched, on which
// event, by whom, on which keys. Detection produces alerts; reports,
// notification sinks and the state store consume them.
package alert

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/severity"
)

// Alert is one rule match on one CloudTrail event (or, for correlation rules,
// on a group of events). JSON field names are a documented contract.
type Alert struct {
	// ID is the dedup key: stable for the same rule and event, so a
	// redelivered CloudTrail record never alerts twice.
	ID          string         `json:"id"`
	RuleID      string         `json:"rule_id"`
	RuleTitle   string         `json:"rule_title"`
	Severity    severity.Level `json:"severity"`
	Tags        []string       `json:"tags,omitempty"` // Sigma tags, e.g. attack.impact, attack.t1485
	Description string         `json:"description,omitempty"`
	Guide       string         `json:"guide,omitempty"` // investigation and response, with commands

	EventID     string    `json:"event_id"`
	EventTime   time.Time `json:"event_time"`
	EventSource string    `json:"event_source"`
	EventName   string    `json:"event_name"`
	AccountID   string    `json:"account_id,omitempty"`
	Region      string    `json:"region,omitempty"`
	Outcome     string    `json:"outcome"` // "success" or "failure"
	ErrorCode   string    `json:"error_code,omitempty"`

	Actor     Actor  `json:"actor"`
	SourceIP  string `json:"source_ip,omitempty"` // an IP address or an AWS service name
	UserAgent string `json:"user_agent,omitempty"`

	KeyARNs           []string          `json:"key_arns,omitempty"`
	RequestParameters map[string]any    `json:"request_parameters,omitempty"`
	Details           map[string]string `json:"details,omitempty"` // rule-specific facts, e.g. deletion_date

	// EventIDs lists every event behind a correlation alert.
	EventIDs []string `json:"event_ids,omitempty"`
	// Enrichment holds what the inventory knows about the keys and actor.
	Enrichment map[string]string `json:"enrichment,omitempty"`
}

// Actor is who made the call, from CloudTrail's userIdentity.
type Actor struct {
	Type             string `json:"type,omitempty"` // empty for AWS-initiated events
	ARN              string `json:"arn,omitempty"`
	PrincipalID      string `json:"principal_id,omitempty"`
	AccountID        string `json:"account_id,omitempty"`
	AccessKeyID      string `json:"access_key_id,omitempty"`
	UserName         string `json:"user_name,omitempty"`
	SessionIssuerARN string `json:"session_issuer_arn,omitempty"`
	InvokedBy        string `json:"invoked_by,omitempty"` // AWS service that called on the actor's behalf
	MFAAuthenticated bool   `json:"mfa_authenticated"`
}
