package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
		{"star pinned to owner caller, foreign source account", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","aws:SourceAccount":"444455556666"}}}`), nil, false, false},
		{"star pinned to own org with a foreign caller account", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123","kms:CallerAccount":"444455556666"}}}`), []string{"o-abc123"}, false, true},
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

func TestStatementExposureOf(t *testing.T) {
	const owner = "111122223333"
	open := func(cond string) string {
		return `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":` + cond + `}`
	}
	tests := []struct {
		name        string
		statement   string
		orgs        []string
		trusted     []string
		wantOpen    bool
		wantPin     string
		wantForeign []string
		wantNamed   []string
		wantPublic  bool
	}{
		{name: "caller account own", statement: open(`{"StringEquals":{"kms:CallerAccount":"111122223333"}}`), wantOpen: true,
			wantPin: "StringEquals kms:CallerAccount = 111122223333"},
		{name: "caller account lower-case key", statement: open(`{"StringEquals":{"KMS:calleraccount":"111122223333"}}`), wantOpen: true,
			wantPin: "StringEquals KMS:calleraccount = 111122223333"},
		{name: "own and foreign values", statement: open(`{"StringEquals":{"kms:CallerAccount":["111122223333","444455556666"]}}`), wantOpen: true,
			wantForeign: []string{"444455556666"}},
		{name: "trusted account pins", statement: open(`{"StringEquals":{"kms:CallerAccount":"444455556666"}}`), trusted: []string{"444455556666"}, wantOpen: true,
			wantPin: "StringEquals kms:CallerAccount = 444455556666"},
		{name: "wildcard account value", statement: open(`{"StringLike":{"aws:PrincipalAccount":"1111*"}}`), wantOpen: true, wantPublic: true},
		{name: "principal arn foreign", statement: open(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::444455556666:role/*"}}`), wantOpen: true,
			wantForeign: []string{"444455556666"}},
		{name: "principal arn that is not an arn pins nothing", statement: open(`{"StringEquals":{"aws:PrincipalArn":"role/App"}}`), wantOpen: true, wantPublic: true},
		{name: "for all values pins nothing", statement: open(`{"ForAllValues:StringEquals":{"kms:CallerAccount":"111122223333"}}`), wantOpen: true, wantPublic: true},
		// Conditions are ANDed: a caller-account pin to the owner keeps every
		// other account out, whatever else the statement names.
		{name: "caller pinned to owner, foreign source account", statement: open(`{"StringEquals":{"kms:CallerAccount":"111122223333","aws:SourceAccount":"444455556666"}}`),
			wantOpen: true, wantPin: "StringEquals kms:CallerAccount = 111122223333"},
		{name: "principal arn pinned to owner, foreign caller value", statement: open(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"},"StringEquals":{"kms:CallerAccount":["111122223333","444455556666"]}}`),
			wantOpen: true, wantPin: "ArnLike aws:PrincipalArn = arn:aws:iam::111122223333:role/*"},
		// An organisation pin does not say which account the caller is in:
		// a foreign account named beside it is let in (when it is in the
		// organisation), so the statement is cross-account, not public.
		{name: "org pin, foreign caller account", statement: open(`{"StringEquals":{"aws:PrincipalOrgID":"o-abc123","kms:CallerAccount":"444455556666"}}`), orgs: []string{"o-abc123"},
			wantOpen: true, wantPin: "StringEquals aws:PrincipalOrgID = o-abc123", wantForeign: []string{"444455556666"}},
		{name: "source account pin, foreign caller account", statement: open(`{"StringEquals":{"aws:SourceAccount":"111122223333","aws:PrincipalAccount":"444455556666"}}`),
			wantOpen: true, wantPin: "StringEquals aws:SourceAccount = 111122223333", wantForeign: []string{"444455556666"}},
		{name: "named role is not open", statement: `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"kms:*","Resource":"*"}`},
		{name: "named foreign role", statement: `{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/App","arn:aws:iam::444455556666:role/In"]},"Action":"kms:*","Resource":"*"}`,
			wantForeign: []string{"444455556666"}, wantNamed: []string{"arn:aws:iam::444455556666:role/In"}},
		{name: "service is not open", statement: `{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:*","Resource":"*"}`},
		{name: "deny is never exposure", statement: `{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[` + tt.statement + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			e := StatementExposureOf(&p.Statements[0], ExposureOptions{Owner: owner, OrgIDs: tt.orgs, Trusted: tt.trusted})
			if (e.Open != "") != tt.wantOpen {
				t.Errorf("open %q, want open %v", e.Open, tt.wantOpen)
			}
			if e.Pin != tt.wantPin {
				t.Errorf("pin %q, want %q", e.Pin, tt.wantPin)
			}
			if diff := cmp.Diff(tt.wantForeign, e.Foreign); diff != "" {
				t.Errorf("foreign (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNamed, e.ForeignPrincipals); diff != "" {
				t.Errorf("foreign principals (-want +got):\n%s", diff)
			}
			if e.Public() != tt.wantPublic || e.CrossAccount() != (len(tt.wantForeign) > 0) {
				t.Errorf("public=%v crossAccount=%v, want %v %v", e.Public(), e.CrossAccount(), tt.wantPublic, len(tt.wantForeign) > 0)
			}
		})
	}
}
