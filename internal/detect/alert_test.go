package detect

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestNewAlertGolden builds the alert of every built-in rule's first match
// sample and compares it with testdata/alerts/<rule file>.json.
func TestNewAlertGolden(t *testing.T) {
	_, eng := builtinEngine(t)
	for _, r := range eng.Rules() {
		name := filepath.Base(r.File)
		t.Run(name, func(t *testing.T) {
			var sample *Sample
			for i := range r.Samples {
				if r.Samples[i].Match {
					sample = &r.Samples[i]
					break
				}
			}
			if sample == nil {
				t.Fatal("rule has no match sample")
			}
			rec := record(t, sample.Event)
			var got []byte
			for _, m := range eng.Match(rec) {
				if m.Rule == r {
					var err error
					got, err = json.MarshalIndent(NewAlert(m, rec), "", "  ")
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			if got == nil {
				t.Fatal("sample did not match")
			}
			golden := filepath.Join("testdata", "alerts", name[:len(name)-len(".yml")]+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
				t.Errorf("alert differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func TestNewAlertFields(t *testing.T) {
	rule := &Rule{ID: "r1", Title: "t", Level: 4, Details: []Detail{{"window", "requestParameters.pendingWindowInDays"}, {"missing", "nope"}}}
	rec := record(t, `{
	  "eventID": "e-1", "eventTime": "2026-11-20T10:00:00Z", "eventSource": "kms.amazonaws.com", "eventName": "ScheduleKeyDeletion",
	  "awsRegion": "eu-west-1", "userIdentity": {"type": "AssumedRole", "accountId": "111122223333",
	    "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/Admin"}, "attributes": {"mfaAuthenticated": "false"}}},
	  "errorMessage": "denied",
	  "requestParameters": {"keyId": "arn:aws:kms:eu-west-1:111122223333:key/k2", "pendingWindowInDays": 7},
	  "resources": [{"type": "AWS::KMS::Key", "ARN": "arn:aws:kms:eu-west-1:111122223333:key/k1"}, {"type": "AWS::KMS::Key", "ARN": "arn:aws:kms:eu-west-1:111122223333:key/k2"}]
	}`)
	a := NewAlert(Match{Rule: rule}, rec)
	checks := []struct{ name, got, want string }{
		{"outcome from errorMessage alone", a.Outcome, "failure"},
		{"account falls back to the identity", a.AccountID, "111122223333"},
		{"session issuer", a.Actor.SessionIssuerARN, "arn:aws:iam::111122223333:role/Admin"},
		{"time", a.EventTime.Format("2006-01-02T15:04:05Z07:00"), "2026-11-20T10:00:00Z"},
		{"detail", a.Details["window"], "7"},
		{"id", a.ID, AlertID("r1", "e-1")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if diff := cmp.Diff([]string{"arn:aws:kms:eu-west-1:111122223333:key/k1", "arn:aws:kms:eu-west-1:111122223333:key/k2"}, a.KeyARNs); diff != "" {
		t.Errorf("key ARNs (-want +got):\n%s", diff)
	}
	if _, ok := a.Details["missing"]; ok {
		t.Error("a missing detail field produced a detail")
	}
	if a.Actor.MFAAuthenticated {
		t.Error("mfaAuthenticated \"false\" read as true")
	}
	if AlertID("r1", "e-1") == AlertID("r2", "e-1") || AlertID("r1", "e-1") == AlertID("r1", "e-2") {
		t.Error("alert ids collide across rules or events")
	}
}

func TestRenderTemplate(t *testing.T) {
	rec := record(t, `{"awsRegion": "us-east-1", "requestParameters": {"keyId": "k1", "pendingWindowInDays": 7, "ops": ["Decrypt"],
	  "evil": "k; rm -rf ~ 'x'", "spaced": "two words"},
	  "resources": [{"ARN": "arn:k"}]}`)
	tests := []struct{ tmpl, want string }{
		{"aws kms enable-key --key-id {{requestParameters.keyId}} --region {{ awsRegion }}", "aws kms enable-key --key-id k1 --region us-east-1"},
		{"{{requestParameters.pendingWindowInDays}} days", "7 days"},
		{"{{requestParameters.aliasName|requestParameters.keyId}}", "k1"},
		{"{{resources.0.ARN}}", "arn:k"},
		{"{{resources.5.ARN}}", "<resources.5.ARN>"},
		{"{{requestParameters.ops}}", `'["Decrypt"]'`},
		{"{{nope|alsoNope}}", "<nope>"},
		{"no placeholders", "no placeholders"},
		{"unclosed {{awsRegion", "unclosed {{awsRegion"},
		{"--key-id {{requestParameters.evil}}", `--key-id 'k; rm -rf ~ '\''x'\'''`},
		{"{{requestParameters.spaced}}", "two words"},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			if got := RenderTemplate(tt.tmpl, rec); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
