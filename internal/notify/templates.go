package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// Templates are user-overridable message texts (Go text/template, except
// EmailHTML which is html/template so alert fields are escaped). Empty
// fields keep the default. Data: see TemplateData.
type Templates struct {
	SlackText    string `json:"slack_text,omitempty" yaml:"slack_text,omitempty"`
	EmailSubject string `json:"email_subject,omitempty" yaml:"email_subject,omitempty"`
	EmailText    string `json:"email_text,omitempty" yaml:"email_text,omitempty"`
	EmailHTML    string `json:"email_html,omitempty" yaml:"email_html,omitempty"`
	SNSSubject   string `json:"sns_subject,omitempty" yaml:"sns_subject,omitempty"`
	SNSMessage   string `json:"sns_message,omitempty" yaml:"sns_message,omitempty"`
	SNSSMS       string `json:"sns_sms,omitempty" yaml:"sns_sms,omitempty"`
}

// DefaultTemplates returns the built-in templates, used for every field a
// config leaves empty (for documentation and `--print-defaults` style
// output).
func DefaultTemplates() Templates { return defaultTemplates }

var defaultTemplates = Templates{
	SlackText:    `[{{.Severity}}] {{.Title}}: {{.Alert.EventName}} by {{.Actor}}{{if .Keys}} on {{join .Keys ", "}}{{end}}`,
	EmailSubject: `[kmsguard] [{{.Severity}}] {{.Title}} ({{.Alert.RuleID}})`,
	EmailText:    defaultLongText,
	EmailHTML:    defaultEmailHTML,
	SNSSubject:   `kmsguard {{.Severity}}: {{.Title}}`,
	SNSMessage:   defaultLongText,
	SNSSMS:       `kmsguard {{.Severity}} {{.Alert.RuleID}}: {{.Alert.EventName}}{{if .Alert.AccountID}} acct {{.Alert.AccountID}}{{end}}{{if .Alert.Region}} {{.Alert.Region}}{{end}}`,
}

const defaultLongText = `[{{.Severity}}] {{.Title}}

Rule:       {{.Alert.RuleID}}
Severity:   {{lower .Severity}}
Event:      {{.Alert.EventName}} ({{.Alert.EventSource}}){{if .Alert.Outcome}}, {{.Alert.Outcome}}{{end}}{{if .Alert.ErrorCode}} {{.Alert.ErrorCode}}{{end}}
Actor:      {{.Actor}}
Where:      {{default "unknown" .Where}}
Event time: {{.EventTime}}
Source IP:  {{default "unknown" .Alert.SourceIP}}
{{- range .Keys}}
Key:        {{.}}
{{- end}}
Event ID:   {{.Alert.EventID}}
Alert ID:   {{.Alert.ID}}
{{- if .Alert.Description}}

{{.Alert.Description}}
{{- end}}
{{- if .FirstCommand}}

First response:
  {{.FirstCommand}}
{{- end}}
`

const defaultEmailHTML = `<!DOCTYPE html>
<html><body>
<h2>[{{.Severity}}] {{.Title}}</h2>
<table>
<tr><th align="left">Rule</th><td>{{.Alert.RuleID}}</td></tr>
<tr><th align="left">Severity</th><td>{{lower .Severity}}</td></tr>
<tr><th align="left">Event</th><td>{{.Alert.EventName}} ({{.Alert.EventSource}})</td></tr>
<tr><th align="left">Actor</th><td>{{.Actor}}</td></tr>
<tr><th align="left">Where</th><td>{{default "unknown" .Where}}</td></tr>
<tr><th align="left">Event time</th><td>{{.EventTime}}</td></tr>
<tr><th align="left">Source IP</th><td>{{default "unknown" .Alert.SourceIP}}</td></tr>
{{- range .Keys}}
<tr><th align="left">Key</th><td><code>{{.}}</code></td></tr>
{{- end}}
<tr><th align="left">Event ID</th><td><code>{{.Alert.EventID}}</code></td></tr>
</table>
{{- if .Alert.Description}}
<p>{{.Alert.Description}}</p>
{{- end}}
{{- if .FirstCommand}}
<p>First response:</p>
<pre>{{.FirstCommand}}</pre>
{{- end}}
</body></html>
`

// compiledTemplates holds parsed templates, ready to execute.
type compiledTemplates struct {
	slackText, emailSubject, emailText, snsSubject, snsMessage, snsSMS *template.Template
	emailHTML                                                          *htmltemplate.Template
}

var templateFuncs = map[string]any{
	"join":     strings.Join,
	"upper":    strings.ToUpper,
	"lower":    strings.ToLower,
	"truncate": truncate,
	"default": func(def, s string) string {
		if s == "" {
			return def
		}
		return s
	},
}

// merge returns t with empty fields taken from base.
func (t Templates) merge(base Templates) Templates {
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	return Templates{
		SlackText:    pick(t.SlackText, base.SlackText),
		EmailSubject: pick(t.EmailSubject, base.EmailSubject),
		EmailText:    pick(t.EmailText, base.EmailText),
		EmailHTML:    pick(t.EmailHTML, base.EmailHTML),
		SNSSubject:   pick(t.SNSSubject, base.SNSSubject),
		SNSMessage:   pick(t.SNSMessage, base.SNSMessage),
		SNSSMS:       pick(t.SNSSMS, base.SNSSMS),
	}
}

// compile parses every template and runs it once against a sample alert, so
// that both syntax errors and references to fields that do not exist are
// reported at config load time. Missing map keys (.Alert.Details.foo) render
// empty rather than fail, since rule details vary by rule.
func (t Templates) compile() (*compiledTemplates, error) {
	t = t.merge(defaultTemplates)
	var c compiledTemplates
	var errs []string
	text := func(name, src string) *template.Template {
		tpl, err := template.New(name).Funcs(templateFuncs).Option("missingkey=zero").Parse(src)
		if err == nil {
			err = tpl.Execute(&bytes.Buffer{}, sampleData())
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("template %s: %v", name, err))
		}
		return tpl
	}
	c.slackText = text("slack_text", t.SlackText)
	c.emailSubject = text("email_subject", t.EmailSubject)
	c.emailText = text("email_text", t.EmailText)
	c.snsSubject = text("sns_subject", t.SNSSubject)
	c.snsMessage = text("sns_message", t.SNSMessage)
	c.snsSMS = text("sns_sms", t.SNSSMS)
	h, err := htmltemplate.New("email_html").Funcs(templateFuncs).Option("missingkey=zero").Parse(t.EmailHTML)
	if err == nil {
		err = h.Execute(&bytes.Buffer{}, sampleData())
	}
	if err != nil {
		errs = append(errs, fmt.Sprintf("template email_html: %v", err))
	}
	c.emailHTML = h
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return &c, nil
}

// executor is satisfied by both template kinds.
type executor interface {
	Execute(w io.Writer, data any) error
}

// render executes a compiled template; it only fails on data-dependent
// problems (the templates were validated at load time).
func render(tpl executor, data TemplateData) (string, error) {
	var b bytes.Buffer
	if err := tpl.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// sampleData exercises every field a template may reference.
func sampleData() TemplateData {
	return newTemplateData(alert.Alert{
		ID: "sample", RuleID: "sample-rule", RuleTitle: "Sample rule", Severity: severity.High,
		Description: "sample", Guide: "aws kms describe-key --key-id x",
		EventID: "e", EventTime: time.Unix(0, 0), EventSource: "kms.amazonaws.com", EventName: "Sample",
		AccountID: "111122223333", Region: "us-east-1", Outcome: "success",
		Actor:   alert.Actor{ARN: "arn:aws:iam::111122223333:user/sample"},
		KeyARNs: []string{"arn:aws:kms:us-east-1:111122223333:key/sample"},
		Details: map[string]string{}, Enrichment: map[string]string{},
		EventIDs: []string{"e"}, Tags: []string{"attack.impact"},
	}, "sample")
}
