package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// SlackOptions configure a Slack incoming-webhook channel.
type SlackOptions struct {
	Name       string
	WebhookURL Secret // https://hooks.slack.com/services/T.../B.../...
	Templates  Templates
	HTTPClient *http.Client // nil: NewHTTPClient()
}

// Slack posts a Block Kit message to an incoming webhook. The template's
// text is the notification and accessibility fallback; the blocks carry the
// structured view.
type Slack struct {
	opts SlackOptions
	tpl  *compiledTemplates
}

// NewSlack validates the options and compiles the templates.
func NewSlack(opts SlackOptions) (*Slack, error) {
	if opts.WebhookURL.IsZero() {
		return nil, errors.New("slack: webhook_url is required")
	}
	tpl, err := opts.Templates.compile()
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	opts.HTTPClient = clientOr(opts.HTTPClient)
	return &Slack{opts: opts, tpl: tpl}, nil
}

// Name returns the channel instance name.
func (s *Slack) Name() string { return s.opts.Name }

// Send posts the alert; Slack answers 200 "ok", 4xx for a bad payload or a
// revoked webhook (permanent) and 429 with Retry-After when rate limited.
func (s *Slack) Send(ctx context.Context, a alert.Alert) error {
	body, err := s.payload(a)
	if err != nil {
		return Permanent(fmt.Errorf("slack: %w", err))
	}
	return postJSON(ctx, s.opts.HTTPClient, "slack", s.opts.WebhookURL, body, nil, nil)
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// Block Kit limits: header text 150 chars, section text 3000, field 2000.
func (s *Slack) payload(a alert.Alert) ([]byte, error) {
	d := newTemplateData(a, s.opts.Name)
	text, err := render(s.tpl.slackText, d)
	if err != nil {
		return nil, err
	}
	field := func(label, v string) slackText {
		if v == "" {
			v = "-"
		}
		return slackText{Type: "mrkdwn", Text: truncate(2000, "*"+label+"*\n"+slackEscape(v))}
	}
	msg := slackMessage{Text: truncate(3000, slackEscape(text))}
	msg.Blocks = append(msg.Blocks,
		slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(150, "["+d.Severity+"] "+d.Title)}},
		slackBlock{Type: "section", Fields: []slackText{
			field("Severity", strings.ToLower(d.Severity)),
			field("Rule", a.RuleID),
			field("Actor", d.Actor),
			field("Event", a.EventName),
			field("Account / region", d.Where),
			field("Event time", d.EventTime),
			field("Source IP", a.SourceIP),
			field("Outcome", strings.TrimSpace(a.Outcome+" "+a.ErrorCode)),
		}},
	)
	if len(a.KeyARNs) > 0 {
		var b strings.Builder
		b.WriteString("*Keys*")
		for _, k := range a.KeyARNs {
			b.WriteString("\n`" + slackEscape(k) + "`")
		}
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(3000, b.String())}})
	}
	if a.Description != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(3000, slackEscape(a.Description))}})
	}
	// Slack cannot deduplicate: the delivery key at least lets a reader
	// (or a bot) tell a repeat after a crash from a new alert.
	ctxText := "Event ID `" + slackEscape(a.EventID) + "` · Alert ID `" + slackEscape(a.ID) + "` · Delivery `" + IdempotencyKey(a, s.opts.Name) + "`"
	elems := []slackText{{Type: "mrkdwn", Text: truncate(2000, ctxText)}}
	if d.FirstCommand != "" {
		elems = append(elems, slackText{Type: "mrkdwn", Text: truncate(2000, "First response: `"+slackEscape(d.FirstCommand)+"`")})
	}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "context", Elements: elems})
	return json.Marshal(msg)
}

// slackEscape escapes the three characters Slack's mrkdwn treats as control
// sequences, so an event field cannot inject mentions or links.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
