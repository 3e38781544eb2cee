package live

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

// benchKMSQuota is the KMS request quota the fake enforces per account and
// region in BenchmarkCollect1000Keys (a token bucket holding 200 ms of quota),
// and the rate the collector is told it may use.
const benchKMSQuota = 100

// BenchmarkCollect1000Keys collects 1,000 keys in one region from an
// endpoint that answers after 50 ms and throttles KMS above benchKMSQuota
// requests per second. It reports x-rate-limit: the elapsed time divided by
// the time the quota itself imposes (KMS requests / quota); the target is
// at most 1.3, with no call failed.
func BenchmarkCollect1000Keys(b *testing.B) {
	keys := make([]*awsfake.Key, 1000)
	for i := range keys {
		keys[i] = &awsfake.Key{
			ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), Description: "bench", Manager: "CUSTOMER",
			Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", State: "Enabled",
			Created: day1, Policy: keyPolicy, RotationEnabled: i%2 == 0,
			Grants: []awsfake.Grant{{ID: "g", Grantee: "arn:aws:iam::111111111111:role/app", Operations: []string{"Decrypt"}, Created: day1}},
			Tags:   []awsfake.Tag{{Key: "owner", Value: "bench"}},
		}
	}
	world := awsfake.Config{
		Accounts: []*awsfake.Account{{
			ID: "111111111111", AccessKey: "AKIAFAKEBENCH",
			Regions: map[string]*awsfake.Region{"eu-west-1": {Keys: keys}},
		}},
		Latency:  50 * time.Millisecond,
		KMSRate:  benchKMSQuota,
		KMSBurst: benchKMSQuota / 5,
		PageSize: 1000,
	}
	var ratio, requests, throttled float64
	for b.Loop() {
		srv := awsfake.New(world)
		o := fakeOptions(b, srv, "AKIAFAKEBENCH")
		o.KMSRate = benchKMSQuota
		start := time.Now()
		sum, err := Collect(context.Background(), o, NewMemSink())
		elapsed := time.Since(start)
		stats := srv.Stats()
		srv.Close()
		if err != nil {
			b.Fatal(err)
		}
		if sum.Partial() || sum.Keys != len(keys) {
			b.Fatalf("collection incomplete: %d keys, %d failures, first %+v", sum.Keys, len(sum.Failures), sum.Failures)
		}
		var kmsRequests int64
		for op, n := range stats.Calls {
			if len(op) > 4 && op[:4] == "kms:" {
				kmsRequests += n
			}
		}
		imposed := time.Duration(float64(kmsRequests) / benchKMSQuota * float64(time.Second))
		ratio += elapsed.Seconds() / imposed.Seconds()
		requests += float64(kmsRequests)
		throttled += float64(stats.Throttled)
	}
	n := float64(b.N)
	b.ReportMetric(ratio/n, "x-rate-limit")
	b.ReportMetric(requests/n, "kms-requests/op")
	b.ReportMetric(throttled/n, "throttled/op")
}
