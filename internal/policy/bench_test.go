package policy

import (
	"fmt"
	"strings"
	"testing"
)

// typicalPolicy is a 10-statement customer-managed policy of the kind
// KMS.1 inspects: scoped KMS use, a few other services, and denies.
const typicalPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "S3Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"]},
    {"Sid": "KmsUseAppKeys", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"},
    {"Sid": "KmsViaS3", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    {"Sid": "KmsDescribe", "Effect": "Allow", "Action": ["kms:Describe*", "kms:List*"], "Resource": "*"},
    {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/app/*"},
    {"Sid": "Sqs", "Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:111122223333:app-*"},
    {"Sid": "MrkRead", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:111122223333:key/mrk-*"},
    {"Sid": "DenyOtherRegions", "Effect": "Deny", "Action": "kms:*", "Resource": "arn:aws:kms:ap-*", "Condition": {"Bool": {"aws:ViaAWSService": "false"}}},
    {"Sid": "DenyKeyAdmin", "Effect": "Deny", "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"], "Resource": "*"},
    {"Sid": "DenyForeignKeys", "Effect": "Deny", "Action": "kms:*", "NotResource": "arn:aws:kms:*:111122223333:*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}
  ]
}`

// BenchmarkKMS1TypicalPolicy decides KMS.1 (kms:Decrypt on all KMS keys,
// upper and lower bound, with witness) for a 10-statement policy, with an
// Analyzer reused across policies as a scan does.
func BenchmarkKMS1TypicalPolicy(b *testing.B) {
	p, err := Parse([]byte(typicalPolicy))
	if err != nil {
		b.Fatal(err)
	}
	an := NewAnalyzer(0)
	b.ReportAllocs()
	for b.Loop() {
		ans, err := an.AllowsAll(p, "kms:Decrypt", KMSKeys("aws"))
		if err != nil || ans.Verdict != Conditional {
			b.Fatalf("verdict %s, err %v", ans.Verdict, err)
		}
	}
}

// BenchmarkKMS1TypicalPolicyCold is the same question with a fresh
// Analyzer each time: the cost of building the automata.
func BenchmarkKMS1TypicalPolicyCold(b *testing.B) {
	p, err := Parse([]byte(typicalPolicy))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ans, err := NewAnalyzer(0).AllowsAll(p, "kms:Decrypt", KMSKeys("aws"))
		if err != nil || ans.Verdict != Conditional {
			b.Fatalf("verdict %s, err %v", ans.Verdict, err)
		}
	}
}

// BenchmarkKMS1TypicalPolicyUnseen is what a scan pays per distinct policy:
// the Analyzer is warm (the key universe is built once per scan) but every
// iteration asks about a policy whose resource patterns it has not seen,
// because the account id in them changes.
func BenchmarkKMS1TypicalPolicyUnseen(b *testing.B) {
	an := NewAnalyzer(0)
	const n = 4096
	policies := make([]*Policy, n)
	for i := range policies {
		doc := strings.ReplaceAll(typicalPolicy, "111122223333", fmt.Sprintf("%012d", 100000000000+i))
		p, err := Parse([]byte(doc))
		if err != nil {
			b.Fatal(err)
		}
		policies[i] = p
	}
	if _, err := an.AllowsAll(policies[0], "kms:Decrypt", KMSKeys("aws")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 1
	for b.Loop() {
		ans, err := an.AllowsAll(policies[i%n], "kms:Decrypt", KMSKeys("aws"))
		if err != nil || ans.Verdict != Conditional {
			b.Fatalf("verdict %s, err %v", ans.Verdict, err)
		}
		i++
	}
}
