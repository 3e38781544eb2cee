package notify

import (
	"context"
	"encoding/json"
	"testing"
)

func TestTeamsWorkflowCard(t *testing.T) {
	srv := newCaptureServer(t, reply{Status: 202})
	ch, err := NewTeams(TeamsOptions{Name: "teams", WebhookURL: secretOf(srv.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=S1GNATURE")})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), testAlert()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests", len(reqs))
	}
	var env struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Schema  string            `json:"$schema"`
				Type    string            `json:"type"`
				Version string            `json:"version"`
				Body    []json.RawMessage `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(reqs[0].Body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "message" || len(env.Attachments) != 1 {
		t.Fatalf("envelope = %+v", env)
	}
	att := env.Attachments[0]
	if att.ContentType != "application/vnd.microsoft.card.adaptive" || att.Content.Type != "AdaptiveCard" ||
		att.Content.Version != "1.4" || att.Content.Schema != "http://adaptivecards.io/schemas/adaptive-card.json" {
		t.Errorf("attachment = %+v", att)
	}
	golden(t, "teams.json", indentJSON(t, reqs[0].Body))
}
