package guardrails

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readDefaultPolicy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/default-key-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKeyPolicyPutIsIdempotent(t *testing.T) {
	kp, err := ParseKeyPolicy(readDefaultPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := DeletionProtection([]string{"arn:aws:iam::111122223333:role/KeyAdminBreakGlass"}, false)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := kp.Put(st)
	if err != nil || !changed {
		t.Fatalf("first Put: changed=%v err=%v, want a change", changed, err)
	}
	first := kp.Bytes()
	changed, err = kp.Put(st)
	if err != nil || changed {
		t.Fatalf("second Put: changed=%v err=%v, want no change", changed, err)
	}
	if diff := cmp.Diff(string(first), string(kp.Bytes())); diff != "" {
		t.Errorf("second Put changed the document (-first +second):\n%s", diff)
	}
	if got, want := kp.Sids(), []string{"Enable IAM User Permissions", DeletionProtectionSid}; !cmp.Equal(got, want) {
		t.Errorf("Sids = %v, want %v (existing statement kept, new one appended)", got, want)
	}
	var doc map[string]any
	if err := json.Unmarshal(first, &doc); err != nil {
		t.Fatalf("rendered policy is not JSON: %v\n%s", err, first)
	}
	if doc["Id"] != "key-default-1" || doc["Version"] != "2012-10-17" {
		t.Errorf("Version or Id lost: %v", doc)
	}
}

func TestKeyPolicyPutReplacesSameSid(t *testing.T) {
	kp, err := ParseKeyPolicy(readDefaultPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := DeletionProtection([]string{"arn:aws:iam::111122223333:role/A"}, false)
	b, _ := DeletionProtection([]string{"arn:aws:iam::111122223333:role/B"}, true)
	if _, err := kp.Put(a); err != nil {
		t.Fatal(err)
	}
	if changed, _ := kp.Put(b); !changed {
		t.Fatal("a different statement under the same Sid must replace it")
	}
	out := string(kp.Bytes())
	if strings.Contains(out, "role/A") || !strings.Contains(out, "role/B") || !strings.Contains(out, "kms:PutKeyPolicy") {
		t.Errorf("statement not replaced:\n%s", out)
	}
	if n := len(kp.Sids()); n != 2 {
		t.Errorf("%d statements, want 2", n)
	}
}

func TestParseKeyPolicyForms(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":{"Sid":"One","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}}`
	tests := []struct {
		name string
		text string
	}{
		{"single statement object", doc},
		{"url-encoded", url.PathEscape(doc)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp, err := ParseKeyPolicy(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got := kp.Sids(); !cmp.Equal(got, []string{"One"}) {
				t.Errorf("Sids = %v", got)
			}
		})
	}
	for _, bad := range []string{"", "{", `{"Version":"2012-10-17","Statement":[],"Bogus":1}`, `{"Statement":"x"}`} {
		if _, err := ParseKeyPolicy(bad); err == nil {
			t.Errorf("ParseKeyPolicy(%q) accepted a malformed policy", bad)
		}
	}
}

func TestKeyPolicyRemove(t *testing.T) {
	kp, err := ParseKeyPolicy(readDefaultPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = kp.Put(RootAccess("aws", "111122223333"))
	if n := kp.Remove("Enable IAM User Permissions"); n != 1 {
		t.Errorf("Remove = %d, want 1", n)
	}
	if err := kp.RemoveAt(5); err == nil {
		t.Error("RemoveAt out of range must fail")
	}
	if got := kp.Sids(); !cmp.Equal(got, []string{RootAccessSid}) {
		t.Errorf("Sids = %v", got)
	}
}

func TestDeletionProtectionNeedsBreakGlass(t *testing.T) {
	if _, err := DeletionProtection(nil, false); err == nil {
		t.Error("deletion protection without a break-glass principal would make deletion impossible; want an error")
	}
}
