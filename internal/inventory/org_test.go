package inventory

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadOrganisation(t *testing.T) {
	m := fstest.MapFS{}
	for name, f := range minimal() {
		m["accounts/111122223333/"+name] = f
	}
	m["accounts/444455556666/account.json"] = file(`{"Account":"444455556666","Arn":"arn:aws:sts::444455556666:assumed-role/r/s"}`)
	m["accounts/444455556666/kms/eu-west-1/aliases.json"] = file(`{"Aliases":[]}`)
	m["organizations/policies/p-1.json"] = file(`{"Policy":{"PolicySummary":{"Id":"p-1","Name":"deny","Type":"SERVICE_CONTROL_POLICY"},"Content":"{\"Version\":\"2012-10-17\"}"}}`)
	m["organizations/targets/p-1.json"] = file(`{"Targets":[{"TargetId":"ou-1","Type":"ORGANIZATIONAL_UNIT"}]}`)
	m["organizations/policies/p-2.json"] = file(`{"Policy":{"PolicySummary":{"Id":"p-2","Name":"acct","Type":"SERVICE_CONTROL_POLICY"},"Content":"{}"}}`)
	m["organizations/targets/p-2.json"] = file(`{"Targets":[{"TargetId":"444455556666","Type":"ACCOUNT"}]}`)
	m["organizations/parents/111122223333.json"] = file(`{"Parents":[{"Id":"ou-1","Type":"ORGANIZATIONAL_UNIT"}]}`)
	m["organizations/parents/ou-1.json"] = file(`{"Parents":[{"Id":"r-1","Type":"ROOT"}]}`)
	m["organizations/accounts.json"] = file(`{"Accounts":[{"Id":"111122223333","Name":"prod"}]}`)
	accts, problems, err := Load(context.Background(), m, LoadOptions{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 2 {
		t.Fatalf("accounts %d", len(accts))
	}
	for _, p := range problems {
		if !strings.Contains(p.File, "444455556666") {
			t.Errorf("unexpected problem %v", p)
		}
	}
	prod, other := accts[0], accts[1]
	if prod.Name != "prod" || len(prod.Keys) != 1 {
		t.Errorf("prod name %q keys %d", prod.Name, len(prod.Keys))
	}
	if diff := cmp.Diff([]OrgNode{{"r-1", "ROOT"}, {"ou-1", "ORGANIZATIONAL_UNIT"}}, prod.OUPath.MustGet()); diff != "" {
		t.Errorf("OU path (-want +got):\n%s", diff)
	}
	if scps := prod.ApplicableSCPs().MustGet(); len(scps) != 1 || scps[0].ID != "p-1" {
		t.Errorf("prod SCPs %+v", scps)
	}
	// The other account has no parents file: the OU-targeted SCP makes the answer unknown.
	if rerr := other.ApplicableSCPs().Reason(); rerr == nil || rerr.Code != CodeNotCollected {
		t.Errorf("other account SCPs reason %v", rerr)
	}
}

func TestApplicableSCPs(t *testing.T) {
	root := &SCP{ID: "p-root", Targets: []SCPTarget{{ID: "r-1", Type: TargetRoot}}}
	acct := &SCP{ID: "p-acct", Targets: []SCPTarget{{ID: "111122223333", Type: TargetAccount}}}
	other := &SCP{ID: "p-other", Targets: []SCPTarget{{ID: "999988887777", Type: TargetAccount}}}
	ou := &SCP{ID: "p-ou", Targets: []SCPTarget{{ID: "ou-1", Type: TargetOU}}}
	pathErr := &ReadError{Call: "organizations:ListParents", Code: CodeNotCollected}
	tests := []struct {
		name    string
		scps    []*SCP
		path    Fact[[]OrgNode]
		want    []string
		unknown bool
	}{
		{"root and own account apply without a path", []*SCP{root, acct, other}, Unknown[[]OrgNode](pathErr), []string{"p-root", "p-acct"}, false},
		{"OU target with unknown path is unknown", []*SCP{root, ou}, Unknown[[]OrgNode](pathErr), nil, true},
		{"OU on the path applies", []*SCP{ou, other}, Known([]OrgNode{{"r-1", TargetRoot}, {"ou-1", TargetOU}}), []string{"p-ou"}, false},
		{"OU off the path does not", []*SCP{ou}, Known([]OrgNode{{"r-1", TargetRoot}, {"ou-2", TargetOU}}), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Account{ID: "111122223333", SCPs: Known(tt.scps), OUPath: tt.path}
			got, rerr := a.ApplicableSCPs().Get()
			if (rerr != nil) != tt.unknown {
				t.Fatalf("unknown=%v, want %v (%v)", rerr != nil, tt.unknown, rerr)
			}
			var ids []string
			for _, p := range got {
				ids = append(ids, p.ID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
