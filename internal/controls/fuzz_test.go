package controls

import (
	"testing"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
)

// FuzzPolicyControls runs every control on an account whose key policy,
// inline policy and managed policy are the fuzzed text: whatever the text,
// no control panics and every key and policy gets exactly one finding per
// control that looks at it.
func FuzzPolicyControls(f *testing.F) {
	for _, seed := range []string{
		doc(rootStmt), cloudTrailDefault(), guardrailKeyPolicy(true), doc(kmsStarAll),
		doc(useStmt("P", `"*"`, `{"StringEquals":{"kms:CallerAccount":["111122223333","444455556666"]}}`)),
		doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::*:root"},"NotAction":"kms:Get*","NotResource":"arn:aws:kms:*:*:key/${aws:username}"}`),
		`%7B%22Statement%22%3A%5B%5D%7D`, `{"Statement":[`, `"`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d := inventory.DocumentFromString(text)
		k := fxKey("k", func(k *inventory.Key, _ *inventory.KeyMetadata) { k.Policy = inventory.Known(d) })
		acct := iamAcct(&inventory.IAM{
			Roles:    []*inventory.Role{{Principal: principal("role", "R", inventory.InlinePolicy{Name: "p", Document: inventory.Known(d)})}},
			Policies: []*inventory.ManagedPolicy{{ARN: "arn:aws:iam::" + fxAccount + ":policy/M", DefaultVersionID: "v1", Default: inventory.Known(d)}},
		}, k)
		acct = withSCPs(acct, []inventory.OrgNode{}, &inventory.SCP{ID: "p-x", Document: d, Targets: []inventory.SCPTarget{{ID: "r", Type: inventory.TargetRoot}}})
		res := Run(CheckContext{Now: fxNow, Config: config.Default()}, Catalogue(), []*inventory.Account{acct})
		perControl := map[string]int{}
		for _, fd := range res.Findings {
			perControl[fd.ControlID]++
			if fd.Status == "" || fd.Reason == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
		}
		for id, want := range map[string]int{"KMS.1": 1, "KMS.2": 1, "KMSGUARD-IAM-1": 2, "KMS.5": 1, "IAM-KMS-1": 1, "KMSGUARD-DP-1": 1, "KMSGUARD-XA-1": 1, "KMSGUARD-LOCK-1": 1} {
			if perControl[id] != want {
				t.Errorf("%s: %d findings, want %d", id, perControl[id], want)
			}
		}
	})
}
