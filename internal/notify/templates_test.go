package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestTemplateErrorsAtLoad(t *testing.T) {
	tests := map[string]Templates{
		"syntax":          {SlackText: "{{.Severity"},
		"unknown field":   {EmailSubject: "{{.Alert.NoSuchField}}"},
		"unknown func":    {SNSSMS: "{{shout .Title}}"},
		"html syntax":     {EmailHTML: "<p>{{end}}</p>"},
		"wrong arg count": {SNSMessage: `{{truncate .Title}}`},
	}
	for name, tpl := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Build(context.Background(), Config{Templates: tpl}, BuildEnv{Lookup: Lookup{Env: noEnv, ReadFile: noFile}})
			if err == nil || !strings.Contains(err.Error(), "notify.templates: template") {
				t.Fatalf("Build err = %v, want a template error", err)
			}
		})
	}
}

func TestTemplateOverrideAndDetailsKey(t *testing.T) {
	srv := newCaptureServer(t)
	ch, err := NewSlack(SlackOptions{Name: "s", WebhookURL: secretOf(srv.URL + "/x"), Templates: Templates{
		SlackText: `{{upper .Alert.EventName}} window={{.Alert.Details.pending_window_days}} missing=[{{.Alert.Details.nope}}] {{truncate 8 .Actor}} via {{.Channel}}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	var msg struct{ Text string }
	if err := json.Unmarshal(srv.requests()[0].Body, &msg); err != nil {
		t.Fatal(err)
	}
	if want := "SCHEDULEKEYDELETION window=7 missing=[] arn:a… via s"; msg.Text != want {
		t.Errorf("text = %q, want %q", msg.Text, want)
	}
}

func TestFirstCommand(t *testing.T) {
	tests := map[string]struct{ guide, want string }{
		"fenced":           {"Do this:\n```bash\n$ aws kms cancel-key-deletion --key-id k\n```", "aws kms cancel-key-deletion --key-id k"},
		"bullet":           {"1. Look.\n- `aws kms describe-key --key-id k`\n", "aws kms describe-key --key-id k"},
		"none":             {"Call the owner.", ""},
		"empty fence skip": {"```\n\n```\naws kms enable-key --key-id k", "aws kms enable-key --key-id k"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := firstCommand(tt.guide); got != tt.want {
				t.Errorf("firstCommand = %q, want %q", got, tt.want)
			}
		})
	}
}

func noEnv(string) (string, bool)   { return "", false }
func noFile(string) ([]byte, error) { return nil, errNoFile }

var errNoFile = errors.New("no such file")

func TestDefaultTemplatesCompile(t *testing.T) {
	d := DefaultTemplates()
	if d.SlackText == "" || d.EmailHTML == "" || d.SNSSMS == "" {
		t.Fatalf("DefaultTemplates has empty fields: %+v", d)
	}
	if _, err := d.compile(); err != nil {
		t.Fatalf("default templates do not compile: %v", err)
	}
}
