package detect

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/policy"
)

type failingAnalyzer struct{}

func (failingAnalyzer) Exposure(string, string) (bool, bool, error) {
	return false, false, errors.New("policy: line 1: unexpected token")
}

func TestDeriver(t *testing.T) {
	const owner = `"recipientAccountId": "111122223333"`
	tests := []struct {
		name   string
		policy PolicyAnalyzer
		event  string
		want   any // the kmsguard subtree, nil when nothing is derived
	}{
		{"cross-account grantee", nil,
			`{"eventName": "CreateGrant", ` + owner + `, "requestParameters": {"granteePrincipal": "arn:aws:iam::444455556666:role/x", "operations": ["Decrypt"]}}`,
			map[string]any{"grant": map[string]any{"crossAccount": true, "passesCreateGrant": false}}},
		{"cross-account retiring principal as account id", nil,
			`{"eventName": "CreateGrant", ` + owner + `, "requestParameters": {"granteePrincipal": "arn:aws:iam::111122223333:role/x", "retiringPrincipal": "444455556666", "operations": ["Decrypt", "CreateGrant"]}}`,
			map[string]any{"grant": map[string]any{"crossAccount": true, "passesCreateGrant": true}}},
		{"service principal grantee", nil,
			`{"eventName": "CreateGrant", ` + owner + `, "requestParameters": {"granteePrincipal": "rds.amazonaws.com", "operations": "Decrypt"}}`,
			map[string]any{"grant": map[string]any{"crossAccount": false, "passesCreateGrant": false}}},
		{"foreign kms key on PutObject", nil,
			`{"eventName": "PutObject", ` + owner + `, "requestParameters": {"x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:444455556666:key/k"}}`,
			map[string]any{"s3": map[string]any{"foreignKmsKey": true}}},
		{"bucket owner from resources", nil,
			`{"eventName": "CopyObject", ` + owner + `, "resources": [{"type": "AWS::S3::Bucket", "accountId": "444455556666"}], "requestParameters": {"x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:444455556666:key/k"}}`,
			map[string]any{"s3": map[string]any{"foreignKmsKey": false}}},
		{"alias name is not foreign", nil,
			`{"eventName": "PutObject", ` + owner + `, "requestParameters": {"x-amz-server-side-encryption-aws-kms-key-id": "alias/mine"}}`,
			map[string]any{"s3": map[string]any{"foreignKmsKey": false}}},
		{"basic selectors exclude kms", nil,
			`{"eventName": "PutEventSelectors", "requestParameters": {"eventSelectors": [{"excludeManagementEventSources": ["kms.amazonaws.com"]}]}}`,
			map[string]any{"trail": map[string]any{"excludesKms": true}}},
		{"advanced selectors exclude kms", nil,
			`{"eventName": "PutInsightSelectors", "requestParameters": {"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventSource", "notEquals": ["kms.amazonaws.com"]}]}]}}`,
			map[string]any{"trail": map[string]any{"excludesKms": true}}},
		{"advanced selectors keep kms", nil,
			`{"eventName": "PutEventSelectors", "requestParameters": {"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventName", "notEquals": ["kms.amazonaws.com"]}]}]}}`,
			map[string]any{"trail": map[string]any{"excludesKms": false}}},
		{"pending window as string", nil,
			`{"eventName": "ScheduleKeyDeletion", "requestParameters": {"pendingWindowInDays": "7"}}`,
			map[string]any{"deletion": map[string]any{"pendingWindowInDays": json.Number("7")}}},
		{"pending window default", nil,
			`{"eventName": "ScheduleKeyDeletion", "requestParameters": {"keyId": "k"}}`,
			map[string]any{"deletion": map[string]any{"pendingWindowInDays": json.Number("30")}}},
		{"policy without analyzer", nil,
			`{"eventName": "PutKeyPolicy", ` + owner + `, "requestParameters": {"policy": "{}", "bypassPolicyLockoutSafetyCheck": true}}`,
			map[string]any{"policy": map[string]any{"bypassLockoutCheck": true}}},
		{"policy with analyzer", testAnalyzer{},
			`{"eventName": "PutKeyPolicy", ` + owner + `, "requestParameters": {"policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::444455556666:root\"}}]}"}}`,
			map[string]any{"policy": map[string]any{"bypassLockoutCheck": false, "public": false, "crossAccount": true}}},
		{"policy analyzer error is recorded", failingAnalyzer{},
			`{"eventName": "PutKeyPolicy", ` + owner + `, "requestParameters": {"policy": "{", "bypassPolicyLockoutSafetyCheck": "true"}}`,
			map[string]any{"policy": map[string]any{"bypassLockoutCheck": true, "error": "policy: line 1: unexpected token"}}},
		{"other events untouched", testAnalyzer{},
			`{"eventName": "Decrypt", "kmsguard": "left alone"}`,
			"left alone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record(t, tt.event)
			Deriver{Policy: tt.policy}.Derive(rec, rec.String("eventName"))
			if diff := cmp.Diff(tt.want, rec.Fields[DerivedPrefix]); diff != "" {
				t.Errorf("derived (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterSuppressesAutomationRole(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	filters, err := LoadDir("testdata/filters")
	if err != nil {
		t.Fatal(err)
	}
	if len(filters.Filters) != 1 {
		t.Fatalf("loaded %d filters, want 1", len(filters.Filters))
	}
	plain, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	set.Add(filters)
	filtered, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	event := func(issuer string) string {
		return `{"eventSource": "kms.amazonaws.com", "eventName": "DisableKey", "recipientAccountId": "111122223333",
		  "userIdentity": {"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"arn": "` + issuer + `"}}},
		  "requestParameters": {"keyId": "k"}}`
	}
	ids := func(ms []Match) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Rule.ID)
		}
		return out
	}
	// Load order, file names sorted; 2bbd7e87 and a158a400 are correlation
	// base rules, which the filter does not name.
	bases := []string{"2bbd7e87-c449-49db-8716-08fa027fbe88", "a158a400-9e19-4fac-8461-a418c10a6475"}
	both := []string{"f5696a95-2bdc-44fa-ab2b-949b746e05f0", bases[0], "fcfcb8c4-0f20-4bf1-bfcf-798516697a85", bases[1]}
	tests := []struct {
		name   string
		eng    *Engine
		issuer string
		want   []string
	}{
		{"automation role without filter", plain, "arn:aws:iam::111122223333:role/KeyLifecycleAutomation", both},
		{"automation role filtered", filtered, "arn:aws:iam::111122223333:role/KeyLifecycleAutomation", bases},
		{"automation role, case differs, filtered", filtered, "ARN:AWS:IAM::111122223333:ROLE/KEYLIFECYCLEAUTOMATION", bases},
		{"other role still alerts", filtered, "arn:aws:iam::111122223333:role/Admin", both},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(tt.eng.Match(record(t, event(tt.issuer))))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matched rules (-want +got):\n%s", diff)
			}
		})
	}
}

// accountOfReference is accountOf as first written, with SplitN: the
// allocation-free version must agree with it on every input.
func accountOfReference(principal string) string {
	if strings.HasPrefix(principal, "arn:") {
		parts := strings.SplitN(principal, ":", 6)
		if len(parts) == 6 && policy.IsAccountID(parts[4]) {
			return parts[4]
		}
		return ""
	}
	if policy.IsAccountID(principal) {
		return principal
	}
	return ""
}

func FuzzAccountOf(f *testing.F) {
	for _, s := range []string{
		"arn:aws:kms:us-east-1:111122223333:key/k", "arn:aws:kms:us-east-1:111122223333", "arn:aws:iam::111122223333:root",
		"arn:aws:s3:::bucket", "111122223333", "11112222333", "arn:aws:kms:us-east-1:11112222333a:key/k",
		"arn::::111122223333:", "arn:", "", "kms.amazonaws.com", "arn:aws:kms:us-east-1:111122223333:alias/a:b:c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := accountOfReference(s)
		if got := accountOf(s); got != want {
			t.Errorf("accountOf(%q) = %q, want %q", s, got, want)
		}
		if got := accountOf([]byte(s)); string(got) != want {
			t.Errorf("accountOf([]byte(%q)) = %q, want %q", s, got, want)
		}
	})
}
