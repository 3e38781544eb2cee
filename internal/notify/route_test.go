package notify

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/severity"
)

func TestRouterMatch(t *testing.T) {
	known := map[string]bool{"slack": true, "pd": true, "mail": true}
	routes := []Route{
		{Channels: []string{"slack"}},
		{Channels: []string{"pd", "slack"}, MinSeverity: severity.High, Rules: []string{"kms-key-*", "kms-grant-created"}},
		{Channels: []string{"mail"}, MinSeverity: severity.Critical},
	}
	r, err := NewRouter(routes, known)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		rule  string
		level severity.Level
		want  []string
	}{
		{name: "low goes to the catch-all only", rule: "kms-key-deletion-scheduled", level: severity.Low, want: []string{"slack"}},
		{name: "high on a glob rule adds pd once", rule: "kms-key-deletion-scheduled", level: severity.High, want: []string{"slack", "pd"}},
		{name: "high on an exact rule", rule: "kms-grant-created", level: severity.High, want: []string{"slack", "pd"}},
		{name: "high on another rule", rule: "iam-policy-change", level: severity.High, want: []string{"slack"}},
		{name: "critical reaches every route", rule: "kms-key-disabled", level: severity.Critical, want: []string{"slack", "pd", "mail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAlert()
			a.RuleID, a.Severity = tt.rule, tt.level
			if diff := cmp.Diff(tt.want, r.Match(a)); diff != "" {
				t.Errorf("Match (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouterRejectsBadRoutes(t *testing.T) {
	known := map[string]bool{"slack": true}
	tests := map[string]Route{
		"unknown channel": {Channels: []string{"slak"}},
		"no channels":     {},
		"bad glob":        {Channels: []string{"slack"}, Rules: []string{"kms-["}},
	}
	for name, rt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := NewRouter([]Route{rt}, known); err == nil {
				t.Error("NewRouter accepted a bad route")
			}
		})
	}
}
