package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kmsguard/kmsguard/internal/notify"
	"github.com/kmsguard/kmsguard/internal/source/sqssource/sqsfake"
)

// webhookReceiver is a generic-webhook endpoint that checks signatures,
// records every delivery in arrival order, and deduplicates by the
// Idempotency-Key header the way a well-built receiver (or PagerDuty, by
// dedup_key) does: a delivery whose key it has already accepted is
// answered 200 and not processed again.
type webhookReceiver struct {
	mu     sync.Mutex
	ids    []string
	alerts []map[string]any
	bad    int
	// arrived maps alert IDs to when they first arrived; perID counts
	// arrivals per alert ID.
	arrived map[string]time.Time
	perID   map[string]int
	// byKey maps each accepted Idempotency-Key to its alert ID; processed
	// counts, per alert ID, the deliveries accepted as new (more than one
	// is a duplicate the receiver's dedup could not catch); noKey counts
	// deliveries without the header.
	byKey     map[string]string
	processed map[string]int
	noKey     int
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := notify.VerifySignature([]byte("hmac-secret"), r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body, time.Now(), time.Minute); err != nil {
		w.bad++
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	var doc map[string]any
	_ = json.Unmarshal(body, &doc)
	id := r.Header.Get(notify.HeaderAlertID)
	w.ids = append(w.ids, id)
	w.alerts = append(w.alerts, doc)
	if w.arrived == nil {
		w.arrived, w.perID = map[string]time.Time{}, map[string]int{}
		w.byKey, w.processed = map[string]string{}, map[string]int{}
	}
	if w.perID[id]++; w.perID[id] == 1 {
		w.arrived[id] = time.Now()
	}
	key := r.Header.Get(notify.HeaderIdempotencyKey)
	switch _, seen := w.byKey[key]; {
	case key == "":
		w.noKey++
		w.processed[id]++
	case seen:
		rw.WriteHeader(http.StatusOK) // already processed: acknowledge, do nothing
		return
	default:
		w.byKey[key] = id
		w.processed[id]++
	}
	rw.WriteHeader(http.StatusNoContent)
}

func (w *webhookReceiver) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ids)
}

type watchEnv struct {
	fake        *sqsfake.Server
	s3          *s3.Client
	s3URL       string
	queue, dlq  string
	hook        *webhookReceiver
	config, dir string
}

func newWatchEnv(t testing.TB) *watchEnv {
	t.Helper()
	e := &watchEnv{fake: sqsfake.New(), hook: &webhookReceiver{}, dir: t.TempDir()}
	t.Cleanup(e.fake.Close)
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3srv.Close)
	e.s3URL = s3srv.URL
	hook := httptest.NewServer(e.hook)
	t.Cleanup(hook.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(e.dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(e.dir, "none"))
	t.Setenv("KMSGUARD_TEST_WEBHOOK", hook.URL+"/hook")
	t.Setenv("KMSGUARD_TEST_HMAC", "hmac-secret")
	e.s3 = s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired})
	if _, err := e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}); err != nil {
		t.Fatal(err)
	}
	e.queue = e.fake.CreateQueue("trail", sqsfake.QueueOptions{})
	e.dlq = e.fake.CreateQueue("trail-dlq", sqsfake.QueueOptions{})
	e.config = filepath.Join(e.dir, "kmsguard.yaml")
	cfg := `notify:
  channels:
    - name: siem
      rate_limit: -1
      webhook: {url: "env:KMSGUARD_TEST_WEBHOOK", secret: "env:KMSGUARD_TEST_HMAC"}
  routes:
    - {channels: [siem]}
allowlist:
  principals:
    - {pattern: "arn:aws:iam::111122223333:role/kms-admin", reason: "key administrators"}
`
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// putLog uploads a gzip log file with one DisableKey event per ID (the
// built-in rule "key disabled or scheduled for deletion" fires on each).
func (e *watchEnv) putLog(t *testing.T, key string, ids ...string) {
	t.Helper()
	var recs []map[string]any
	for _, id := range ids {
		recs = append(recs, map[string]any{
			"eventVersion": "1.09", "eventID": id, "eventName": "DisableKey", "eventSource": "kms.amazonaws.com",
			"eventTime": time.Now().UTC().Format(time.RFC3339), "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
			"userIdentity":      map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory", "accountId": "111122223333"},
			"requestParameters": map[string]any{"keyId": "arn:aws:kms:us-east-1:111122223333:key/1111aaaa-1111-1111-1111-111111111111"},
		})
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_ = json.NewEncoder(zw).Encode(map[string]any{"Records": recs})
	_ = zw.Close()
	if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}); err != nil {
		t.Fatal(err)
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (e *watchEnv) notification(key string) string {
	inner := fmt.Sprintf(`{"s3Bucket":"trail-bucket","s3ObjectKey":[%q]}`, key)
	b, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "x", "Message": inner})
	return string(b)
}

// start runs kmsguard watch in-process until the returned stop is called;
// stop returns the exit code and stderr.
func (e *watchEnv) start(t testing.TB, extra ...string) (stop func() (int, string)) {
	t.Helper()
	args := append([]string{"watch", "--log-level", "info", "--sqs-queue", e.queue, "--sqs-endpoint", e.fake.URL,
		"--s3-endpoint", e.s3URL, "--sqs-dead-letter-queue", e.dlq, "--config", e.config,
		"--state", filepath.Join(e.dir, "state.db")}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() { done <- Run(ctx, args, &out, &errb) }()
	var once sync.Once
	var code int
	stop = func() (int, string) {
		once.Do(func() {
			cancel()
			code = <-done
		})
		return code, errb.String()
	}
	t.Cleanup(func() {
		if _, stderr := stop(); t.Failed() {
			t.Logf("kmsguard watch stderr:\n%s", stderr)
		}
	})
	return stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *watchEnv) queueEmpty() bool {
	v, f := e.fake.Depth(e.queue)
	return v == 0 && f == 0
}

// alertsPerEvent: two built-in rules match a successful DisableKey (the
// configuration change and the key disabled or scheduled for deletion).
const alertsPerEvent = 2

func TestWatchSQSToWebhook(t *testing.T) {
	e := newWatchEnv(t)
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/a.json.gz"
	e.putLog(t, key, "ev-1")
	e.fake.Send(e.queue, e.notification(key))
	e.fake.Send(e.queue, "this is not a notification")
	stop := e.start(t)
	waitFor(t, "the alerts at the webhook", func() bool { return e.hook.count() == alertsPerEvent })
	waitFor(t, "the queue to drain", e.queueEmpty)

	// Redelivery of the same notification (SQS at-least-once) does not
	// alert again.
	e.fake.Send(e.queue, e.notification(key))
	waitFor(t, "the redelivered message to be processed", e.queueEmpty)
	time.Sleep(300 * time.Millisecond) // give a wrong second delivery time to arrive
	code, stderr := stop()
	if code != ExitOK {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	if n := e.hook.count(); n != alertsPerEvent {
		t.Errorf("webhook received %d alerts, want %d (redelivery must not alert twice)", n, alertsPerEvent)
	}
	if e.hook.bad != 0 {
		t.Errorf("%d deliveries had a bad signature", e.hook.bad)
	}
	if got := e.fake.Bodies(e.dlq); len(got) != 1 || got[0] != "this is not a notification" {
		t.Errorf("dead-letter queue = %q, want the poison message", got)
	}
	a := e.hook.alerts[0]
	if a == nil || !strings.Contains(fmt.Sprint(a), "ev-1") {
		t.Errorf("webhook body does not name the event: %v", a)
	}
	if strings.Contains(stderr, "hmac-secret") || strings.Contains(stderr, "/hook") {
		t.Error("a secret (webhook URL or HMAC key) appears in the logs")
	}

	// A restart on the same state still does not deliver it again, and
	// `kmsguard alerts` lists it.
	stop = e.start(t)
	time.Sleep(300 * time.Millisecond)
	stop()
	if n := e.hook.count(); n != alertsPerEvent {
		t.Errorf("after restart the webhook received %d alerts, want %d", n, alertsPerEvent)
	}
	code, out, _ := runCLI(t, "", "alerts", "--state", filepath.Join(e.dir, "state.db"), "--format", "json")
	if code != ExitOK || !strings.Contains(out, "ev-1") {
		t.Errorf("kmsguard alerts (code %d) does not list the alert:\n%s", code, out)
	}
}

func TestWatchEnrichesAndRaisesSeverity(t *testing.T) {
	e := newWatchEnv(t)
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/b.json.gz"
	e.putLog(t, key, "ev-2")
	e.fake.Send(e.queue, e.notification(key))
	stop := e.start(t)
	waitFor(t, "the alerts at the webhook", func() bool { return e.hook.count() == alertsPerEvent })
	stop()
	body := fmt.Sprint(e.hook.alerts[0])
	// mallory is not on the allowlist: medium rises to high.
	for _, want := range []string{"actor.authorised:false", "severity.raised:actor not on the allowlist"} {
		if !strings.Contains(body, want) {
			t.Errorf("webhook body lacks %q:\n%s", want, body)
		}
	}
}

func TestWatchFollowsDirectory(t *testing.T) {
	e := newWatchEnv(t)
	logs := t.TempDir()
	stop := e.start(t, "--dir", logs, "--poll-interval", "50ms")
	rec := `{"Records":[{"eventVersion":"1.09","eventID":"dir-1","eventName":"DisableKey","eventSource":"kms.amazonaws.com","eventTime":"2026-11-24T05:00:00Z","userIdentity":{"arn":"arn:aws:iam::111122223333:role/kms-admin"}}]}`
	if err := os.WriteFile(filepath.Join(logs, "x.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the alerts from the followed directory", func() bool { return e.hook.count() == alertsPerEvent })
	stop()
}

func TestWatchUsage(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"", "nothing to watch"},
		{"--sqs-kind=bogus", "unknown SQS message kind"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			args := []string{"watch"}
			if tt.name != "" {
				args = append(args, "--dir", t.TempDir(), tt.name)
			}
			code, _, stderr := runCLI(t, "", args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("code %d, stderr %q; want usage error with %q", code, stderr, tt.want)
			}
		})
	}
}

// TestWatchTwoWorkersShareQueue runs two watch processes (in-process) on
// one queue and one state store: SQS splits the messages between them and
// the shared outbox delivers every alert exactly once.
func TestWatchTwoWorkersShareQueue(t *testing.T) {
	e := newWatchEnv(t)
	const files = 20
	for i := range files {
		key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/w%03d.json.gz", i)
		e.putLog(t, key, fmt.Sprintf("w-%03d", i))
		e.fake.Send(e.queue, e.notification(key))
	}
	stop1 := e.start(t, "--sqs-workers", "1")
	stop2 := e.start(t, "--sqs-workers", "1")
	waitFor(t, "every alert", func() bool { return e.hook.count() >= alertsPerEvent*files })
	waitFor(t, "the queue to drain", e.queueEmpty)
	time.Sleep(200 * time.Millisecond)
	for _, stop := range []func() (int, string){stop1, stop2} {
		if code, stderr := stop(); code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	e.hook.mu.Lock()
	defer e.hook.mu.Unlock()
	if len(e.hook.ids) != alertsPerEvent*files || len(e.hook.perID) != alertsPerEvent*files {
		t.Errorf("%d deliveries of %d distinct alerts, want %d of each", len(e.hook.ids), len(e.hook.perID), alertsPerEvent*files)
	}
	if e.fake.Requests("ReceiveMessage") < 2 {
		t.Error("only one receiver polled the queue")
	}
}

func TestWatchEnrichesFromSnapshot(t *testing.T) {
	e := newWatchEnv(t)
	snap := t.TempDir()
	const id = "1111aaaa-1111-1111-1111-111111111111"
	arn := "arn:aws:kms:us-east-1:111122223333:key/" + id
	files := map[string]string{
		"account.json":               `{"UserId":"AIDA","Account":"111122223333","Arn":"arn:aws:iam::111122223333:user/auditor"}`,
		"kms/us-east-1/aliases.json": `{"Aliases":[{"AliasName":"alias/payments","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/payments","TargetKeyId":"` + id + `"}]}`,
		"kms/us-east-1/keys/" + id + "/describe-key.json": `{"KeyMetadata":{"AWSAccountId":"111122223333","KeyId":"` + id + `","Arn":"` + arn +
			`","Enabled":true,"KeyState":"Enabled","KeyManager":"CUSTOMER","Origin":"AWS_KMS","KeySpec":"SYMMETRIC_DEFAULT","KeyUsage":"ENCRYPT_DECRYPT","MultiRegion":false}}`,
		"kms/us-east-1/keys/" + id + "/tags.json": `{"Tags":[{"TagKey":"environment","TagValue":"production"},{"TagKey":"owner","TagValue":"payments"}]}`,
	}
	for name, body := range files {
		p := filepath.Join(snap, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/s.json.gz"
	e.putLog(t, key, "ev-snap")
	e.fake.Send(e.queue, e.notification(key))
	stop := e.start(t, "--snapshot", snap)
	waitFor(t, "the alerts at the webhook", func() bool { return e.hook.count() == alertsPerEvent })
	stop()
	e.hook.mu.Lock()
	defer e.hook.mu.Unlock()
	found := false
	for _, doc := range e.hook.alerts {
		if doc["rule_id"] != "fcfcb8c4-0f20-4bf1-bfcf-798516697a85" {
			continue
		}
		found = true
		enr, _ := doc["enrichment"].(map[string]any)
		// medium, raised once for the production key and once for the
		// actor missing from the allowlist.
		if doc["severity"] != "critical" || enr["key.production"] != "true" || enr["key.aliases"] != "alias/payments" || enr["key.tag.owner"] != "payments" {
			t.Errorf("alert not enriched from the snapshot: severity %v, enrichment %v", doc["severity"], enr)
		}
	}
	if !found {
		t.Error("no alert of the key-disabled rule")
	}
}

func TestWatchServesMetrics(t *testing.T) {
	e := newWatchEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/m.json.gz"
	e.putLog(t, key, "ev-m")
	e.fake.Send(e.queue, e.notification(key))
	stop := e.start(t, "--metrics-addr", addr)
	waitFor(t, "the alerts at the webhook", func() bool { return e.hook.count() == alertsPerEvent })
	get := func(path string) string {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get("/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}
	var body string
	waitFor(t, "the delivery counters", func() bool {
		body = get("/metrics")
		return strings.Contains(body, `kmsguard_notify_deliveries_total{outcome="delivered"} 2`) &&
			strings.Contains(body, `kmsguard_watch_sqs_messages_total{outcome="deleted"} 1`)
	})
	for _, want := range []string{
		"kmsguard_watch_events_total 1",
		`kmsguard_watch_alerts_total{rule="fcfcb8c4-0f20-4bf1-bfcf-798516697a85"} 1`,
		"kmsguard_watch_alert_lag_seconds_count 2",
		`kmsguard_watch_sqs_messages_total{outcome="deleted"} 1`,
		"kmsguard_watch_queue_depth{state=",
		"kmsguard_notify_failures_total 0",
		"kmsguard_notify_outbox_pending 0",
		"kmsguard_state_wal_checkpoint_failures_total 0",
		"kmsguard_state_wal_checkpoints_busy_total ",
		"kmsguard_state_wal_frames_pending ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	stop()
}

func TestRegionOfQueue(t *testing.T) {
	for in, want := range map[string]string{
		"https://sqs.eu-west-1.amazonaws.com/111122223333/kmsguard":   "eu-west-1",
		"https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q":      "cn-north-1",
		"http://127.0.0.1:4566/000000000000/q":                        "",
		"https://sqs-fips.us-east-1.amazonaws.com/111122223333/queue": "",
		"::bad": "",
	} {
		if got := regionOfQueue(in); got != want {
			t.Errorf("regionOfQueue(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWatchExposureKnowsOwnOrganisation: the key-policy exposure rule
// counts an aws:PrincipalOrgID pin to an organisation of the config's
// organization.organizationIds as own, like KMS.5 does.
func TestWatchExposureKnowsOwnOrganisation(t *testing.T) {
	const exposedRule = "66cbb2f4-017b-448d-bc7f-7e95fe7c8b80"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdef1234"}}}]}`
	put, _ := json.Marshal(map[string]any{"eventVersion": "1.09", "eventID": "put-1", "eventName": "PutKeyPolicy", "eventSource": "kms.amazonaws.com",
		"eventTime": "2026-11-24T05:00:00Z", "recipientAccountId": "111122223333", "userIdentity": map[string]any{"arn": "arn:aws:iam::111122223333:role/kms-admin"},
		"requestParameters": map[string]any{"keyId": "1111aaaa-1111-1111-1111-111111111111", "policyName": "default", "policy": doc}})
	// The DisableKey record after it tells when the PutKeyPolicy record's
	// alerts have had their turn.
	sentinel := `{"eventVersion":"1.09","eventID":"sentinel","eventName":"DisableKey","eventSource":"kms.amazonaws.com","eventTime":"2026-11-24T05:00:01Z","userIdentity":{"arn":"arn:aws:iam::111122223333:role/kms-admin"}}`
	for _, tt := range []struct {
		name        string
		config      string
		wantExposed bool
	}{
		{"organisation unknown: public", "", true},
		{"own organisation: pinned", "organization:\n  organizationIds: [o-abcdef1234]\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newWatchEnv(t)
			f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString(tt.config); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			logs := t.TempDir()
			if err := os.WriteFile(filepath.Join(logs, "x.json"), []byte(`{"Records":[`+string(put)+`,`+sentinel+`]}`), 0o644); err != nil {
				t.Fatal(err)
			}
			stop := e.start(t, "--dir", logs, "--poll-interval", "50ms")
			received := func(s string) bool {
				e.hook.mu.Lock()
				defer e.hook.mu.Unlock()
				return strings.Contains(fmt.Sprint(e.hook.alerts), s)
			}
			waitFor(t, "the sentinel's alerts", func() bool { return received("sentinel") })
			time.Sleep(300 * time.Millisecond) // give a late alert time to arrive
			stop()
			if got := received(exposedRule); got != tt.wantExposed {
				t.Errorf("key policy exposure alert received = %v, want %v", got, tt.wantExposed)
			}
		})
	}
}
