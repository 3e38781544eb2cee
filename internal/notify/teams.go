package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// TeamsOptions configure a Microsoft Teams channel fed through a Power
// Automate workflow ("When a Teams webhook request is received", then "Post
// card in a chat or channel").
type TeamsOptions struct {
	Name       string
	WebhookURL Secret // the workflow's HTTP POST URL (it carries a signature)
	HTTPClient *http.Client
}

// Teams posts an Adaptive Card 1.4 wrapped in the message envelope the
// workflow trigger expects.
type Teams struct{ opts TeamsOptions }

// NewTeams validates the options.
func NewTeams(opts TeamsOptions) (*Teams, error) {
	if opts.WebhookURL.IsZero() {
		return nil, errors.New("teams: webhook_url is required")
	}
	opts.HTTPClient = clientOr(opts.HTTPClient)
	return &Teams{opts: opts}, nil
}

// Name returns the channel instance name.
func (t *Teams) Name() string { return t.opts.Name }

// Send posts the card; the workflow endpoint answers 202 Accepted.
func (t *Teams) Send(ctx context.Context, a alert.Alert) error {
	body, err := json.Marshal(teamsMessage(a, t.opts.Name))
	if err != nil {
		return Permanent(fmt.Errorf("teams: %w", err))
	}
	return postJSON(ctx, t.opts.HTTPClient, "teams", t.opts.WebhookURL, body, nil, nil)
}

type teamsEnvelope struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string       `json:"contentType"`
	ContentURL  *string      `json:"contentUrl"`
	Content     adaptiveCard `json:"content"`
}

type adaptiveCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	Body    []cardElement  `json:"body"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

type cardElement struct {
	Type     string     `json:"type"`
	Text     string     `json:"text,omitempty"`
	Size     string     `json:"size,omitempty"`
	Weight   string     `json:"weight,omitempty"`
	Color    string     `json:"color,omitempty"`
	FontType string     `json:"fontType,omitempty"`
	IsSubtle bool       `json:"isSubtle,omitempty"`
	Wrap     bool       `json:"wrap,omitempty"`
	Facts    []cardFact `json:"facts,omitempty"`
}

type cardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

func teamsMessage(a alert.Alert, channel string) teamsEnvelope {
	d := newTemplateData(a, channel)
	color := "Warning"
	if a.Severity >= severity.High {
		color = "Attention"
	} else if a.Severity <= severity.Low {
		color = "Default"
	}
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	facts := []cardFact{
		{"Severity", strings.ToLower(d.Severity)},
		{"Rule", orDash(a.RuleID)},
		{"Event", orDash(a.EventName)},
		{"Actor", d.Actor},
		{"Account / region", orDash(d.Where)},
		{"Event time", orDash(d.EventTime)},
		{"Source IP", orDash(a.SourceIP)},
	}
	for _, k := range a.KeyARNs {
		facts = append(facts, cardFact{"Key", k})
	}
	body := []cardElement{
		{Type: "TextBlock", Text: "[" + d.Severity + "] " + d.Title, Size: "Large", Weight: "Bolder", Color: color, Wrap: true},
		{Type: "FactSet", Facts: facts},
	}
	if a.Description != "" {
		body = append(body, cardElement{Type: "TextBlock", Text: a.Description, Wrap: true})
	}
	if d.FirstCommand != "" {
		body = append(body,
			cardElement{Type: "TextBlock", Text: "First response", Weight: "Bolder", Wrap: true},
			cardElement{Type: "TextBlock", Text: d.FirstCommand, FontType: "Monospace", Wrap: true})
	}
	body = append(body, cardElement{Type: "TextBlock", Text: "Event ID " + a.EventID + " · Alert ID " + a.ID + " · Delivery " + IdempotencyKey(a, channel), IsSubtle: true, Size: "Small", Wrap: true})
	return teamsEnvelope{
		Type: "message",
		Attachments: []teamsAttachment{{
			ContentType: "application/vnd.microsoft.card.adaptive",
			Content: adaptiveCard{
				Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
				Type:    "AdaptiveCard",
				Version: "1.4",
				Body:    body,
				MSTeams: map[string]any{"width": "Full"},
			},
		}},
	}
}
