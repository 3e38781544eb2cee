package detect

import (
	"testing"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// benchEvents is a mix shaped like a real trail: mostly other services,
// KMS data-plane calls, and a few events the built-in rules care about.
func benchEvents(b *testing.B) []*cloudtrail.Record {
	b.Helper()
	set, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	var planted []string
	for _, r := range set.Rules {
		for _, s := range r.Samples {
			planted = append(planted, s.Event)
		}
	}
	common := []string{
		`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/App/i-0abc"},"eventTime":"2026-11-20T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.5","userAgent":"aws-sdk-go-v2/1.30.3","requestParameters":{"maxResults":100},"responseElements":null,"eventID":"e1","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
		`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/App/i-0abc"},"eventTime":"2026-11-20T10:00:01Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.5","userAgent":"aws-sdk-go-v2/1.30.3","requestParameters":{"bucketName":"data","key":"a/b.json"},"responseElements":null,"eventID":"e2","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::data/a/b.json"}],"eventType":"AwsApiCall","recipientAccountId":"111122223333","eventCategory":"Data"}`,
		`{"eventVersion":"1.10","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},"eventTime":"2026-11-20T10:00:02Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"ec2.amazonaws.com","userAgent":"ec2.amazonaws.com","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/App","roleSessionName":"i-0abc"},"eventID":"e3","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
		`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/App/i-0abc"},"eventTime":"2026-11-20T10:00:03Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.5","userAgent":"aws-sdk-go-v2/1.30.3","requestParameters":{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null,"eventID":"e4","readOnly":true,"resources":[{"type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/k"}],"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
		`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/App/i-0abc"},"eventTime":"2026-11-20T10:00:04Z","eventSource":"kms.amazonaws.com","eventName":"GenerateDataKey","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.5","userAgent":"aws-sdk-go-v2/1.30.3","requestParameters":{"keySpec":"AES_256","keyId":"alias/data"},"responseElements":null,"eventID":"e5","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
		`{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci"},"eventTime":"2026-11-20T10:00:05Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.30","requestParameters":{"bucketName":"data","key":"out.json","x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:111122223333:key/k"},"eventID":"e6","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","eventCategory":"Data"}`,
	}
	// 97 % common events, 3 % planted rule events.
	var raw []string
	for i := 0; len(raw) < 1000; i++ {
		if i%33 == 0 {
			raw = append(raw, planted[(i/33)%len(planted)])
		} else {
			raw = append(raw, common[i%len(common)])
		}
	}
	recs := make([]*cloudtrail.Record, len(raw))
	for i, s := range raw {
		rec, err := DecodeRecord([]byte(s))
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = rec
	}
	return recs
}

// BenchmarkMatch measures the engine with the built-in rules over decoded
// records (decoding is the reader's cost, measured in internal/cloudtrail).
func BenchmarkMatch(b *testing.B) {
	_, eng := builtinEngine(b)
	recs := benchEvents(b)
	matches := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, rec := range recs {
			matches += len(eng.Match(rec))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/event")
	if matches == 0 {
		b.Fatal("no event matched")
	}
}
