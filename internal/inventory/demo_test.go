package inventory_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/demogen"
)

func demoFS() fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range demogen.Demo() {
		m[name] = &fstest.MapFile{Data: data}
	}
	return m
}

// TestLoadDemo checks the facts docs/demo-snapshot.md promises reviewers.
func TestLoadDemo(t *testing.T) {
	accts, problems, err := inventory.Load(context.Background(), demoFS(), inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Errorf("demo has problems: %v", problems)
	}
	a := accts[0]
	if a.ID != demogen.DemoAccount || a.Name != "payments-prod" || len(a.Regions) != 3 {
		t.Fatalf("account %q name %q regions %d", a.ID, a.Name, len(a.Regions))
	}
	if len(a.Keys) < 30 {
		t.Errorf("demo has %d keys, want 30+", len(a.Keys))
	}
	byAlias := map[string]*inventory.Key{}
	kinds := map[string]int{}
	for _, k := range a.Keys {
		for _, al := range k.Aliases.MustGet() {
			byAlias[k.Region+"/"+al] = k
		}
		if md, rerr := k.Metadata.Get(); rerr == nil {
			kinds[string(md.State)]++
			kinds[string(md.Origin)]++
			kinds[md.KeySpec]++
			kinds[string(md.Manager)]++
			if md.IsReplica() {
				kinds["replica"]++
			}
			if md.IsPrimary() {
				kinds["primary"]++
			}
		}
	}
	for _, kind := range []string{"Enabled", "Disabled", "PendingDeletion", "PendingReplicaDeletion", "PendingImport",
		"AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE", "SYMMETRIC_DEFAULT", "RSA_3072", "ECC_NIST_P256",
		"HMAC_256", "AWS", "CUSTOMER", "replica", "primary"} {
		if kinds[kind] == 0 {
			t.Errorf("demo has no key of kind %s", kind)
		}
	}
	if rerr := byAlias["us-east-1/alias/rotation-unreadable"].Rotation.Reason(); rerr == nil || rerr.Code != "AccessDeniedException" {
		t.Errorf("rotation-unreadable: %v", rerr)
	}
	if rerr := byAlias["us-east-1/alias/policy-unreadable"].Policy.Reason(); rerr == nil || rerr.Code != "AccessDeniedException" {
		t.Errorf("policy-unreadable: %v", rerr)
	}
	scps := a.ApplicableSCPs().MustGet()
	if len(scps) != 2 {
		t.Errorf("applicable SCPs: %d, want FullAWSAccess and DenyKmsKeyDeletion", len(scps))
	}
	iam := a.IAM.MustGet()
	if len(iam.Users) != 6 || len(iam.Groups) != 2 || len(iam.Roles) != 6 || len(iam.Policies) != 9 {
		t.Errorf("IAM users %d groups %d roles %d policies %d", len(iam.Users), len(iam.Groups), len(iam.Roles), len(iam.Policies))
	}
	if p := iam.Policy("arn:aws:iam::111122223333:policy/BoundaryAllowDecrypt"); p == nil || !p.OnlyPermissionsBoundary() {
		t.Error("BoundaryAllowDecrypt should be used only as a permissions boundary")
	}
	if p := iam.Policy("arn:aws:iam::aws:policy/AdministratorAccess"); p == nil || !p.AWSManaged {
		t.Error("AdministratorAccess should be AWS-managed")
	}
}

func TestDemoIdentityPolicies(t *testing.T) {
	accts, _, err := inventory.Load(context.Background(), demoFS(), inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iam := accts[0].IAM.MustGet()
	tests := []struct {
		principal string
		want      []string // kind:name
	}{
		{"arn:aws:iam::111122223333:user/alice", []string{"inline:DecryptPaymentsKey", "group-managed:arn:aws:iam::111122223333:policy/DevKmsDecryptAccount"}},
		{"arn:aws:iam::111122223333:user/frank", []string{"group-inline:KmsStar"}},
		{"arn:aws:iam::111122223333:role/AppAdminAndUser", []string{"inline:UsePaymentsKey", "managed:arn:aws:iam::111122223333:policy/KmsKeyAdministration"}},
	}
	for _, tt := range tests {
		t.Run(tt.principal, func(t *testing.T) {
			sources, ok := iam.IdentityPolicies(tt.principal)
			if !ok {
				t.Fatal("principal not found")
			}
			var got []string
			for _, s := range sources {
				got = append(got, s.Kind+":"+s.Name)
				if !s.Document.IsKnown() {
					t.Errorf("%s: document unknown: %v", s.Name, s.Document.Reason())
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if doc, has := iam.PermissionsBoundary("arn:aws:iam::111122223333:user/erin"); !has || !doc.IsKnown() {
		t.Errorf("erin's boundary: has=%v known=%v", has, doc.IsKnown())
	}
	if _, has := iam.PermissionsBoundary("arn:aws:iam::111122223333:user/bob"); has {
		t.Error("bob has no boundary")
	}
}
