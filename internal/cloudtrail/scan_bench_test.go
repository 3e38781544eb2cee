package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
)

// benchLogFile builds a log file of n records shaped like real ones.
func benchLogFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		rec := map[string]any{
			"eventVersion": "1.09", "eventID": fmt.Sprintf("%08d-1e81-48a8-a333-7fa5f3cbd118", i), "eventTime": "2026-03-02T10:00:00Z",
			"eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
			"userAgent":         "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.210-201.852.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/ec2.describe-instances",
			"userIdentity":      map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice", "sessionContext": map[string]any{"attributes": map[string]any{"mfaAuthenticated": "false", "creationDate": "2026-03-02T09:00:00Z"}}},
			"requestParameters": map[string]any{"filterSet": map[string]any{}, "instancesSet": map[string]any{}, "maxResults": 1000, "note": `quoted "value" \ with escapes`},
			"responseElements":  nil, "readOnly": true, "eventType": "AwsApiCall", "recipientAccountId": "111122223333",
			"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "ec2.us-east-1.amazonaws.com"},
		}
		data, _ := json.Marshal(rec)
		b.Write(data)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// BenchmarkScanner measures the structural scan alone on one core, from
// memory: the ceiling for reading once inflation is paid. The sub-benchmarks
// are the walks: SIMD blocks (the default where AVX2 is), the portable
// block classifier, and the byte walk (the default elsewhere).
func BenchmarkScanner(b *testing.B) {
	data := benchLogFile(20000)
	for _, w := range []struct {
		name string
		mode walkMode
	}{{"simd", walkBlocksSIMD}, {"generic", walkBlocksGeneric}, {"bytes", walkBytes}} {
		b.Run(w.name, func(b *testing.B) {
			if w.mode == walkBlocksSIMD && !haveSIMD {
				b.Skip("no AVX2 on this machine")
			}
			b.SetBytes(int64(len(data)))
			s := &Scanner{walk: w.mode}
			r := bytes.NewReader(nil)
			for b.Loop() {
				r.Reset(data)
				s.Reset(r)
				n := 0
				for {
					_, err := s.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 20000 {
					b.Fatalf("scanned %d records", n)
				}
			}
		})
	}
}

// BenchmarkDecode measures full decoding of one record, for comparison.
func BenchmarkDecode(b *testing.B) {
	data := benchLogFile(1)
	raw := data[len(`{"Records":[`) : len(data)-2]
	b.SetBytes(int64(len(raw)))
	for range b.N {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLiteral compares ways to test a record's eventSource without
// decoding it.
func BenchmarkLiteral(b *testing.B) {
	data := benchLogFile(1)
	raw := data[len(`{"Records":[`) : len(data)-2]
	b.Run("bytes.Contains-quoted-key", func(b *testing.B) {
		lit := []byte(`"eventSource":"kms.amazonaws.com"`)
		b.SetBytes(int64(len(raw)))
		for range b.N {
			if bytes.Contains(raw, lit) {
				b.Fatal("false positive")
			}
		}
	})
	b.Run("bytes.Contains-value", func(b *testing.B) {
		lit := []byte(`kms.amazonaws.com"`)
		b.SetBytes(int64(len(raw)))
		for range b.N {
			if bytes.Contains(raw, lit) {
				b.Fatal("false positive")
			}
		}
	})
	b.Run("RawString", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for range b.N {
			if v, _ := RawString(raw, "eventSource"); string(v) == "kms.amazonaws.com" {
				b.Fatal("false positive")
			}
		}
	})
	// RawNameSource's fast path is for records without a backslash (most);
	// with one it is RawLastStrings.
	plain := bytes.Replace(raw, []byte(`,"note":"quoted \"value\" \\ with escapes"`), nil, 1)
	if bytes.IndexByte(plain, '\\') >= 0 {
		b.Fatalf("record still has escapes: %s", plain)
	}
	b.Run("RawNameSource-no-escapes", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for range b.N {
			if _, v, _ := RawNameSource(plain); string(v) == "kms.amazonaws.com" {
				b.Fatal("false positive")
			}
		}
	})
	b.Run("RawNameSource-escapes", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for range b.N {
			if _, v, _ := RawNameSource(raw); string(v) == "kms.amazonaws.com" {
				b.Fatal("false positive")
			}
		}
	})
	b.Run("RawLastStrings", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for range b.N {
			if _, v, _ := RawLastStrings(raw, "eventName", "eventSource"); string(v) == "kms.amazonaws.com" {
				b.Fatal("false positive")
			}
		}
	})
}
