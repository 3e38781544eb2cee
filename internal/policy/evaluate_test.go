package policy

import (
	"testing"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// condPolicy allows kms:Decrypt on every resource under one condition block.
func condPolicy(version, cond string) string {
	v := ""
	if version != "" {
		v = `"Version":"` + version + `",`
	}
	return `{` + v + `"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":` + cond + `}}`
}

func TestConditions(t *testing.T) {
	tests := []struct {
		name string
		cond string
		ctx  Context
		want bool
	}{
		{"StringEquals match", `{"StringEquals":{"kms:ViaService":"s3.amazonaws.com"}}`, Context{"kms:viaservice": {"s3.amazonaws.com"}}, true},
		{"StringEquals is case-sensitive in values", `{"StringEquals":{"kms:ViaService":"S3.amazonaws.com"}}`, Context{"kms:ViaService": {"s3.amazonaws.com"}}, false},
		{"StringEquals absent key", `{"StringEquals":{"kms:ViaService":"x"}}`, nil, false},
		{"StringEquals star is literal", `{"StringEquals":{"k":"a*"}}`, Context{"k": {"abc"}}, false},
		{"StringEquals values are OR", `{"StringEquals":{"k":["a","b"]}}`, Context{"k": {"b"}}, true},
		{"StringNotEquals values are NOR", `{"StringNotEquals":{"k":["a","b"]}}`, Context{"k": {"b"}}, false},
		{"StringNotEquals absent key is true", `{"StringNotEquals":{"k":"a"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"k":"ABC"}}`, Context{"k": {"abc"}}, true},
		{"StringLike wildcard", `{"StringLike":{"k":"arn:aws:s3:::b/*"}}`, Context{"k": {"arn:aws:s3:::b/x/y"}}, true},
		{"StringNotLike", `{"StringNotLike":{"k":"a?c"}}`, Context{"k": {"abc"}}, false},
		{"IfExists absent", `{"StringEqualsIfExists":{"k":"a"}}`, nil, true},
		{"IfExists present mismatch", `{"StringEqualsIfExists":{"k":"a"}}`, Context{"k": {"b"}}, false},
		{"two keys are AND", `{"StringEquals":{"a":"1","b":"2"}}`, Context{"a": {"1"}}, false},
		{"two operators are AND", `{"StringEquals":{"a":"1"},"Bool":{"b":"true"}}`, Context{"a": {"1"}, "b": {"TRUE"}}, true},
		{"NumericLessThan", `{"NumericLessThan":{"n":10}}`, Context{"n": {"9.5"}}, true},
		{"NumericGreaterThanEquals false", `{"NumericGreaterThanEquals":{"n":"10"}}`, Context{"n": {"9"}}, false},
		{"NumericNotEquals", `{"NumericNotEquals":{"n":"10"}}`, Context{"n": {"10.0"}}, false},
		{"Numeric not a number", `{"NumericEquals":{"n":"10"}}`, Context{"n": {"ten"}}, false},
		{"DateLessThan iso", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, Context{"aws:CurrentTime": {"2026-11-24T03:00:00Z"}}, true},
		{"DateGreaterThan epoch", `{"DateGreaterThan":{"aws:EpochTime":"1700000000"}}`, Context{"aws:EpochTime": {"1600000000"}}, false},
		{"Bool", `{"Bool":{"aws:SecureTransport":"false"}}`, Context{"aws:SecureTransport": {"false"}}, true},
		{"BinaryEquals", `{"BinaryEquals":{"k":"QmluYXJ5"}}`, Context{"k": {"QmluYXJ5"}}, true},
		{"BinaryEquals raw context", `{"BinaryEquals":{"k":"QmluYXJ5"}}`, Context{"k": {"Binary"}}, true},
		{"IpAddress in cidr", `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, Context{"aws:SourceIp": {"192.0.2.77"}}, true},
		{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}`, Context{"aws:SourceIp": {"198.51.100.1"}}, false},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, Context{"aws:SourceIp": {"2001:db8::1"}}, true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, Context{"aws:SourceIp": {"192.0.2.1"}}, false},
		{"ArnLike per segment", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, Context{"aws:SourceArn": {"arn:aws:s3:::bucket/key"}}, true},
		{"ArnLike star stays in its segment", `{"ArnLike":{"aws:SourceArn":"arn:*:111122223333:*"}}`, Context{"aws:SourceArn": {"arn:aws:sns:us-east-1:111122223333:t"}}, false},
		{"ArnEquals", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:t"}}`, Context{"aws:SourceArn": {"arn:aws:sns:us-east-1:111122223333:t"}}, true},
		{"ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:t"}}`, Context{"aws:SourceArn": {"arn:aws:sns:us-east-1:1:t"}}, false},
		{"Null true when absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"Null false when present", `{"Null":{"aws:TokenIssueTime":"false"}}`, Context{"aws:TokenIssueTime": {"x"}}, true},
		{"Null true when present", `{"Null":{"aws:TokenIssueTime":"true"}}`, Context{"aws:TokenIssueTime": {"x"}}, false},
		{"ForAllValues empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, Context{"aws:TagKeys": {}}, true},
		{"ForAllValues absent is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, nil, true},
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, Context{"aws:TagKeys": {"a", "b"}}, true},
		{"ForAllValues not subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, Context{"aws:TagKeys": {"a", "c"}}, false},
		{"ForAnyValue empty set is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}`, Context{"aws:TagKeys": {}}, false},
		{"ForAnyValue one matches", `{"ForAnyValue:StringLike":{"aws:TagKeys":"a*"}}`, Context{"aws:TagKeys": {"x", "ab"}}, true},
		{"ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}`, Context{"aws:TagKeys": {"a", "b"}}, true},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":"a"}}`, Context{"aws:TagKeys": {"a", "b"}}, false},
		{"multi-valued without qualifier", `{"StringEquals":{"k":"b"}}`, Context{"k": {"a", "b"}}, true},
		{"variable in condition value", `{"StringEquals":{"aws:PrincipalTag/team":"${aws:username}"}}`, Context{"aws:username": {"alice"}, "aws:PrincipalTag/team": {"alice"}}, true},
		{"unresolved variable matches nothing", `{"StringLike":{"k":"${aws:username}*"}}`, Context{"k": {"x"}}, false},
		{"variable default value", `{"StringEquals":{"k":"${aws:username, 'nobody'}"}}`, Context{"k": {"nobody"}}, true},
		{"escaped star variable", `{"StringEquals":{"k":"a${*}"}}`, Context{"k": {"a*"}}, true},
		{"condition key case-insensitive", `{"StringEquals":{"AWS:SOURCEVPC":"vpc-1"}}`, Context{"aws:SourceVpc": {"vpc-1"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, condPolicy(Version2012, tt.cond))
			d := p.Evaluate(Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/k", Context: tt.ctx})
			if got := d.Outcome == Allowed; got != tt.want {
				t.Errorf("condition holds = %v, want %v (%s)", got, tt.want, d.Statements[0].Reason)
			}
		})
	}
}

func TestVariablesLiteralWithoutVersion(t *testing.T) {
	for _, version := range []string{"", Version2008} {
		p := mustParse(t, condPolicy(version, `{"StringEquals":{"k":"${aws:username}"}}`))
		ctx := Context{"aws:username": {"alice"}, "k": {"${aws:username}"}}
		if d := p.Evaluate(Request{Action: "kms:Decrypt", Resource: "x", Context: ctx}); d.Outcome != Allowed {
			t.Errorf("version %q: ${aws:username} should be literal text, got %s", version, d.Outcome)
		}
	}
}

func TestEvaluate(t *testing.T) {
	keyPolicy := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
		{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/team/app"},"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"},
		{"Sid":"Logs","Effect":"Allow","Principal":{"Service":"logs.us-east-1.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*"},
		{"Sid":"DenyUser","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/mallory"},"Action":"kms:*","Resource":"*"},
		{"Sid":"Own","Effect":"Allow","Principal":"*","Action":"kms:DescribeKey","Resource":"arn:aws:kms:*:*:key/${aws:PrincipalAccount}-*"}]}`)
	identity := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":"KMS:decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/*"},
		{"Sid":"NoProd","Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/prod-*"},
		{"Sid":"Others","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"iam:*","Resource":"*"}]}`)
	key := "arn:aws:kms:us-east-1:111122223333:key/abc"
	tests := []struct {
		name      string
		pol       *Policy
		req       Request
		want      Outcome
		wantMatch MatchKind
		deciding  []string
	}{
		{"account root delegates", keyPolicy, Request{Principal: RequestPrincipal{ID: "arn:aws:iam::111122223333:role/any"}, Action: "kms:Decrypt", Resource: key}, Allowed, MatchViaAccount, []string{"Root"}},
		{"root itself is direct", keyPolicy, Request{Principal: RequestPrincipal{ID: "arn:aws:iam::111122223333:root"}, Action: "kms:Decrypt", Resource: key}, Allowed, MatchDirect, []string{"Root"}},
		{"role session matches role", keyPolicy, Request{Principal: RequestPrincipal{ID: "arn:aws:sts::444455556666:assumed-role/app/s1"}, Action: "kms:Decrypt", Resource: key}, Allowed, MatchDirect, []string{"Role"}},
		{"other role's session", keyPolicy, Request{Principal: RequestPrincipal{ID: "arn:aws:sts::444455556666:assumed-role/other/s1"}, Action: "kms:Decrypt", Resource: key}, ImplicitDeny, MatchNone, nil},
		{"role lacks action", keyPolicy, Request{Principal: RequestPrincipal{ID: "arn:aws:iam::444455556666:role/team/app"}, Action: "kms:ScheduleKeyDeletion", Resource: key}, ImplicitDeny, MatchNone, nil},
		{"service principal", keyPolicy, Request{Principal: RequestPrincipal{Type: PrincipalService, ID: "logs.us-east-1.amazonaws.com"}, Action: "kms:GenerateDataKeyWithoutPlaintext", Resource: key}, Allowed, MatchDirect, []string{"Logs"}},
		{"other service", keyPolicy, Request{Principal: RequestPrincipal{Type: PrincipalService, ID: "s3.amazonaws.com"}, Action: "kms:GenerateDataKey", Resource: key}, ImplicitDeny, MatchNone, nil},
		{"explicit deny wins", keyPolicy, Request{Principal: RequestPrincipal{ID: "arn:aws:iam::111122223333:user/mallory"}, Action: "kms:Decrypt", Resource: key}, ExplicitDeny, MatchNone, []string{"DenyUser"}},
		{"variable in resource", keyPolicy, Request{Principal: RequestPrincipal{ID: "arn:aws:iam::999999999999:user/u"}, Action: "kms:DescribeKey", Resource: "arn:aws:kms:eu-west-1:1:key/999999999999-x", Context: Context{"aws:PrincipalAccount": {"999999999999"}}}, Allowed, MatchDirect, []string{"Own"}},
		{"unresolved variable", keyPolicy, Request{Principal: RequestPrincipal{ID: "arn:aws:iam::999999999999:user/u"}, Action: "kms:DescribeKey", Resource: "arn:aws:kms:eu-west-1:1:key/999999999999-x"}, ImplicitDeny, MatchNone, nil},
		{"identity allow case-insensitive action", identity, Request{Action: "kms:Decrypt", Resource: key}, Allowed, MatchDirect, []string{"Read"}},
		{"resource is case-sensitive", identity, Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:US-EAST-1:111122223333:key/abc"}, ImplicitDeny, MatchNone, nil},
		{"star spans slash and colon", identity, Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/a/b:c"}, Allowed, MatchDirect, []string{"Read"}},
		{"identity deny", identity, Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/prod-1"}, ExplicitDeny, MatchNone, []string{"NoProd"}},
		{"NotPrincipal excludes admin", identity, Request{Principal: RequestPrincipal{ID: "arn:aws:sts::111122223333:assumed-role/admin/x"}, Action: "iam:CreateUser", Resource: "*"}, ImplicitDeny, MatchNone, nil},
		{"NotPrincipal denies others", identity, Request{Principal: RequestPrincipal{ID: "arn:aws:iam::111122223333:user/bob"}, Action: "iam:CreateUser", Resource: "*"}, ExplicitDeny, MatchNone, []string{"Others"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.pol.Evaluate(tt.req)
			var refs []string
			for _, s := range d.Deciding {
				refs = append(refs, s.Ref)
			}
			if d.Outcome != tt.want || d.Match != tt.wantMatch || !equalStrings(refs, tt.deciding) {
				t.Errorf("got %s/%s deciding %v, want %s/%s deciding %v", d.Outcome, d.Match, refs, tt.want, tt.wantMatch, tt.deciding)
				for _, s := range d.Statements {
					t.Logf("  %s: %s", s.Ref, s.Reason)
				}
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
