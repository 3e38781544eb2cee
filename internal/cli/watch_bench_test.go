package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// benchLog is a gzip log file of n records: one DisableKey (which two
// built-in rules alert on) and n-1 Decrypt calls (which no rule matches),
// the usual mix of a busy account's KMS trail.
func benchLog(b *testing.B, file, n int) []byte {
	b.Helper()
	recs := make([]map[string]any, 0, n)
	now := time.Now().UTC().Format(time.RFC3339)
	for i := range n {
		name := "Decrypt"
		if i == 0 {
			name = "DisableKey"
		}
		recs = append(recs, map[string]any{
			"eventVersion": "1.09", "eventID": fmt.Sprintf("f%06d-e%03d", file, i), "eventName": name,
			"eventSource": "kms.amazonaws.com", "eventTime": now, "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
			"sourceIPAddress": "10.0.0.1", "userAgent": "aws-sdk-go-v2/1.30.0",
			"userIdentity":      map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/app/i-0abc", "accountId": "111122223333"},
			"requestParameters": map[string]any{"keyId": "arn:aws:kms:us-east-1:111122223333:key/1111aaaa-1111-1111-1111-111111111111", "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
			"resources":         []any{map[string]any{"type": "AWS::KMS::Key", "ARN": "arn:aws:kms:us-east-1:111122223333:key/1111aaaa-1111-1111-1111-111111111111"}},
			"readOnly":          true, "eventType": "AwsApiCall", "managementEvent": true, "eventCategory": "Management",
		})
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_ = json.NewEncoder(zw).Encode(map[string]any{"Records": recs})
	_ = zw.Close()
	return buf.Bytes()
}

// BenchmarkWatchSQSSustained sends one CloudTrail notification per
// iteration, each naming a 100-event log file, paced at 20 files per second
// (2,000 events/s), through the whole watch path: SQS (the fake, long
// polling) -> S3 (gofakes3) -> detection -> SQLite outbox -> webhook. It
// reports the p50/p99 latency from the message being sent (an upper
// bound of its receipt) to the webhook receiving each alert.
//
//	go test ./internal/cli -run '^$' -bench WatchSQSSustained -benchtime 400x
func BenchmarkWatchSQSSustained(b *testing.B) {
	const eventsPerFile, filesPerSecond = 100, 20
	e := newWatchEnv(b)
	keys := make([]string, b.N)
	for i := range b.N {
		keys[i] = fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/f%06d.json.gz", i)
		if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(keys[i]), Body: bytes.NewReader(benchLog(b, i, eventsPerFile))}); err != nil {
			b.Fatal(err)
		}
	}
	stop := e.start(b, "--sqs-workers", "4", "--log-level", "warn")
	sent := make(map[string]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / filesPerSecond)))
		sent[fmt.Sprintf("f%06d-e000", i)] = time.Now()
		e.fake.Send(e.queue, e.notification(keys[i]))
	}
	deadline := time.Now().Add(60 * time.Second)
	for e.hook.count() < alertsPerEvent*b.N && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	code, stderr := stop()
	if code != ExitOK {
		b.Fatalf("exit %d: %s", code, stderr)
	}
	e.hook.mu.Lock()
	defer e.hook.mu.Unlock()
	if len(e.hook.arrived) != alertsPerEvent*b.N {
		b.Fatalf("%d alerts delivered, want %d", len(e.hook.arrived), alertsPerEvent*b.N)
	}
	var lat []time.Duration
	for i, doc := range e.hook.alerts {
		ev, _ := doc["event_id"].(string)
		s, ok := sent[ev]
		if !ok {
			b.Fatalf("alert %d names unknown event %q", i, ev)
		}
		lat = append(lat, e.hook.arrived[e.hook.ids[i]].Sub(s))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(eventsPerFile*b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
