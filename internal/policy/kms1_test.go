package policy

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// doc wraps statements (JSON objects) into a 2012-10-17 policy.
func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// allow and deny build a statement from an action and a resource element,
// each given as raw JSON (a string or a list).
func allow(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Allow","Action":%s,"Resource":%s}`, action, resource)
}

func deny(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Deny","Action":%s,"Resource":%s}`, action, resource)
}

func hexPrefixes(digits string, withMRK bool) string {
	var pats []string
	for _, d := range digits {
		pats = append(pats, `"arn:aws:kms:*:*:key/`+string(d)+`*"`)
	}
	if withMRK {
		pats = append(pats, `"arn:aws:kms:*:*:key/mrk-*"`)
	}
	return "[" + strings.Join(pats, ",") + "]"
}

const (
	oneKey   = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	condVia  = `"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`
	condIP   = `"Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`
	condBool = `"Condition":{"Bool":{"aws:SecureTransport":"true"}}`
)

type kms1Case struct {
	name    string
	policy  string
	want    Verdict
	wantErr string // a substring of the parse error
	// witness, when set, must be a prefix (or, with a leading '~', a
	// substring) of the answer's witness ARN.
	witness string
}

func kms1Cases() []kms1Case {
	return []kms1Case{
		// Wildcard actions.
		{name: "kms:* on *", policy: doc(allow(`"kms:*"`, `"*"`)), want: Yes},
		{name: "* on *", policy: doc(allow(`"*"`, `"*"`)), want: Yes},
		{name: "kms:Decrypt*", policy: doc(allow(`"kms:Decrypt*"`, `"*"`)), want: Yes},
		{name: "kms:*crypt", policy: doc(allow(`"kms:*crypt"`, `"*"`)), want: Yes},
		{name: "kms:?ecrypt", policy: doc(allow(`"kms:?ecrypt"`, `"*"`)), want: Yes},
		{name: "upper-case KMS:DECRYPT", policy: doc(allow(`"KMS:DECRYPT"`, `"*"`)), want: Yes},
		{name: "lower-case kms:decrypt", policy: doc(allow(`"kms:decrypt"`, `"*"`)), want: Yes},
		{name: "kms:De*", policy: doc(allow(`"kms:De*"`, `"*"`)), want: Yes},
		{name: "kms:*Decrypt star matches empty", policy: doc(allow(`"kms:*Decrypt"`, `"*"`)), want: Yes},
		{name: "kms:Decrypt? needs one more char", policy: doc(allow(`"kms:Decrypt?"`, `"*"`)), want: No},
		{name: "kms:Encrypt only", policy: doc(allow(`"kms:Encrypt"`, `"*"`)), want: No, witness: "arn:aws:kms:"},
		{name: "kms:ReEncrypt* is not Decrypt", policy: doc(allow(`"kms:ReEncrypt*"`, `"*"`)), want: No},
		{name: "s3:* only", policy: doc(allow(`"s3:*"`, `"*"`)), want: No},
		{name: "action list with Decrypt", policy: doc(allow(`["kms:Encrypt","kms:Decrypt"]`, `"*"`)), want: Yes},
		{name: "empty action list", policy: doc(allow(`[]`, `"*"`)), want: No},
		// NotAction.
		{name: "NotAction iam:*", policy: doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), want: Yes},
		{name: "NotAction kms:Encrypt", policy: doc(`{"Effect":"Allow","NotAction":"kms:Encrypt","Resource":"*"}`), want: Yes},
		{name: "NotAction kms:*", policy: doc(`{"Effect":"Allow","NotAction":"kms:*","Resource":"*"}`), want: No},
		{name: "NotAction kms:Decrypt", policy: doc(`{"Effect":"Allow","NotAction":"kms:Decrypt","Resource":"*"}`), want: No},
		{name: "NotAction KMS:DECRYPT* case-insensitive", policy: doc(`{"Effect":"Allow","NotAction":["kms:Encrypt","KMS:DECRYPT*"],"Resource":"*"}`), want: No},
		// Resource patterns.
		{name: "arn:aws:kms:*:*:key/*", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:key/*"`)), want: Yes},
		{name: "arn:aws:kms:*", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*"`)), want: Yes},
		{name: "arn:aws:*", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:*"`)), want: Yes},
		{name: "arn:aws:kms:*:*:*", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:*"`)), want: Yes},
		{name: "six stars", policy: doc(allow(`"kms:Decrypt"`, `"*:*:*:*:*:*"`)), want: Yes},
		{name: "one region", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:us-east-1:*:key/*"`)), want: No, witness: "arn:aws:kms:a-a-0:000000000000:key/"},
		{name: "one account", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:111122223333:key/*"`)), want: No, witness: "arn:aws:kms:a-a-0:000000000000:key/"},
		{name: "alias ARNs only", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:alias/*"`)), want: No},
		{name: "uuid-shaped pattern misses mrk keys", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:key/????????-????-????-????-????????????"`)), want: No, witness: "~:key/mrk-"},
		{name: "mrk keys only", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:key/mrk-*"`)), want: No, witness: "~:key/00000000-"},
		{name: "list containing *", policy: doc(allow(`"kms:Decrypt"`, `["arn:aws:kms:us-east-1:*:key/*","*"]`)), want: Yes},
		{name: "arn:*:kms", policy: doc(allow(`"kms:Decrypt"`, `"arn:*:kms:*:*:key/*"`)), want: Yes},
		{name: "12 question marks for the account", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:????????????:key/*"`)), want: Yes},
		{name: "13 question marks cannot align", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:?????????????:key/*"`)), want: No},
		{name: "16 hex prefixes plus mrk-*", policy: doc(allow(`"kms:Decrypt"`, hexPrefixes("0123456789abcdef", true))), want: Yes},
		{name: "15 hex prefixes plus mrk-* miss f", policy: doc(allow(`"kms:Decrypt"`, hexPrefixes("0123456789abcde", true))), want: No, witness: "~:key/f"},
		{name: "16 hex prefixes without mrk-*", policy: doc(allow(`"kms:Decrypt"`, hexPrefixes("0123456789abcdef", false))), want: No, witness: "~:key/mrk-"},
		{name: "hex prefixes split over statements", policy: doc(allow(`"kms:Decrypt"`, hexPrefixes("01234567", false)), allow(`"kms:*"`, hexPrefixes("89abcdef", true))), want: Yes},
		{name: "dash-shaped uuid pattern plus mrk", policy: doc(allow(`"kms:Decrypt"`, `["arn:aws:kms:*:*:key/*-*-*-*-*","arn:aws:kms:*:*:key/mrk-*"]`)), want: Yes},
		{name: "empty resource list", policy: doc(allow(`"kms:Decrypt"`, `[]`)), want: No},
		{name: "statement object, not list", policy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`, want: Yes},
		{name: "no Version, no variables", policy: `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:*"}]}`, want: Yes},
		// NotResource.
		{name: "NotResource one key", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"` + oneKey + `"}`), want: No, witness: oneKey},
		{name: "NotResource an S3 ARN", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"arn:aws:s3:::bucket/*"}`), want: Yes},
		{name: "NotResource alias/*", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"arn:aws:kms:*:*:alias/*"}`), want: Yes},
		{name: "NotResource key/*", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"arn:aws:kms:*:*:key/*"}`), want: No},
		{name: "NotResource *", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"*"}`), want: No},
		{name: "NotResource empty list", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":[]}`), want: Yes},
		// Denies.
		{name: "deny kms:* on *", policy: doc(allow(`"*"`, `"*"`), deny(`"kms:*"`, `"*"`)), want: No},
		{name: "deny one region", policy: doc(allow(`"kms:*"`, `"*"`), deny(`"kms:Decrypt"`, `"arn:aws:kms:us-east-1:*:key/*"`)), want: No, witness: "arn:aws:kms:us-east-1:"},
		{name: "deny all keys by pattern", policy: doc(allow(`"kms:*"`, `"*"`), deny(`"kms:*"`, `"arn:aws:kms:*:*:key/*"`)), want: No},
		{name: "deny NotResource own account", policy: doc(allow(`"kms:*"`, `"*"`), `{"Effect":"Deny","Action":"kms:Decrypt","NotResource":"arn:aws:kms:*:111122223333:key/*"}`), want: No, witness: "arn:aws:kms:a-a-0:000000000000:"},
		{name: "deny NotResource * removes nothing", policy: doc(allow(`"kms:*"`, `"*"`), `{"Effect":"Deny","Action":"kms:Decrypt","NotResource":"*"}`), want: Yes},
		{name: "deny another action", policy: doc(allow(`"kms:*"`, `"*"`), deny(`"kms:Encrypt"`, `"*"`)), want: Yes},
		{name: "deny NotAction kms:Decrypt", policy: doc(allow(`"kms:*"`, `"*"`), `{"Effect":"Deny","NotAction":"kms:Decrypt","Resource":"*"}`), want: Yes},
		{name: "deny NotAction kms:*", policy: doc(allow(`"kms:*"`, `"*"`), `{"Effect":"Deny","NotAction":"kms:*","Resource":"*"}`), want: Yes},
		{name: "deny alias ARNs only", policy: doc(allow(`"kms:*"`, `"*"`), deny(`"kms:*"`, `"arn:aws:kms:*:*:alias/*"`)), want: Yes},
		{name: "deny mrk keys", policy: doc(allow(`"kms:*"`, `"*"`), deny(`"kms:Decrypt"`, `"arn:aws:kms:*:*:key/mrk-*"`)), want: No, witness: "~:key/mrk-"},
		{name: "deny upper-case action", policy: doc(allow(`"kms:*"`, `"*"`), deny(`"KMS:DECRYPT"`, `"*"`)), want: No},
		{name: "only deny statements", policy: doc(deny(`"kms:*"`, `"*"`)), want: No},
		// Conditions.
		{name: "conditional allow", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",` + condVia + `}`), want: Conditional},
		{name: "conditional allow Bool", policy: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*",` + condBool + `}`), want: Conditional},
		{name: "conditional deny", policy: doc(allow(`"*"`, `"*"`), `{"Effect":"Deny","Action":"kms:*","Resource":"*",`+condIP+`}`), want: Conditional},
		{name: "conditional allow plus one region", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:us-east-1:*:key/*"`), `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",`+condVia+`}`), want: Conditional, witness: "arn:aws:kms:a-a-0:"},
		{name: "conditional deny of one region", policy: doc(allow(`"kms:*"`, `"*"`), `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"arn:aws:kms:eu-west-1:*",`+condIP+`}`), want: Conditional, witness: "arn:aws:kms:eu-west-1:"},
		{name: "conditional allow, unconditional deny", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",`+condVia+`}`, deny(`"kms:*"`, `"*"`)), want: No},
		{name: "conditional allow and deny", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",`+condVia+`}`, `{"Effect":"Deny","Action":"kms:*","Resource":"*",`+condIP+`}`), want: Conditional},
		{name: "conditional allow of one region only", policy: doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:*",` + condVia + `}`), want: No},
		// Policy variables.
		{name: "variable in resource is unknown", policy: doc(allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:key/${aws:username}"`)), want: Conditional},
		{name: "variable is literal under 2008-10-17", policy: `{"Version":"2008-10-17","Statement":[` + allow(`"kms:Decrypt"`, `"arn:aws:kms:*:*:key/${aws:username}"`) + `]}`, want: No},
		{name: "variable in deny NotResource", policy: doc(allow(`"kms:*"`, `"*"`), `{"Effect":"Deny","Action":"kms:Decrypt","NotResource":"arn:aws:kms:*:${aws:PrincipalAccount}:key/*"}`), want: Conditional},
		// Document forms and errors.
		{name: "url-encoded document", policy: url.PathEscape(doc(allow(`"kms:*"`, `"*"`))), want: Yes},
		{name: "empty statement list", policy: doc(), want: No},
		{name: "Effect lower-case allow", policy: doc(`{"Effect":"allow","Action":"kms:*","Resource":"*"}`), wantErr: `Statement[0].Effect: line 1, column 48 (offset 47): Effect must be exactly "Allow" or "Deny", got "allow"`},
		{name: "Effect misspelled", policy: doc(`{"Effect":"Alow","Action":"kms:*","Resource":"*"}`), wantErr: `Effect must be exactly`},
		{name: "duplicate Effect key", policy: doc(`{"Effect":"Deny","Effect":"Allow","Action":"kms:*","Resource":"*"}`), wantErr: `Statement[0]: line 1, column 55 (offset 54): duplicate key "Effect"`},
	}
}

func TestKMS1Table(t *testing.T) {
	cases := kms1Cases()
	if len(cases) < 60 {
		t.Fatalf("the table has %d policies, want at least 60", len(cases))
	}
	an := NewAnalyzer(0)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.policy))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ans, err := an.AllowsAll(p, "kms:Decrypt", KMSKeys("aws"))
			if err != nil {
				t.Fatal(err)
			}
			if ans.Verdict != tc.want {
				t.Errorf("verdict = %s, want %s (witness %q: %s)", ans.Verdict, tc.want, ans.Witness, ans.WitnessMeaning)
			}
			checkWitness(t, ans.Witness, tc.witness)
			checkWitnessAgainstEvaluate(t, p, ans)
		})
	}
}

func checkWitness(t *testing.T, got, want string) {
	t.Helper()
	switch {
	case want == "":
	case strings.HasPrefix(want, "~"):
		if !strings.Contains(got, want[1:]) {
			t.Errorf("witness %q does not contain %q", got, want[1:])
		}
	case !strings.HasPrefix(got, want):
		t.Errorf("witness %q does not start with %q", got, want)
	}
}

// checkWitnessAgainstEvaluate checks the witness with concrete evaluation:
// a counterexample must really be refused when every condition fails or
// (for NO) whatever the context, and a YES example must be allowed.
func checkWitnessAgainstEvaluate(t *testing.T, p *Policy, ans SetAnswer) {
	t.Helper()
	if ans.Witness == "" {
		t.Fatalf("no witness for verdict %s", ans.Verdict)
	}
	if !KMSKeys("aws").Contains(ans.Witness) {
		t.Errorf("witness %q is not a KMS key ARN", ans.Witness)
	}
	got := p.Evaluate(Request{Action: "kms:Decrypt", Resource: ans.Witness}).Outcome
	switch ans.Verdict {
	case Yes:
		if got != Allowed {
			t.Errorf("YES, but the example %s evaluates to %s", ans.Witness, got)
		}
	case No:
		if got == Allowed {
			t.Errorf("NO, but the counterexample %s evaluates to allow", ans.Witness)
		}
	}
}
