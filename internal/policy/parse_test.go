package policy

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseForms(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want *Policy
	}{
		{
			name: "statement object with string elements",
			doc:  `{"Version":"2012-10-17","Id":"k","Statement":{"Sid":"A","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}`,
			want: &Policy{Version: Version2012, ID: "k", Statements: []Statement{
				{Sid: "A", Effect: Allow, Actions: []string{"kms:Decrypt"}, Resources: []string{"*"}, HasResource: true},
			}},
		},
		{
			name: "lists, NotAction, NotResource",
			doc:  `{"Statement":[{"Effect":"Deny","NotAction":["iam:*","s3:*"],"NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`,
			want: &Policy{Statements: []Statement{
				{Effect: Deny, Actions: []string{"iam:*", "s3:*"}, NotAction: true, Resources: []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}, NotResource: true, HasResource: true},
			}},
		},
		{
			name: "principal forms and account shorthand",
			doc: `{"Version":"2008-10-17","Statement":[
				{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
				{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/r"],"Service":"logs.amazonaws.com","Federated":["cognito-identity.amazonaws.com"],"CanonicalUser":"79a59df9"},"Action":"kms:Decrypt","Resource":"*"},
				{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}`,
			want: &Policy{Version: Version2008, Statements: []Statement{
				{Index: 0, Effect: Allow, Principals: &Principals{Wildcard: true}, Actions: []string{"kms:*"}, Resources: []string{"*"}, HasResource: true},
				{Index: 1, Effect: Allow, Principals: &Principals{
					AWS: []string{"arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:role/r"}, Service: []string{"logs.amazonaws.com"},
					Federated: []string{"cognito-identity.amazonaws.com"}, CanonicalUser: []string{"79a59df9"},
				}, Actions: []string{"kms:Decrypt"}, Resources: []string{"*"}, HasResource: true},
				{Index: 2, Effect: Deny, Principals: &Principals{Wildcard: true}, NotPrincipal: true, Actions: []string{"kms:*"}, Resources: []string{"*"}, HasResource: true},
			}},
		},
		{
			name: "every operator family",
			doc: `{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{
				"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*","b"]},
				"ForAllValues:StringEquals":{"aws:TagKeys":"x"},
				"NumericLessThan":{"s3:max-keys":10},
				"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},
				"Bool":{"aws:SecureTransport":true},
				"BinaryEquals":{"k":"QmluYXJ5"},
				"IpAddress":{"aws:SourceIp":["192.0.2.0/24"]},
				"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"},
				"Null":{"aws:TokenIssueTime":"true"}}}}`,
			want: &Policy{Statements: []Statement{{Effect: Allow, Actions: []string{"kms:*"}, Resources: []string{"*"}, HasResource: true, Conditions: []Condition{
				{Operator: "ForAnyValue:StringLikeIfExists", Base: "StringLike", Set: SetForAnyValue, IfExists: true, Key: "aws:TagKeys", Values: []string{"a*", "b"}},
				{Operator: "ForAllValues:StringEquals", Base: "StringEquals", Set: SetForAllValues, Key: "aws:TagKeys", Values: []string{"x"}},
				{Operator: "NumericLessThan", Base: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10"}},
				{Operator: "DateGreaterThan", Base: "DateGreaterThan", Key: "aws:CurrentTime", Values: []string{"2020-01-01T00:00:00Z"}},
				{Operator: "Bool", Base: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}},
				{Operator: "BinaryEquals", Base: "BinaryEquals", Key: "k", Values: []string{"QmluYXJ5"}},
				{Operator: "IpAddress", Base: "IpAddress", Key: "aws:SourceIp", Values: []string{"192.0.2.0/24"}},
				{Operator: "ArnLike", Base: "ArnLike", Key: "aws:SourceArn", Values: []string{"arn:aws:s3:::*"}},
				{Operator: "Null", Base: "Null", Key: "aws:TokenIssueTime", Values: []string{"true"}},
			}}}},
		},
		{
			name: "url-encoded keeps plus",
			doc:  url.PathEscape(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}]}`),
			want: &Policy{Statements: []Statement{{Effect: Allow, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::a+b/*"}, HasResource: true}}},
		},
		{
			name: "json string holding a url-encoded document",
			doc:  strconv.Quote(url.PathEscape(`{"Statement":[]}`)),
			want: &Policy{Statements: []Statement{}},
		},
		{
			name: "empty statement list",
			doc:  `{"Version":"2012-10-17","Statement":[]}`,
			want: &Policy{Version: Version2012, Statements: []Statement{}},
		},
		{
			name: "trust policy without resource",
			doc:  `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			want: &Policy{Statements: []Statement{{Effect: Allow, Principals: &Principals{Service: []string{"ec2.amazonaws.com"}}, Actions: []string{"sts:AssumeRole"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string // the whole error text
	}{
		{"not json", `{"Statement":`, `line 1, column 14 (offset 13): unexpected end of input, want a value`},
		{"trailing garbage", `{"Statement":[]} x`, `line 1, column 18 (offset 17): unexpected 'x' after the end of the document`},
		{"not an object", `[]`, `line 1, column 1 (offset 0): a policy document must be a JSON object, got array`},
		{"no statement", `{"Version":"2012-10-17"}`, `line 1, column 1 (offset 0): the policy has no Statement element`},
		{"bad version", `{"Version":"2012-10-18","Statement":[]}`, `Version: line 1, column 12 (offset 11): Version must be "2012-10-17" or "2008-10-17"`},
		{"unknown element", `{"Statements":[]}`, `Statements: line 1, column 2 (offset 1): unknown policy element "Statements" (want Version, Id or Statement)`},
		{"duplicate top-level key", "{\"Statement\":[],\n \"Statement\":[]}", `line 2, column 2 (offset 18): duplicate key "Statement" in object`},
		{"statement not object", `{"Statement":["x"]}`, `Statement[0]: line 1, column 15 (offset 14): a statement must be an object, got string`},
		{"no effect", `{"Statement":[{"Action":"*","Resource":"*"}]}`, `Statement[0]: line 1, column 15 (offset 14): the statement has no Effect`},
		{"both action forms", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}`, `Statement: line 1, column 14 (offset 13): the statement has both Action and NotAction`},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, `Statement: line 1, column 14 (offset 13): the statement has neither Action nor NotAction`},
		{"both resource forms", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, `the statement has both Resource and NotResource`},
		{"action not string", `{"Statement":{"Effect":"Allow","Action":["kms:*",3],"Resource":"*"}}`, `Statement.Action[1]: line 1, column 50 (offset 49): want a string, got number`},
		{"principal string", `{"Statement":{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"*"}}`, `Statement.Principal: line 1, column 44 (offset 43): a principal given as a string must be "*"`},
		{"principal type", `{"Statement":{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"*"}}`, `Statement.Principal.Aws: line 1, column 45 (offset 44): unknown principal type "Aws"`},
		{"principal bad account", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*"}}`, `an AWS principal must be "*", a 12-digit account id or an ARN, got "12345"`},
		{"unknown operator", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"a":"b"}}}]}`, `Statement[2].Condition.StringEqual: line 1, column 168 (offset 167): unknown condition operator "StringEqual"`},
		{"condition keys differ in case only", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"aws:SourceVpc":"a","AWS:sourcevpc":"b"}}}}`, `condition key "AWS:sourcevpc" repeats "aws:SourceVpc" (condition keys are case-insensitive)`},
		{"null wants boolean", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Null":{"k":"yes"}}}}`, `Statement.Condition.Null.k: line 1, column 70 (offset 69): Null wants "true" or "false", got "yes"`},
		{"condition value object", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{"k":{}}}}}`, `a condition value must be a string, number or boolean, got object`},
		{"bad url encoding", `%7B%zz`, `invalid URL-encoded document`},
		{"url-encoded error position", url.PathEscape("{\"Statement\":{\"Effect\":\"Allow\"}}"), `Statement: line 1, column 14 (offset 13) of the URL-decoded document: the statement has neither Action nor NotAction`},
		{"invalid utf8", "{\"Statement\":[\"\xff\"]}", `line 1, column 16 (offset 15): invalid UTF-8 in string`},
		{"deep nesting", strings.Repeat("[", 100), `nesting deeper than 64 levels`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want a *ParseError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err.Error(), tt.want)
			}
		})
	}
}
