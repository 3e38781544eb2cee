package policy_test

import (
	"fmt"

	"github.com/kmsguard/kmsguard/internal/policy"
)

func ExampleAnalyzer_CheckBlockedAction() {
	doc := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"AlmostAll","Effect":"Allow","Action":"kms:Decrypt",
	   "NotResource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}`
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		panic(err)
	}
	an := policy.NewAnalyzer(0)
	rep, err := an.CheckBlockedAction(p, "kms:Decrypt", "aws", []string{"111122223333"})
	if err != nil {
		panic(err)
	}
	fmt.Println("all keys:", rep.AllKeys.Verdict, rep.AllKeys.Witness)
	fmt.Println("outside trusted:", rep.OutsideTrusted.Verdict, rep.OutsideTrusted.Witness)
	// Output:
	// all keys: NO arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
	// outside trusted: YES arn:aws:kms:a-a-0:000000000000:key/00000000-0000-0000-0000-000000000000
}

func ExamplePolicy_Evaluate() {
	keyPolicy := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
	  {"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},
	   "Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`
	p, err := policy.Parse([]byte(keyPolicy))
	if err != nil {
		panic(err)
	}
	d := p.Evaluate(policy.Request{
		Principal: policy.RequestPrincipal{ID: "arn:aws:sts::111122223333:assumed-role/app/session-1"},
		Action:    "kms:Decrypt",
		Resource:  "arn:aws:kms:us-east-1:111122223333:key/k",
		Context:   policy.Context{"kms:ViaService": {"s3.us-east-1.amazonaws.com"}},
	})
	fmt.Println(d.Outcome, d.Match)
	for _, s := range d.Deciding {
		fmt.Println(s.Ref, s.Match)
	}
	// Output:
	// allow direct
	// EnableIAM via_account
	// App direct
}
