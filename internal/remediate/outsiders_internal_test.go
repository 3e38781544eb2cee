package remediate

import (
	"testing"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// TestOutsiderStatementsAgreeWithControls: the statements remediation
// removes for KMS.5 and KMSGUARD-XA-1 are the ones those controls fail on
// (policy.StatementExposureOf), also beside organisation and source-account
// pins.
func TestOutsiderStatementsAgreeWithControls(t *testing.T) {
	const owner, other, org = "111122223333", "444455556666", "o-own0000001"
	arn, _ := parseKeyARN("arn:aws:kms:eu-west-1:" + owner + ":key/k")
	open := func(cond string) string {
		return `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":` + cond + `}`
	}
	tests := []struct {
		name              string
		statement         string
		wantPublic, wantX bool
	}{
		{"open", `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`, true, false},
		{"pinned to the owner", open(`{"StringEquals":{"kms:CallerAccount":"` + owner + `"}}`), false, false},
		{"pinned to the organisation", open(`{"StringEquals":{"aws:PrincipalOrgID":"` + org + `"}}`), false, false},
		{"pinned to another account", open(`{"StringEquals":{"kms:CallerAccount":"` + other + `"}}`), false, true},
		{"caller pinned to the owner, another source account", open(`{"StringEquals":{"kms:CallerAccount":"` + owner + `","aws:SourceAccount":"` + other + `"}}`), false, false},
		{"organisation pin beside another caller account", open(`{"StringEquals":{"aws:PrincipalOrgID":"` + org + `","kms:CallerAccount":"` + other + `"}}`), false, true},
		{"source-account pin beside another caller account", open(`{"StringEquals":{"aws:SourceAccount":"` + owner + `","aws:PrincipalAccount":"` + other + `"}}`), false, true},
		{"another account's role", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + other + `:role/R"},"Action":"kms:Decrypt","Resource":"*"}`, false, true},
		{"another account's role inside the organisation", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + other + `:role/R"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + org + `"}}}`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[` + tt.statement + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			e := policy.StatementExposureOf(&p.Statements[0], policy.ExposureOptions{Owner: owner, OrgIDs: []string{org}})
			if e.Public() != tt.wantPublic || e.CrossAccount() != tt.wantX {
				t.Fatalf("controls judge public=%v cross-account=%v, want %v %v", e.Public(), e.CrossAccount(), tt.wantPublic, tt.wantX)
			}
			if got := len(publicStatements(p, arn, Options{})) == 1; got != tt.wantPublic {
				t.Errorf("remove-public-statements selects it: %v, want %v", got, tt.wantPublic)
			}
			if got := len(crossAccountStatements(p, arn, Options{})) == 1; got != tt.wantX {
				t.Errorf("remove-cross-account-statements selects it: %v, want %v", got, tt.wantX)
			}
		})
	}
}
