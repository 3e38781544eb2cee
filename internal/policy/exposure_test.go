package policy

import (
	"testing"
)

func TestKeyPolicyExposure(t *testing.T) {
	const owner = "111122223333"
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	ownerRoot := `{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`
	tests := []struct {
		name               string
		doc                string
		orgs               []string
		wantPublic, wantXA bool
	}{
		{"owner only", stmt(ownerRoot), nil, false, false},
		{"account id shorthand of owner", stmt(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`), nil, false, false},
		{"star principal", stmt(ownerRoot + `,{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`), nil, true, false},
		{"AWS star", stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}`), nil, true, false},
		{"wildcard account root", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"kms:Decrypt","Resource":"*"}`), nil, true, false},
		{"NotPrincipal allow", stmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:Decrypt","Resource":"*"}`), nil, true, false},
		{"star pinned by CallerAccount", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}`), nil, false, false},
		{"star pinned by PrincipalOrgID", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`), []string{"o-abc123"}, false, false},
		{"star with foreign org id", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-other"}}}`), []string{"o-abc123"}, true, false},
		{"star pinned by PrincipalArn in own account", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app-*"}}}`), nil, false, false},
		{"star with IfExists pin is open", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEqualsIfExists":{"kms:CallerAccount":"111122223333"}}}`), nil, true, false},
		{"star with negated pin is open", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:CallerAccount":"444455556666"}}}`), nil, true, false},
		{"star with ViaService only is open", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`), nil, true, false},
		{"star pinned to a foreign account", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"444455556666"}}}`), nil, false, true},
		{"foreign root", stmt(ownerRoot + `,{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}`), nil, false, true},
		{"foreign role", stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:role/x"]},"Action":"kms:Decrypt","Resource":"*"}`), nil, false, true},
		{"service principal", stmt(`{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*"}`), nil, false, false},
		{"deny star is not exposure", stmt(ownerRoot + `,{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}`), nil, false, false},
		{"both", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:Decrypt","Resource":"*"}`), nil, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			e := KeyPolicyExposure(p, ExposureOptions{Owner: owner, OrgIDs: tt.orgs})
			if e.Public != tt.wantPublic || e.CrossAccount != tt.wantXA {
				t.Errorf("public=%v crossAccount=%v, want %v %v (reasons %q)", e.Public, e.CrossAccount, tt.wantPublic, tt.wantXA, e.Reasons)
			}
			if (e.Public || e.CrossAccount) != (len(e.Reasons) > 0) {
				t.Errorf("reasons %q do not agree with the verdict", e.Reasons)
			}
		})
	}
}

func TestExposureAnalyzer(t *testing.T) {
	a := ExposureAnalyzer{}
	pub, xa, err := a.Exposure(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`, "111122223333")
	if err != nil || !pub || xa {
		t.Errorf("open policy: public=%v crossAccount=%v err=%v, want true false nil", pub, xa, err)
	}
	if _, _, err := a.Exposure(`{"Statement":[`, "111122223333"); err == nil {
		t.Error("truncated policy: no error")
	}
}
