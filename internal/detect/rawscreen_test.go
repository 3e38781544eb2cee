package detect

import (
	"testing"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

func TestMayMatchRaw(t *testing.T) {
	const rules = `title: needs a member
id: 6f1d2a54-8a0e-4d39-9e53-0d7c1f3b2a10
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventSource: ec2.amazonaws.com
        eventName: RunInstances
        requestParameters.instanceType|startswith: p4
    either:
        - userIdentity.sessionContext.mfa: 'x'
        - additionalEventData.mfa|exists: true
    notthis:
        errorCode: null
    condition: sel and either and not notthis
---
title: any instance stopped
id: 0c1e6a5e-2b7f-4d8e-a1f3-9b2c4d5e6f70
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: StopInstances
    condition: sel
`
	set, err := ParseRuleSet("test.yml", []byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, source, event, raw string
		want                     bool
	}{
		{"every member present", "ec2.amazonaws.com", "RunInstances", `{"requestParameters":{"instanceType":"p4d"},"additionalEventData":{"mfa":1}}`, true},
		{"one of either", "ec2.amazonaws.com", "RunInstances", `{"requestParameters":{"instanceType":"p4d"},"userIdentity":{"sessionContext":{"mfa":"x"}}}`, true},
		{"instanceType missing", "ec2.amazonaws.com", "RunInstances", `{"requestParameters":{},"additionalEventData":{"mfa":1}}`, false},
		{"neither mfa member", "ec2.amazonaws.com", "RunInstances", `{"requestParameters":{"instanceType":"p4d"}}`, false},
		{"a \\u escape may spell a key", "ec2.amazonaws.com", "RunInstances", `{"requestParameters":{"instance\u0054ype":"p4d"}}`, true},
		{"rule without member needs", "ec2.amazonaws.com", "StopInstances", `{}`, true},
		{"no rule for the event", "ec2.amazonaws.com", "DescribeInstances", `{"requestParameters":{"instanceType":"p4d"},"additionalEventData":{"mfa":1}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eng.MayMatchRaw([]byte(tt.source), []byte(tt.event), []byte(tt.raw)); got != tt.want {
				t.Errorf("MayMatchRaw = %v, want %v", got, tt.want)
			}
		})
	}
	// An eventSource that cannot be read raw (nil): any rule indexed under
	// the name may match, whatever its source and its checks.
	for name, want := range map[string]bool{"RunInstances": true, "runinstances": true, "DescribeInstances": false} {
		if got := eng.MayMatchRaw(nil, []byte(name), []byte(`{}`)); got != want {
			t.Errorf("MayMatchRaw(unknown source, %s) = %v, want %v", name, got, want)
		}
	}
	if !eng.MayMatchRaw([]byte("EC2.amazonaws.COM"), []byte("stopinstances"), []byte(`{}`)) {
		t.Error("MayMatchRaw does not fold case like Match")
	}
}

// FuzzMayMatchRaw holds the raw screen to the engine with the built-in
// rules: a record the engine matches is never turned away.
func FuzzMayMatchRaw(f *testing.F) {
	_, eng := builtinEngine(f)
	for _, s := range []string{
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","recipientAccountId":"111122223333","requestParameters":{"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:444455556666:key/k"}}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"CopyObject","recipientAccountId":"111122223333","requestParameters":{"x-amz-server-side-encryption-aws-kms-key-\u0069d":"arn:aws:kms:us-east-1:444455556666:key/k"}}`,
		`{"eventSource":"kms.amazonaws.com","eventName":"DisableKey","errorCode":"AccessDenied"}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","kmsguard":{"s3":{"foreignKmsKey":true}}}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","recipientAccountId":"111122223333","resources":[{"type":"AWS::S3::Bucket","accountId":"111122223333"}],"requestParameters":{"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:111122223333:key/k"}}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","resources":[{"type":"AWS::S3::Bucket","accountId" : "444455556666"}],"requestParameters":{"x-amz-server-side-encryption-aws-kms-key-id":"111122223333"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, err := cloudtrail.Decode(raw)
		if err != nil {
			return
		}
		source, name := rec.String("eventSource"), rec.String("eventName")
		if len(eng.Match(rec)) > 0 && !eng.MayMatchRaw([]byte(source), []byte(name), raw) {
			t.Fatalf("the engine matches but MayMatchRaw turns away %q", raw)
		}
	})
}

// TestMayMatchRawForeignKmsKey runs rule 8 (S3 objects encrypted with a
// KMS key of another account) over every combination of the members its
// derived field depends on: the raw screen must let through every record
// the engine matches, and turn away the same-account writes that are
// almost all of S3's traffic.
func TestMayMatchRawForeignKmsKey(t *testing.T) {
	_, eng := builtinEngine(t)
	const own, other = "111122223333", "444455556666"
	keys := map[string]string{
		"none":            ``,
		"own key ARN":     `"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:` + own + `:key/k1",`,
		"other key ARN":   `"x-amz-server-side-encryption-aws-kms-key-id" : "arn:aws:kms:us-east-1:` + other + `:key/k1",`,
		"other alias ARN": `"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:` + other + `:alias/a",`,
		"bare key id":     `"x-amz-server-side-encryption-aws-kms-key-id":"1234abcd-12ab-34cd-56ef-1234567890ab",`,
		"account id":      `"x-amz-server-side-encryption-aws-kms-key-id":"` + other + `",`,
		"not a string":    `"x-amz-server-side-encryption-aws-kms-key-id":null,`,
	}
	resources := map[string]string{
		"none":           ``,
		"own bucket":     `"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/o"},{"accountId":"` + own + `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}],`,
		"other bucket":   `"resources":[{"type":"AWS::S3::Bucket","accountId":"` + other + `","ARN":"arn:aws:s3:::b"}],`,
		"no account":     `"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}],`,
		"bad account id": `"resources":[{"type":"AWS::S3::Bucket","accountId":"x","ARN":"arn:aws:s3:::b"}],`,
	}
	recipients := map[string]string{"none": ``, "own": `"recipientAccountId":"` + own + `",`, "other": `"recipientAccountId":"` + other + `",`, "empty": `"recipientAccountId":"",`}
	extras := map[string]string{
		"plain":            ``,
		"escaped quote":    `"userAgent":"a \"quoted\" agent",`,
		"own derived true": `"kmsguard":{"s3":{"foreignKmsKey":true}},`,
	}
	matched, screened := 0, 0
	for _, name := range []string{"PutObject", "CopyObject", "CreateMultipartUpload", "putobject"} {
		for kn, k := range keys {
			for rn, r := range resources {
				for cn, c := range recipients {
					for xn, x := range extras {
						raw := `{"eventSource":"s3.amazonaws.com","eventName":"` + name + `",` + x + r + c +
							`"requestParameters":{` + k + `"bucketName":"b"},"eventID":"e"}`
						rec, err := cloudtrail.Decode([]byte(raw))
						if err != nil {
							t.Fatalf("%s: %v", raw, err)
						}
						match := len(eng.Match(rec)) > 0
						may := eng.MayMatchRaw([]byte("s3.amazonaws.com"), []byte(name), []byte(raw))
						if match && !may {
							t.Errorf("%s, key %s, resources %s, recipient %s, %s: the engine matches but MayMatchRaw turns it away:\n%s",
								name, kn, rn, cn, xn, raw)
						}
						if match {
							matched++
						}
						if !may {
							screened++
						}
					}
				}
			}
		}
	}
	if matched == 0 || screened == 0 {
		t.Errorf("%d records matched, %d turned away: the table does not exercise the check", matched, screened)
	}
	sameAccount := `{"eventSource":"s3.amazonaws.com","eventName":"PutObject","userIdentity":{"accountId":"` + own +
		`"},"requestParameters":{"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:` + own +
		`:key/k1"},"resources":[{"accountId":"` + own + `","type":"AWS::S3::Bucket"}],"recipientAccountId":"` + own + `"}`
	if eng.MayMatchRaw([]byte("s3.amazonaws.com"), []byte("PutObject"), []byte(sameAccount)) {
		t.Error("a same-account write with the account's own key is not turned away")
	}
}
