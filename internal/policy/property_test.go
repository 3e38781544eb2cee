package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The property test builds random policies from fragments that stress the
// automata (overlapping wildcards, NotResource, NotAction, conditional
// statements) and checks every set answer against concrete evaluation.
//
// Conditional Allows test kms:ViaService and conditional Denies test
// aws:SourceVpce, so two request contexts realise the two bounds exactly:
// upperCtx makes every conditional Allow apply and no conditional Deny,
// lowerCtx the reverse.
var (
	propActions   = []string{"kms:Decrypt", "kms:*", "*", "kms:Encrypt", "kms:De*", "s3:*", "kms:?ecrypt"}
	propResources = []string{
		"*", "arn:aws:kms:*", "arn:aws:kms:us-east-1:*:key/*", "arn:aws:kms:*:111122223333:key/*",
		"arn:aws:kms:*:*:key/mrk-*", "arn:aws:kms:*:*:key/a*", "arn:aws:kms:*:*:alias/*", "arn:aws:kms:eu-*",
		"arn:aws:kms:*:*:key/????????-*", "arn:aws:s3:::*", "arn:aws:kms:*:*:key/*-*-*-*-*0",
		"arn:aws:kms:*:4444*", "arn:aws:kms:*1:*", "arn:aws:kms:us-east-1:111122223333:key/mrk-0*",
	}
	upperCtx = Context{"kms:ViaService": {"s3.amazonaws.com"}}
	lowerCtx = Context{"aws:SourceVpce": {"vpce-1"}}
)

func randomStatement(r *rand.Rand) string {
	pick := func(pool []string, n int) string {
		var out []string
		for range n {
			out = append(out, `"`+pool[r.IntN(len(pool))]+`"`)
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	effect := "Allow"
	cond := `{"StringEquals":{"kms:ViaService":"s3.amazonaws.com"}}`
	if r.IntN(3) == 0 {
		effect = "Deny"
		cond = `{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`
	}
	action := `"Action"`
	if r.IntN(5) == 0 {
		action = `"NotAction"`
	}
	resource := `"Resource"`
	if r.IntN(4) == 0 {
		resource = `"NotResource"`
	}
	s := fmt.Sprintf(`{"Effect":%q,%s:%s,%s:%s`, effect, action, pick(propActions, 1+r.IntN(2)), resource, pick(propResources, 1+r.IntN(3)))
	if r.IntN(4) == 0 {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

func randomKeyARN(r *rand.Rand) string {
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1", "us-gov-west-1", "eu-central-2"}
	accounts := []string{"111122223333", "444455556666", "000000000000"}
	hex := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte("0123456789abcdef"[r.IntN(16)])
		}
		return b.String()
	}
	id := hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12)
	if r.IntN(3) == 0 {
		id = "mrk-" + hex(32)
	}
	return "arn:aws:kms:" + regions[r.IntN(len(regions))] + ":" + accounts[r.IntN(len(accounts))] + ":key/" + id
}

func TestSetAnswersAgreeWithEvaluation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	an := NewAnalyzer(0)
	u := KMSKeys("aws")
	for i := range 120 {
		var stmts []string
		for range 1 + r.IntN(4) {
			stmts = append(stmts, randomStatement(r))
		}
		doc := doc(stmts...)
		p := mustParse(t, doc)
		all, err := an.AllowsAll(p, "kms:Decrypt", u)
		if err != nil {
			t.Fatal(err)
		}
		anyAns, err := an.AllowsAny(p, "kms:Decrypt", u)
		if err != nil {
			t.Fatal(err)
		}
		allowed := func(arn string, ctx Context) bool {
			return p.Evaluate(Request{Action: "kms:Decrypt", Resource: arn, Context: ctx}).Outcome == Allowed
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("policy %d %s\n  all=%+v\n  any=%+v\n  "+format, append([]any{i, doc, all, anyAns}, args...)...)
		}
		// Witnesses are exact claims about one ARN.
		if all.Witness != "" && !u.Contains(all.Witness) {
			fail("witness %s is not a key ARN", all.Witness)
		}
		switch all.Verdict {
		case No:
			if allowed(all.Witness, upperCtx) {
				fail("NO counterexample %s is allowed in the upper-bound context", all.Witness)
			}
		case Conditional:
			if allowed(all.Witness, lowerCtx) {
				fail("CONDITIONAL witness %s is allowed in the lower-bound context", all.Witness)
			}
		}
		if anyAns.UpperBound != allowed(anyAns.Witness, upperCtx) && anyAns.UpperBound {
			fail("ANY witness %s is not allowed in the upper-bound context", anyAns.Witness)
		}
		if anyAns.LowerBound && !allowed(anyAns.Witness, upperCtx) {
			fail("ANY witness %s is not allowed", anyAns.Witness)
		}
		// Sampled ARNs must agree with the bounds.
		samples := []string{all.Witness, anyAns.Witness}
		for range 40 {
			samples = append(samples, randomKeyARN(r))
		}
		for _, arn := range samples {
			if arn == "" {
				continue
			}
			up, low := allowed(arn, upperCtx), allowed(arn, lowerCtx)
			if all.UpperBound && !up {
				fail("upper bound says every key, but %s is refused in the upper-bound context", arn)
			}
			if all.LowerBound && !low {
				fail("lower bound says every key, but %s is refused in the lower-bound context", arn)
			}
			if !anyAns.UpperBound && up {
				fail("upper bound says no key, but %s is allowed in the upper-bound context", arn)
			}
			if !anyAns.LowerBound && low {
				fail("lower bound says no key, but %s is allowed in the lower-bound context", arn)
			}
		}
		// Outside the trusted account: the witness must be foreign and
		// allowed, and with no witness no sampled foreign key is allowed.
		outside := KMSKeysOutside("aws", []string{"111122223333"})
		out, err := an.AllowsAny(p, "kms:Decrypt", outside)
		if err != nil {
			t.Fatal(err)
		}
		if out.UpperBound && (!outside.Contains(out.Witness) || !allowed(out.Witness, upperCtx)) {
			fail("outside witness %s is trusted or not allowed", out.Witness)
		}
		for _, arn := range samples {
			if !out.UpperBound && outside.Contains(arn) && allowed(arn, upperCtx) {
				fail("no foreign key allowed, yet %s is", arn)
			}
		}
		// A pattern's answer is the strongest over its actions.
		rank := map[Verdict]int{No: 0, Unknown: 1, Conditional: 2, Yes: 3}
		pat, err := an.AllowsAll(p, "kms:*", u)
		if err != nil {
			t.Fatal(err)
		}
		for _, act := range []string{"kms:Decrypt", "kms:Encrypt", "kms:DescribeKey", "kms:ReEncryptFrom", "kms:De"} {
			c, err := an.AllowsAll(p, act, u)
			if err != nil {
				t.Fatal(err)
			}
			if rank[c.Verdict] > rank[pat.Verdict] {
				fail("kms:* answers %s but %s answers %s", pat.Verdict, act, c.Verdict)
			}
		}
		if all.LowerBound && !all.UpperBound || anyAns.LowerBound && !anyAns.UpperBound {
			fail("lower bound holds without the upper bound")
		}
		if all.UpperBound && !anyAns.UpperBound {
			fail("every key is allowed but no key is")
		}
	}
}
