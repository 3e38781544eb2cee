package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/severity"
)

func TestDefault(t *testing.T) {
	c := Default()
	if diff := cmp.Diff([]string{"kms:Decrypt", "kms:ReEncryptFrom"}, c.Parameters.KMS1.BlockedActionsPatterns); diff != "" {
		t.Error(diff)
	}
	if !*c.Parameters.KMS1.ExcludePermissionBoundaryPolicy || !c.Enabled("KMS.3") {
		t.Error("defaults: boundary exclusion on and every control enabled")
	}
	if got := c.SeverityFor("KMS.3", severity.Critical); got != severity.Critical {
		t.Errorf("severity %v", got)
	}
}

func TestParseExample(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "kmsguard.yaml")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Parameters.KMS4.MaxRotationPeriodDays != 365 || c.Severity["KMS.4"] != severity.High {
		t.Errorf("parameters %+v severity %v", c.Parameters, c.Severity)
	}
	if !c.IsBreakGlass("arn:aws:iam::111122223333:role/KeyAdminBreakGlass") || c.IsBreakGlass("arn:aws:iam::111122223333:role/AppRole") {
		t.Error("break-glass matching")
	}
	if p := c.AuthorisedPrincipal("arn:aws:iam::111122223333:role/AppRole"); p == nil || p.Reason != "payments service" {
		t.Errorf("authorised principal %+v", p)
	}
	if len(c.Suppressions) != 2 || c.Suppressions[0].Line == 0 {
		t.Errorf("suppressions %+v", c.Suppressions)
	}
	var ids []string
	for _, r := range c.ControlRefs() {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{"KMS.4", "KMS.4", "KMS.3"}, ids); diff != "" {
		t.Errorf("control refs (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", "version: 1\nsupressions: []\n", "cfg.yaml:2: field supressions not found"},
		{"unknown parameter", "parameters:\n  KMS.4:\n    maxRotation: 3\n", "cfg.yaml:3: field maxRotation not found"},
		{"unknown control parameters", "parameters:\n  KMS.9: {}\n", "cfg.yaml:2: field KMS.9 not found"},
		{"bad severity", "severity:\n  KMS.4: urgent\n", "cfg.yaml:2: unknown severity \"urgent\""},
		{"suppression without reason", "suppressions:\n  - control: KMS.3\n    resource: '*'\n    expires: 2030-01-01\n", "cfg.yaml:2: suppression without a reason"},
		{"suppression without expiry", "suppressions:\n  - control: KMS.3\n    resource: '*'\n    reason: ok\n", "cfg.yaml:2: expires \"\""},
		{"bad expiry", "suppressions:\n  - {control: KMS.3, resource: x, reason: r, expires: 31/12/2030}\n", "expires \"31/12/2030\""},
		{"rotation out of range", "parameters:\n  KMS.4:\n    maxRotationPeriodDays: 30\n", "cfg.yaml:3: maxRotationPeriodDays 30"},
		{"bad account", "organization:\n  trustedAccounts: ['1234']\n", "cfg.yaml:2: \"1234\" is not a 12-digit"},
		{"bad org id", "organization:\n  organizationIds: [org-1]\n", "not an organisation id"},
		{"wrong type", "controls:\n  enable: KMS.3\n", "cfg.yaml:2:"},
		{"two documents", "version: 1\n---\nversion: 1\n", "only one YAML document"},
		{"bad version", "version: 2\n", "cfg.yaml:1: version 2"},
		{"syntax", "controls: [\n", "cfg.yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "cfg.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	c, err := Parse(nil, "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Default().Parameters, c.Parameters); diff != "" {
		t.Error(diff)
	}
}

func TestEnabled(t *testing.T) {
	c, err := Parse([]byte("controls:\n  enable: [KMS.3, KMS.4]\n  disable: [KMS.4]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"KMS.3": true, "KMS.4": false, "GRANT.1": false} {
		if got := c.Enabled(id); got != want {
			t.Errorf("Enabled(%s) = %v, want %v", id, got, want)
		}
	}
}

func TestSuppress(t *testing.T) {
	c, err := Parse([]byte(`suppressions:
  - {control: KMS.4, resource: "arn:aws:kms:*:111122223333:key/*", reason: a, expires: 2026-06-30}
  - {control: "*", resource: "arn:aws:kms:eu-west-1:*", reason: b, expires: 2026-01-31}
`), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	key := "arn:aws:kms:eu-west-1:111122223333:key/abc"
	tests := []struct {
		name        string
		control     string
		now         time.Time
		wantActive  string
		wantExpired int
	}{
		{"both active, first wins", "KMS.4", time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), "a", 0},
		{"wildcard expired the day after", "KMS.4", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "a", 1},
		{"other control only wildcard", "KMS.3", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "b", 0},
		{"all expired", "KMS.4", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			active, expired := c.Suppress(tt.control, key, tt.now)
			got := ""
			if active != nil {
				got = active.Reason
			}
			if got != tt.wantActive || len(expired) != tt.wantExpired {
				t.Errorf("active %q expired %d, want %q %d", got, len(expired), tt.wantActive, tt.wantExpired)
			}
		})
	}
	if n := len(c.ExpiredSuppressions(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))); n != 1 {
		t.Errorf("expired at March: %d", n)
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"arn:aws:iam::*:role/KeyAdmin*", "arn:aws:iam::111122223333:role/KeyAdminBreakGlass", true},
		{"arn:aws:iam::*:role/KeyAdmin*", "arn:aws:iam::111122223333:user/KeyAdmin", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*a*a*a*b", strings.Repeat("a", 60), false},
		{"exact", "exact", true},
		{"exact", "Exact", false},
	}
	for _, tt := range tests {
		if got := MatchPattern(tt.pattern, tt.s); got != tt.want {
			t.Errorf("MatchPattern(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

// FuzzConfig: arbitrary input never panics; accepted input has defaults
// filled and every suppression has a parsed expiry.
func FuzzConfig(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "kmsguard.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("version: 1\nsuppressions:\n  - {control: '*', resource: '*', reason: r, expires: 2030-01-01}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("severity: {KMS.4: HIGH}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if c.Parameters.KMS1.ExcludePermissionBoundaryPolicy == nil || c.Parameters.KMS2.BlockedActionsPatterns == nil {
			t.Error("defaults not applied")
		}
		for _, s := range c.Suppressions {
			if s.expires.IsZero() && s.Expires != "0001-01-01" {
				t.Errorf("suppression %+v accepted without an expiry", s)
			}
		}
	})
}
