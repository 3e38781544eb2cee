package controls

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParallelFindingsKeepsOrder(t *testing.T) {
	for _, n := range []int{0, 1, 2, 1000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			items := make([]int, n)
			var want []string
			for i := range items {
				items[i] = i
				want = append(want, strconv.Itoa(i))
				if i%3 == 0 { // some items give two findings, some none
					want = append(want, strconv.Itoa(i)+"b")
				}
			}
			got := []string{}
			for _, f := range parallelFindings(items, func(i int) []Finding {
				out := []Finding{{ResourceID: strconv.Itoa(i)}}
				if i%3 == 0 {
					out = append(out, Finding{ResourceID: strconv.Itoa(i) + "b"})
				}
				return out
			}) {
				got = append(got, f.ResourceID)
			}
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatementPinAndOpenPrincipal(t *testing.T) {
	tests := []struct {
		name        string
		statement   string
		wantOpen    bool
		wantPinned  bool
		wantForeign []string
	}{
		{name: "caller account own", statement: `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}`, wantOpen: true, wantPinned: true},
		{name: "caller account lower-case key", statement: `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"KMS:calleraccount":"111122223333"}}}`, wantOpen: true, wantPinned: true},
		{name: "own and foreign values", statement: `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":["111122223333","444455556666"]}}}`, wantOpen: true, wantForeign: []string{"444455556666"}},
		{name: "wildcard account value", statement: `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalAccount":"1111*"}}}`, wantOpen: true},
		{name: "principal arn foreign", statement: `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::444455556666:role/*"}}}`, wantOpen: true, wantForeign: []string{"444455556666"}},
		{name: "for all values pins nothing", statement: `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"kms:CallerAccount":"111122223333"}}}`, wantOpen: true},
		{name: "named role is not open", statement: `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"kms:*","Resource":"*"}`},
		{name: "service is not open", statement: `{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:*","Resource":"*"}`},
	}
	cc := CheckContext{Config: defaultConfigForTest()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseDocument(docOf(tt.statement), "aws")
			if err != nil {
				t.Fatal(err)
			}
			st := &p.Statements[0]
			if got := openPrincipal(st) != ""; got != tt.wantOpen {
				t.Errorf("open = %v, want %v", got, tt.wantOpen)
			}
			pinned, foreign := statementPin(st, fxAccount, nil, cc)
			if (pinned != "") != tt.wantPinned {
				t.Errorf("pinned %q, want pinned %v", pinned, tt.wantPinned)
			}
			if diff := cmp.Diff(tt.wantForeign, foreign); diff != "" {
				t.Errorf("foreign (-want +got):\n%s", diff)
			}
		})
	}
}
