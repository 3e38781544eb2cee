package guardrails

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

var breakGlass = []string{"arn:aws:iam::*:role/KeyAdminBreakGlass"}

func TestSCPsCoverTheDestructiveActions(t *testing.T) {
	scps, err := SCPs(Options{AuthorizedPrincipals: breakGlass})
	if err != nil {
		t.Fatal(err)
	}
	if len(scps) != 1 {
		t.Fatalf("got %d SCPs, want 1", len(scps))
	}
	doc := scps[0].Document
	if doc.Size() > SCPMaxSize {
		t.Errorf("SCP is %d characters, over the quota", doc.Size())
	}
	got := strings.Join(doc.Statement[0].Action, ",")
	for _, a := range []string{"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:DeleteImportedKeyMaterial", "kms:DisableKeyRotation"} {
		if !strings.Contains(got, a) {
			t.Errorf("deny statement misses %s", a)
		}
	}
	if doc.Statement[0].Resource != "*" {
		t.Errorf("with no protected keys or tags every key is protected; resource = %v", doc.Statement[0].Resource)
	}
	var back map[string]any
	if err := json.Unmarshal(doc.Minified(), &back); err != nil {
		t.Fatalf("minified SCP is not JSON: %v", err)
	}
}

func TestSCPsSplitAtTheSizeQuota(t *testing.T) {
	var keys []string
	for i := range 200 {
		keys = append(keys, fmt.Sprintf("arn:aws:kms:us-east-1:111122223333:key/%08d-1111-2222-3333-444455556666", i))
	}
	scps, err := SCPs(Options{AuthorizedPrincipals: breakGlass, ProtectedKeyARNs: keys, MinPendingWindowDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(scps) < 2 {
		t.Fatalf("200 key ARNs must not fit one SCP; got %d", len(scps))
	}
	seen := map[string]int{}
	for _, s := range scps {
		if s.Document.Size() > SCPMaxSize {
			t.Errorf("%s is %d characters", s.Name, s.Document.Size())
		}
		for _, st := range s.Document.Statement {
			if rs, ok := st.Resource.([]string); ok {
				for _, r := range rs {
					seen[st.Sid[:len("KmsGuardDenyKeyDestruction")]+r]++
				}
			}
		}
	}
	for _, k := range keys {
		if seen["KmsGuardDenyKeyDestruction"+k] != 1 {
			t.Errorf("key %s covered by %d destruction statements, want exactly 1", k, seen["KmsGuardDenyKeyDestruction"+k])
		}
	}
}

func TestSCPsRejectAnImpossibleAuthorisedList(t *testing.T) {
	var many []string
	for i := range 300 {
		many = append(many, fmt.Sprintf("arn:aws:iam::111122223333:role/BreakGlassRoleNumber%04d", i))
	}
	_, err := SCPs(Options{AuthorizedPrincipals: many})
	if err == nil || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("want a quota error naming the cause, got %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no authorised principals", Options{}, "no authorised principals"},
		{"not an ARN", Options{AuthorizedPrincipals: []string{"KeyAdmin"}}, "not an ARN pattern"},
		{"window too short", Options{AuthorizedPrincipals: breakGlass, MinPendingWindowDays: 3}, "7 to 30"},
		{"foreign grants need accounts", Options{AuthorizedPrincipals: breakGlass, DenyForeignGrants: true}, "trusted account"},
		{"bad account id", Options{AuthorizedPrincipals: breakGlass, DenyForeignGrants: true, TrustedAccounts: []string{"1234"}}, "12-digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := (Options{AuthorizedPrincipals: breakGlass, MinPendingWindowDays: 30}).Validate(); err != nil {
		t.Errorf("valid options rejected: %v", err)
	}
}

func TestSCPsProtectTagsFromRemoval(t *testing.T) {
	scps, err := SCPs(Options{AuthorizedPrincipals: breakGlass, ProtectedTags: map[string]string{"environment": "production"}})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, st := range scps[0].Document.Statement {
		if strings.HasPrefix(st.Sid, "KmsGuardKeepProtectionTag") {
			found = true
			if st.Condition["StringEquals"]["aws:ResourceTag/environment"] != "production" {
				t.Errorf("tag guard must only cover keys that carry the tag: %v", st.Condition)
			}
		}
	}
	if !found {
		t.Error("tag-based protection without a statement that keeps the tag can be lifted by untagging")
	}
}
