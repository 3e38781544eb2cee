package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// correlateBenchEvents builds one pass of events for the two built-in
// correlations: 10,000 principals (half IAM users, half role sessions),
// each making IAM policy changes and destructive KMS calls on a few of 50
// keys, interleaved, 10 ms of eventTime apart, with a little jitter so
// some arrive out of order.
func correlateBenchEvents(b *testing.B, principals, events int) []*cloudtrail.Record {
	b.Helper()
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	out := make([]*cloudtrail.Record, 0, events)
	for i := 0; i < events; i++ {
		p := (i * 7919) % principals
		ident := fmt.Sprintf(`{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u%d","accountId":"111122223333","userName":"u%d"}`, p, p)
		if p%2 == 1 {
			ident = fmt.Sprintf(`{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/R%d/s%d","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/R%d"}}}`, p, i%3, p)
		}
		at := start.Add(time.Duration(i)*10*time.Millisecond - time.Duration(i%5)*time.Second).Format(time.RFC3339)
		key := fmt.Sprintf("arn:aws:kms:us-east-1:111122223333:key/%08x-1111-4111-8111-111111111111", (i/principals+p)%50)
		var js string
		switch (i/principals + p) % 4 { // each principal cycles through all four
		case 0:
			js = fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":%s,"eventTime":%q,"eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy","awsRegion":"us-east-1","requestParameters":{"userName":"u","policyName":"p","policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"},"eventID":"ev%d","recipientAccountId":"111122223333"}`, ident, at, i)
		case 1:
			js = fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":%s,"eventTime":%q,"eventSource":"kms.amazonaws.com","eventName":"DisableKey","awsRegion":"us-east-1","requestParameters":{"keyId":%q},"resources":[{"type":"AWS::KMS::Key","ARN":%q}],"eventID":"ev%d","recipientAccountId":"111122223333"}`, ident, at, key, key, i)
		case 2:
			js = fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":%s,"eventTime":%q,"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","awsRegion":"us-east-1","requestParameters":{"keyId":%q,"pendingWindowInDays":30},"resources":[{"type":"AWS::KMS::Key","ARN":%q}],"eventID":"ev%d","recipientAccountId":"111122223333"}`, ident, at, key, key, i)
		default:
			js = fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":%s,"eventTime":%q,"eventSource":"kms.amazonaws.com","eventName":"PutKeyPolicy","awsRegion":"us-east-1","requestParameters":{"keyId":%q,"policyName":"default","policy":"{}"},"resources":[{"type":"AWS::KMS::Key","ARN":%q}],"eventID":"ev%d","recipientAccountId":"111122223333"}`, ident, at, key, key, i)
		}
		out = append(out, record(b, js))
	}
	return out
}

// BenchmarkCorrelate measures events per second through the detection
// engine and the two built-in correlations, with 10,000 principals live.
// A pool of 40,000 records is replayed with eventTime moved on by the
// pool's span each pass, so windows fill, fire, expire and restart as in
// a long stream. Record decoding is the reader's cost and is excluded.
func BenchmarkCorrelate(b *testing.B) {
	set, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := NewEngine(set, Options{})
	if err != nil {
		b.Fatal(err)
	}
	const pool = 40_000
	recs := correlateBenchEvents(b, 10_000, pool)
	base := make([]time.Time, len(recs))
	for i, r := range recs {
		base[i], _ = time.Parse(time.RFC3339, r.String("eventTime"))
	}
	span := pool * 10 * time.Millisecond
	c, err := NewCorrelator(set, CorrelatorOptions{})
	if err != nil {
		b.Fatal(err)
	}
	alerts := 0
	b.ReportAllocs()
	cpu0, cpuOK := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := recs[i%pool]
		rec.Fields["eventTime"] = base[i%pool].Add(time.Duration(i/pool) * span).Format(time.RFC3339)
		for _, m := range eng.Match(rec) {
			alerts += len(c.Observe(m, rec))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu1, ok := processCPU(); ok && cpuOK {
		// GC runs on other threads, so this includes its cost too.
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/event")
	}
	groups := 0
	for _, s := range c.Stats() {
		groups += s.Groups
	}
	b.ReportMetric(float64(groups), "groups")
	b.ReportMetric(float64(alerts), "alerts")
}

// BenchmarkCorrelateBusyGroup is the worst case for a window: one role
// making destructive KMS calls all day (automation) with no IAM change, so
// the temporal_ordered group holds up to an hour and a quarter of events
// that never qualify, and every key is a new value for value_count.
func BenchmarkCorrelateBusyGroup(b *testing.B) {
	set, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := NewEngine(set, Options{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewCorrelator(set, CorrelatorOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rec := record(b, `{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Automation/s","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Automation"}}},"eventTime":"2026-11-20T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"PutKeyPolicy","awsRegion":"us-east-1","requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/k","policyName":"default","policy":"{}"},"eventID":"e","recipientAccountId":"111122223333"}`)
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// One call a second: 4,500 live events in the 1h15m the group keeps.
		rec.Fields["eventTime"] = start.Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		rec.Fields["eventID"] = fmt.Sprintf("e%d", i)
		for _, m := range eng.Match(rec) {
			c.Observe(m, rec)
		}
	}
}
