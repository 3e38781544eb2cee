package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// exposureStatements enumerates open key-policy statements with up to three
// pin conditions drawn from every pin key (and kms:ViaService, which pins
// nothing), each naming the owner, another account, or both.
func exposureStatements(owner, other, org string) []string {
	type choice struct{ op, key string }
	keys := []choice{{"StringEquals", "kms:CallerAccount"}, {"StringEquals", "aws:PrincipalAccount"}, {"StringEquals", "aws:SourceAccount"},
		{"ArnLike", "aws:PrincipalArn"}, {"StringEquals", "aws:PrincipalOrgID"}, {"StringEquals", "kms:ViaService"}}
	values := func(c choice, pick int) []string {
		switch c.key {
		case "aws:PrincipalOrgID":
			return [][]string{{org}, {"o-elsewhere0"}, {org, "o-elsewhere0"}}[pick]
		case "kms:ViaService":
			return []string{"s3.us-east-1.amazonaws.com"}
		case "aws:PrincipalArn":
			role := func(a string) string { return "arn:aws:iam::" + a + ":role/*" }
			return [][]string{{role(owner)}, {role(other)}, {role(owner), role(other)}}[pick]
		}
		return [][]string{{owner}, {other}, {owner, other}}[pick]
	}
	var out []string
	var walk func(from int, conds map[string]map[string][]string, n int)
	walk = func(from int, conds map[string]map[string][]string, n int) {
		var parts []string
		for _, op := range []string{"ArnLike", "StringEquals"} {
			if len(conds[op]) == 0 {
				continue
			}
			var kv []string
			for _, c := range keys {
				if v, ok := conds[op][c.key]; ok {
					kv = append(kv, fmt.Sprintf("%q:[%s]", c.key, `"`+strings.Join(v, `","`)+`"`))
				}
			}
			parts = append(parts, fmt.Sprintf("%q:{%s}", op, strings.Join(kv, ",")))
		}
		out = append(out, `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{`+strings.Join(parts, ",")+`}}`)
		if n == 3 {
			return
		}
		for i := from; i < len(keys); i++ {
			for pick := range 3 {
				if keys[i].key == "kms:ViaService" && pick > 0 {
					break
				}
				if conds[keys[i].op] == nil {
					conds[keys[i].op] = map[string][]string{}
				}
				conds[keys[i].op][keys[i].key] = values(keys[i], pick)
				walk(i+1, conds, n+1)
				delete(conds[keys[i].op], keys[i].key)
			}
		}
	}
	walk(0, map[string]map[string][]string{}, 0)
	return out
}

// TestStatementExposureAgreesWithEvaluation checks StatementExposureOf
// against the policy evaluator on every enumerated statement. A request's
// kms:CallerAccount, aws:PrincipalAccount and aws:PrincipalArn are the
// caller's own; the other keys may take any value the statement lists.
//   - Neither public nor cross-account: a caller of an account outside the
//     owner's organisation is refused, and so is a caller of an account the
//     statement names, even inside the organisation (not judged
//     cross-account, so it must not get in).
//   - Cross-account: each account it reports can satisfy the statement.
func TestStatementExposureAgreesWithEvaluation(t *testing.T) {
	const owner, other, stranger, org = "111122223333", "444455556666", "777788889999", "o-own0000001"
	opts := ExposureOptions{Owner: owner, OrgIDs: []string{org}}
	key := "arn:aws:kms:us-east-1:" + owner + ":key/k"
	statements := exposureStatements(owner, other, org)
	if len(statements) < 400 {
		t.Fatalf("only %d statements enumerated", len(statements))
	}
	for _, doc := range statements {
		p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[` + doc + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		st := &p.Statements[0]
		e := StatementExposureOf(st, opts)
		// request is a call by acct; sourceAccount "" picks the statement's
		// value naming acct, else its first; orgID "" the statement's first
		// organisation, else the owner's.
		request := func(acct, orgID, sourceAccount string) (bool, Context) {
			caller := "arn:aws:iam::" + acct + ":role/app"
			ctx := Context{"kms:CallerAccount": {acct}, "aws:PrincipalAccount": {acct}, "aws:PrincipalArn": {caller},
				"aws:PrincipalOrgID": {orgID}, "aws:SourceAccount": {sourceAccount}, "kms:ViaService": {"s3.us-east-1.amazonaws.com"}}
			if orgID == "" {
				ctx["aws:PrincipalOrgID"] = []string{org}
			}
			for _, c := range st.Conditions {
				if strings.EqualFold(c.Key, "aws:PrincipalOrgID") && orgID == "" {
					ctx["aws:PrincipalOrgID"] = []string{c.Values[0]}
				}
				if strings.EqualFold(c.Key, "aws:SourceAccount") && sourceAccount == "" {
					ctx["aws:SourceAccount"] = []string{c.Values[0]}
					if slices.Contains(c.Values, acct) {
						ctx["aws:SourceAccount"] = []string{acct}
					}
				}
			}
			d := p.Evaluate(Request{Principal: RequestPrincipal{ID: caller, Account: acct}, Action: "kms:Decrypt", Resource: key, Context: ctx})
			return d.Outcome == Allowed, ctx
		}
		if !e.Public() && !e.CrossAccount() {
			for _, acct := range []string{other, stranger} {
				if ok, ctx := request(acct, "o-outsider01", acct); ok {
					t.Errorf("%s\n  judged pinned (%q), but a caller of %s outside the organisation is let in: %v", doc, e.Pin, acct, ctx)
				}
			}
			if strings.Contains(doc, other) {
				if ok, ctx := request(other, org, ""); ok {
					t.Errorf("%s\n  judged not cross-account, but a caller of %s, which it names, is let in: %v", doc, other, ctx)
				}
			}
		}
		for _, acct := range e.Foreign {
			if acct == owner {
				t.Errorf("%s\n  reports the owner as another account", doc)
			}
			if ok, ctx := request(acct, "", ""); !ok {
				t.Errorf("%s\n  reports %s as let in, but no request of it satisfies the statement (last tried %v)", doc, acct, ctx)
			}
		}
	}
}
