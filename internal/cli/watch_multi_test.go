package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
	"github.com/kmsguard/kmsguard/internal/state/pgtest"
)

// iamThenKMSRule is the built-in correlation "IAM change granting KMS
// permissions followed by a destructive KMS action".
const iamThenKMSRule = "5d0f3f7e-8c1a-4b6e-9d2f-7a3b4c5d6e7f"

// putRecords uploads a gzip log file holding recs.
func (e *watchEnv) putRecords(t *testing.T, key string, recs ...map[string]any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key), Body: bytes.NewReader(gzipBytes(t, body))}); err != nil {
		t.Fatal(err)
	}
}

// ctRecord is a CloudTrail record of actor calling name at at.
func ctRecord(id, source, name, actor string, at time.Time, params map[string]any) map[string]any {
	return map[string]any{
		"eventVersion": "1.09", "eventID": id, "eventName": name, "eventSource": source,
		"eventTime": at.UTC().Format(time.RFC3339), "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
		"userIdentity":      map[string]any{"type": "IAMUser", "arn": actor, "accountId": "111122223333"},
		"requestParameters": params,
	}
}

// TestWatchTwoWorkersPostgres runs two watch processes (in-process, two
// receive loops each) on one SQS queue and one PostgreSQL database. Five
// principals each disable four keys, one key per log file, so SQS spreads
// every principal's events over both workers; a sixth principal grants
// itself KMS permissions in one file and disables a key in another. Every
// alert must arrive exactly once on each of two channels, no event may be
// skipped, and each correlation must alert exactly once.
func TestWatchTwoWorkersPostgres(t *testing.T) {
	e := newWatchEnv(t)
	dsn := pgtest.DSN(t)
	now := time.Now().UTC()
	const principals, keysEach = 5, 4
	var keys []string
	disables := map[string]bool{}
	for f := range principals * keysEach {
		actor := fmt.Sprintf("arn:aws:iam::111122223333:user/p%d", f%principals)
		id := fmt.Sprintf("m-%03d", f)
		disables[id] = true
		key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/m%03d.json.gz", f)
		e.putRecords(t, key, ctRecord(id, "kms.amazonaws.com", "DisableKey", actor, now.Add(time.Duration(f)*time.Second),
			map[string]any{"keyId": fmt.Sprintf("arn:aws:kms:us-east-1:111122223333:key/%08d-2222-4000-8000-000000000000", f)}))
		keys = append(keys, key)
	}
	escalator := "arn:aws:iam::111122223333:user/escalator"
	e.putRecords(t, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/esc-a.json.gz",
		ctRecord("esc-grant", "iam.amazonaws.com", "PutUserPolicy", escalator, now.Add(-time.Minute),
			map[string]any{"userName": "escalator", "policyName": "p", "policyDocument": `{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`}))
	e.putRecords(t, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/esc-b.json.gz",
		ctRecord("esc-disable", "kms.amazonaws.com", "DisableKey", escalator, now,
			map[string]any{"keyId": "arn:aws:kms:us-east-1:111122223333:key/99999999-2222-4000-8000-000000000000"}))
	disables["esc-disable"] = true
	// The destructive action's file first: the correlation must not depend
	// on arrival order.
	keys = append([]string{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/esc-b.json.gz"}, keys...)
	keys = append(keys, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/esc-a.json.gz")

	// A second channel: every alert goes to both, and each must get it once.
	soc := &webhookReceiver{}
	socSrv := httptest.NewServer(soc)
	t.Cleanup(socSrv.Close)
	t.Setenv("KMSGUARD_TEST_WEBHOOK2", socSrv.URL+"/soc")
	cfg := `notify:
  channels:
    - name: siem
      rate_limit: -1
      webhook: {url: "env:KMSGUARD_TEST_WEBHOOK", secret: "env:KMSGUARD_TEST_HMAC"}
    - name: soc
      rate_limit: -1
      webhook: {url: "env:KMSGUARD_TEST_WEBHOOK2", secret: "env:KMSGUARD_TEST_HMAC"}
  routes:
    - {channels: [siem, soc]}
`
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	stop1 := e.start(t, "--state", dsn, "--sqs-workers", "2")
	stop2 := e.start(t, "--state", dsn, "--sqs-workers", "2")
	waitFor(t, "both workers to poll", func() bool { return e.fake.Requests("ReceiveMessage") >= 4 })
	for _, key := range keys {
		e.fake.Send(e.queue, e.notification(key))
		time.Sleep(30 * time.Millisecond) // let the waiting pollers of both workers take turns
	}
	wantAlerts := alertsPerEvent*len(disables) + principals + 1 // + the bulk and the IAM-then-KMS correlations
	waitFor(t, "every alert on both channels", func() bool {
		soc.mu.Lock()
		n := len(soc.perID)
		soc.mu.Unlock()
		return e.distinct() >= wantAlerts && n >= wantAlerts
	})
	waitFor(t, "the queue to drain", e.queueEmpty)
	time.Sleep(300 * time.Millisecond) // give a wrong second delivery time to arrive
	var logs []string
	for _, stop := range []func() (int, string){stop1, stop2} {
		code, stderr := stop()
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		logs = append(logs, stderr)
	}
	for i, l := range logs {
		if !strings.Contains(l, "msg=alert ") {
			t.Errorf("worker %d queued no alert: the queue was not shared", i+1)
		}
	}

	soc.mu.Lock()
	defer soc.mu.Unlock()
	e.hook.mu.Lock()
	defer e.hook.mu.Unlock()
	for name, r := range map[string]*webhookReceiver{"siem": e.hook, "soc": soc} {
		if len(r.ids) != len(r.perID) || len(r.perID) != wantAlerts {
			t.Errorf("channel %s: %d deliveries of %d distinct alerts, want %d of each", name, len(r.ids), len(r.perID), wantAlerts)
		}
	}
	for id := range e.hook.perID {
		if soc.perID[id] != 1 {
			t.Errorf("alert %s reached siem but reached soc %d times", id, soc.perID[id])
		}
	}
	perEvent := map[string]int{}
	bulk, iam := map[string]int{}, 0
	for _, doc := range e.hook.alerts {
		d, _ := doc["details"].(map[string]any)
		switch doc["rule_id"] {
		case bulkDeletionRule:
			g, _ := d["group.userIdentity.arn"].(string)
			bulk[g]++
		case iamThenKMSRule:
			iam++
		default:
			ev, _ := doc["event_id"].(string)
			perEvent[ev]++
		}
	}
	for ev := range disables {
		if perEvent[ev] != alertsPerEvent {
			t.Errorf("event %s: %d alerts, want %d", ev, perEvent[ev], alertsPerEvent)
		}
	}
	for p := range principals {
		if g := fmt.Sprintf("arn:aws:iam::111122223333:user/p%d", p); bulk[g] != 1 {
			t.Errorf("principal p%d: %d bulk-deletion alerts, want 1", p, bulk[g])
		}
	}
	if len(bulk) != principals {
		t.Errorf("bulk-deletion alerts for %d principals, want %d: %v", len(bulk), principals, bulk)
	}
	if iam != 1 {
		t.Errorf("%d IAM-then-KMS alerts, want 1", iam)
	}
	if len(e.hook.perID) != wantAlerts {
		t.Errorf("%d distinct alerts, want %d", len(e.hook.perID), wantAlerts)
	}
}

// TestWatchLiveInventoryRefresh runs watch with --live-inventory against
// the AWS fake (KMS over its JSON protocol) and changes the key's tags
// between two refreshes: an alert before the change is enriched with the
// old tags, one after it with the new, and its severity rises for the key
// now tagged production.
func TestWatchLiveInventoryRefresh(t *testing.T) {
	e := newWatchEnv(t)
	const id = "1111aaaa-1111-1111-1111-111111111111"
	key := &awsfake.Key{ID: id, Manager: "CUSTOMER", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS",
		State: "Enabled", Created: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Policy: `{"Version":"2012-10-17","Statement":[]}`,
		Tags: []awsfake.Tag{{Key: "environment", Value: "staging"}, {Key: "owner", Value: "payments"}}}
	srv := awsfake.New(awsfake.Config{Accounts: []*awsfake.Account{{
		ID: "111122223333", AccessKey: "AKIDTEST", UserARN: "arn:aws:iam::111122223333:user/auditor",
		Regions: map[string]*awsfake.Region{"us-east-1": {Keys: []*awsfake.Key{key}}},
	}}})
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL) // SQS and S3 keep their explicit endpoints
	tagCalls := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Operation == "ListResourceTags" {
				n++
			}
		}
		return n
	}

	stop := e.start(t, "--live-inventory", "--refresh", "200ms", "--region", "us-east-1")
	e.putLog(t, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/l1.json.gz", "ev-live-1")
	e.fake.Send(e.queue, e.notification("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/l1.json.gz"))
	waitFor(t, "the first alerts", func() bool { return e.hook.count() >= alertsPerEvent })

	srv.Mutate(func() {
		key.Tags = []awsfake.Tag{{Key: "environment", Value: "production"}, {Key: "owner", Value: "payments"}}
	})
	// The second ListResourceTags after the change belongs to a collect that
	// started after a whole collect made after the change, which has
	// therefore replaced the inventory.
	seen := tagCalls()
	waitFor(t, "a refresh after the change", func() bool { return tagCalls() >= seen+2 })
	e.putLog(t, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/l2.json.gz", "ev-live-2")
	e.fake.Send(e.queue, e.notification("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/l2.json.gz"))
	waitFor(t, "the second alerts", func() bool { return e.hook.count() >= 2*alertsPerEvent })
	if code, stderr := stop(); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}

	e.hook.mu.Lock()
	defer e.hook.mu.Unlock()
	type seenAlert struct{ severity, env, production string }
	got := map[string]seenAlert{}
	for _, doc := range e.hook.alerts {
		if doc["rule_id"] != "fcfcb8c4-0f20-4bf1-bfcf-798516697a85" { // key disabled or scheduled for deletion: medium
			continue
		}
		enr, _ := doc["enrichment"].(map[string]any)
		env, _ := enr["key.tag.environment"].(string)
		prod, _ := enr["key.production"].(string)
		sev, _ := doc["severity"].(string)
		ev, _ := doc["event_id"].(string)
		got[ev] = seenAlert{sev, env, prod}
	}
	// mallory is not on the allowlist (+1); the production tag adds one more.
	want := map[string]seenAlert{
		"ev-live-1": {"high", "staging", ""}, // key.production is set only when true
		"ev-live-2": {"critical", "production", "true"},
	}
	for ev, w := range want {
		if got[ev] != w {
			t.Errorf("%s: severity %q, environment %q, production %q; want %+v", ev, got[ev].severity, got[ev].env, got[ev].production, w)
		}
	}
}
