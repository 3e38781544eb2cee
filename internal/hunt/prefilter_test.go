package hunt

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kmsguard/kmsguard/internal/cloudtrail/ctgen"
	"github.com/kmsguard/kmsguard/internal/source"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
)

func TestPrefilter(t *testing.T) {
	eng := builtinEngine(t)
	pf := newPrefilter(eng)
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{"watched pair", `{"eventSource":"kms.amazonaws.com","eventName":"DisableKey"}`, true},
		{"case folded like the engine", `{"eventSource":"KMS.amazonaws.com","eventName":"disablekey"}`, true},
		{"unwatched name", `{"eventSource":"kms.amazonaws.com","eventName":"Decrypt"}`, false},
		{"watched name, other source", `{"eventSource":"ec2.amazonaws.com","eventName":"DisableKey"}`, false},
		{"S3 write with another account's KMS key", `{"eventSource":"s3.amazonaws.com","eventName":"PutObject","recipientAccountId":"111122223333","requestParameters":{"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:444455556666:key/k"}}`, true},
		{"S3 write with the owner's KMS key: no rule can match", `{"eventSource":"s3.amazonaws.com","eventName":"PutObject","recipientAccountId":"444455556666","requestParameters":{"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:444455556666:key/k"}}`, false},
		{"S3 write with a KMS key, no owner to compare: no rule can match", `{"eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:444455556666:key/k"}}`, false},
		{"S3 write without a KMS key: no rule can match", `{"eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"bucketName":"b"}}`, false},
		{"S3 write, key spelt with escapes: decode", `{"eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"x-amz-server-side-encryption-aws-kms-key-\u0069d":"arn:aws:kms:us-east-1:444455556666:key/k"}}`, true},
		{"S3 write, escape elsewhere: decode", `{"eventSource":"s3.amazonaws.com","eventName":"PutObject","userAgent":"\u0041"}`, true},
		{"named twice (nested): not confused", `{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","requestParameters":{"eventName":"DisableKey"}}`, false},
		{"not a syntax check: names decide", `{"eventSource":"kms.amazonaws.com",,"eventName":"Decrypt"}`, false},
		{"unreadable: decode", `{"eventSource":"kms.amazonaws.com",,"eventName":"Decrypt","x":"\\"}`, true},
		{"duplicate member: decode", `{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventName":"DisableKey"}`, true},
		{"spaced member", `{"eventSource":"kms.amazonaws.com","eventName" : "Decrypt"}`, false},
		{"escaped duplicate before the last member", `{"eventSource":"kms.amazonaws.com","event\u004eame":"DisableKey","eventName":"Decrypt"}`, false},
		{"escaped duplicate after: decode", `{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","event\u004eame":"DisableKey"}`, true},
		{"only nested: decode", `{"eventSource":"kms.amazonaws.com","requestParameters":{"eventName":"Decrypt"}}`, true},
		{"quoted text is not a member", `{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","userAgent":"x \"eventName\":\"DisableKey\""}`, false},
		{"no eventName: decode and let the engine decide", `{"eventSource":"kms.amazonaws.com"}`, true},
		{"escaped name: decode", `{"eventSource":"kms.amazonaws.com","eventName":"Disable\u004bey"}`, true},
		{"name not a string: decode", `{"eventSource":"kms.amazonaws.com","eventName":7}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pf.candidate([]byte(tt.raw)); got != tt.want {
				t.Errorf("candidate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrefilterCatchAll(t *testing.T) {
	set, err := detect.ParseRuleSet("catchall.yml", []byte(`title: any record from a foreign account
id: 3b7f2c1e-9a4d-4e8b-8c6f-2d1e0a9b7c55
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        recipientAccountId: '999999999999'
    condition: sel
`))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := detect.NewEngine(set, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pf := newPrefilter(eng)
	if !pf.candidate([]byte(`{"eventName":"Anything","eventSource":"x.amazonaws.com"}`)) {
		t.Error("a catch-all rule set must decode every record")
	}
}

// FuzzPrefilter holds the prefilter to the engine: a record the engine
// matches must never be screened out.
func FuzzPrefilter(f *testing.F) {
	for _, s := range []string{
		`{"eventSource":"kms.amazonaws.com","eventName":"DisableKey","recipientAccountId":"111122223333"}`,
		`{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","requestParameters":{"pendingWindowInDays":7}}`,
		`{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}`,
		`{"eventName":"DisableKey","eventSource":"kms.amazonaws.com","errorCode":"AccessDenied"}`,
		`{"eventSource" : "kms.amazonaws.com" , "eventName" : "DisableKey"}`,
		`{"eventSource":"kms.amazonaws.com","eventName":"DisableKey","eventName":"Decrypt"}`,
		`{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventName":"DisableKey"}`,
		`{"eventSource":"kms.amazonaws.com","event\u004eame":"DisableKey","eventName":"Decrypt"}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","recipientAccountId":"111122223333","requestParameters":{"bucketName":"b","x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:444455556666:key/k"}}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"CopyObject","recipientAccountId":"111122223333","requestParameters":{"x-amz-server-side-encryption-aws-kms-key-\u0069d":"arn:aws:kms:us-east-1:444455556666:key/k"}}`,
	} {
		f.Add([]byte(s))
	}
	eng := builtinEngine(f)
	pf := newPrefilter(eng)
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, err := cloudtrail.Decode(raw)
		if err != nil {
			return
		}
		if len(eng.Match(rec)) > 0 && !pf.candidate(raw) {
			t.Fatalf("engine matches but the prefilter skips %q", raw)
		}
	})
}

// BenchmarkPrefilter screens records of a generated corpus held in memory
// (raw bytes, as the reader yields them): 400 records, about 450 KB, so
// that they stay in cache as a record just scanned does.
func BenchmarkPrefilter(b *testing.B) {
	dir := b.TempDir()
	if _, err := ctgen.WriteDir(context.Background(), dir, ctgen.Config{Events: 5000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	src, err := source.Open(filepath.Join(dir, "AWSLogs"), source.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var (
		mu   sync.Mutex
		recs [][]byte
		size int64
	)
	if _, err := source.Read(context.Background(), []source.Source{src}, source.ReadOptions{Workers: 1}, func(_ int, it source.Item) error {
		mu.Lock()
		defer mu.Unlock()
		recs = append(recs, bytes.Clone(it.Raw))
		size += int64(len(it.Raw))
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	recs, size = recs[:min(len(recs), 400)], 0
	for _, r := range recs {
		size += int64(len(r))
	}
	eng := builtinEngine(b)
	pf := newPrefilter(eng)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, r := range recs {
			if pf.candidate(r) {
				n++
			}
		}
		b.ReportMetric(float64(n), "candidates/op")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
