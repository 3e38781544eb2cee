package sqssource

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/source/sqssource/sqsfake"
)

const bucket = "trail-bucket"

type env struct {
	fake  *sqsfake.Server
	sqs   *sqs.Client
	s3    *s3.Client
	queue string
	dlq   string
}

func newEnv(t *testing.T, qopts sqsfake.QueueOptions) *env {
	t.Helper()
	fake := sqsfake.New()
	t.Cleanup(fake.Close)
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3srv.Close)
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")
	e := &env{
		fake: fake,
		sqs:  sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL), Credentials: creds}),
		s3: s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true, Credentials: creds,
			RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
			ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired}),
	}
	if _, err := e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	e.dlq = fake.CreateQueue("kmsguard-dlq", sqsfake.QueueOptions{})
	e.queue = fake.CreateQueue("kmsguard", qopts)
	return e
}

// logFile returns a gzip CloudTrail log file holding one record per ID.
func logFile(t *testing.T, ids ...string) []byte {
	t.Helper()
	var recs []map[string]any
	for _, id := range ids {
		recs = append(recs, map[string]any{
			"eventVersion": "1.09", "eventID": id, "eventName": "DisableKey", "eventSource": "kms.amazonaws.com",
			"eventTime": "2026-03-02T10:01:02Z", "awsRegion": "us-east-1",
			"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bob"},
		})
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
		t.Fatal(err)
	}
	_ = zw.Close()
	return buf.Bytes()
}

func (e *env) put(t *testing.T, key string, data []byte) {
	t.Helper()
	if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
}

// collector is a RecordHandler that remembers event IDs; fail makes it
// fail for an ID a number of times.
type collector struct {
	mu    sync.Mutex
	ids   []string
	fail  map[string]int
	delay time.Duration
	calls atomic.Int64
}

func (c *collector) handle(ctx context.Context, rec *cloudtrail.Record, _ time.Time) error {
	c.calls.Add(1)
	time.Sleep(c.delay)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail[rec.EventID()] > 0 {
		c.fail[rec.EventID()]--
		return fmt.Errorf("outbox unavailable for %s", rec.EventID())
	}
	c.ids = append(c.ids, rec.EventID())
	return nil
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.ids)
	slices.Sort(out)
	return out
}

// runUntil runs a consumer until cond holds (or 10s pass) and then stops it.
func runUntil(t *testing.T, c *Consumer, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if !cond() {
		t.Fatal("condition not reached within 10s")
	}
}

func (e *env) consumer(t *testing.T, col *collector, opts Options) *Consumer {
	t.Helper()
	opts.QueueURL = e.queue
	if opts.WaitTime == 0 {
		opts.WaitTime = time.Second
	}
	c, err := New(e.sqs, e.s3, opts, col.handle)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) empty() bool {
	v, f := e.fake.Depth(e.queue)
	return v == 0 && f == 0
}

func TestConsumerProcessesEveryMessageKind(t *testing.T) {
	e := newEnv(t, sqsfake.QueueOptions{})
	prefix := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/"
	e.put(t, prefix+"a.json.gz", logFile(t, "a1", "a2"))
	e.put(t, prefix+"b.json.gz", logFile(t, "b1"))
	e.put(t, prefix+"my file=1.json.gz", logFile(t, "s1"))
	e.fake.Send(e.queue, snsWrap(`{"s3Bucket":"trail-bucket","s3ObjectKey":["`+prefix+`a.json.gz","`+prefix+`b.json.gz"]}`))
	e.fake.Send(e.queue, snsWrap(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"trail-bucket"},"object":{"key":"`+prefix+`my+file%3D1.json.gz"}}}]}`))
	e.fake.Send(e.queue, s3TestEvent)
	e.fake.Send(e.queue, ebEvent)
	col := &collector{}
	c := e.consumer(t, col, Options{})
	runUntil(t, c, e.empty)
	want := []string{"a1", "a2", "b1", "ev-1", "s1"}
	if got := col.got(); !slices.Equal(got, want) {
		t.Errorf("handled %q, want %q", got, want)
	}
	if n := c.Stats.Deleted.Load(); n != 4 {
		t.Errorf("deleted %d messages, want 4", n)
	}
	if n := c.Stats.Ignored.Load(); n != 1 {
		t.Errorf("ignored %d messages, want 1 (the S3 test event)", n)
	}
	if e.fake.Requests("DeleteMessageBatch") == 0 {
		t.Error("no DeleteMessageBatch call")
	}
}

func TestConsumerRedeliversAfterFailure(t *testing.T) {
	e := newEnv(t, sqsfake.QueueOptions{})
	e.put(t, "AWSLogs/x.json.gz", logFile(t, "r1", "r2"))
	e.fake.Send(e.queue, `{"s3Bucket":"trail-bucket","s3ObjectKey":["AWSLogs/x.json.gz"]}`)
	col := &collector{fail: map[string]int{"r2": 1}}
	// Visibility 1s: the failed message comes back after a second.
	c := e.consumer(t, col, Options{Visibility: time.Second})
	runUntil(t, c, e.empty)
	// r1 is handled twice (at-least-once); the caller's dedup absorbs it.
	if got, want := col.got(), []string{"r1", "r1", "r2"}; !slices.Equal(got, want) {
		t.Errorf("handled %q, want %q", got, want)
	}
	if c.Stats.Failed.Load() != 1 || c.Stats.Received.Load() != 2 {
		t.Errorf("failed %d received %d, want 1 and 2", c.Stats.Failed.Load(), c.Stats.Received.Load())
	}
}

func TestConsumerDeadLetters(t *testing.T) {
	t.Run("poison message at once", func(t *testing.T) {
		e := newEnv(t, sqsfake.QueueOptions{})
		e.fake.Send(e.queue, `not json at all`)
		c := e.consumer(t, &collector{}, Options{DeadLetterURL: e.dlq})
		runUntil(t, c, e.empty)
		if got := e.fake.Bodies(e.dlq); !slices.Equal(got, []string{"not json at all"}) {
			t.Errorf("dead-letter queue holds %q", got)
		}
	})
	t.Run("after max receives", func(t *testing.T) {
		e := newEnv(t, sqsfake.QueueOptions{})
		e.fake.Send(e.queue, ebEvent)
		col := &collector{fail: map[string]int{"ev-1": 100}}
		c := e.consumer(t, col, Options{DeadLetterURL: e.dlq, MaxReceives: 2, Visibility: time.Second})
		runUntil(t, c, e.empty)
		if got := e.fake.Bodies(e.dlq); !slices.Equal(got, []string{ebEvent}) {
			t.Errorf("dead-letter queue holds %q", got)
		}
		if n := col.calls.Load(); n != 2 {
			t.Errorf("handler called %d times, want 2 (MaxReceives)", n)
		}
	})
	t.Run("queue redrive policy without a kmsguard dead-letter queue", func(t *testing.T) {
		e := newEnv(t, sqsfake.QueueOptions{MaxReceiveCount: 2})
		e.queue = e.fake.CreateQueue("redriven", sqsfake.QueueOptions{MaxReceiveCount: 2, DeadLetterQueue: e.dlq, VisibilityTimeout: time.Second})
		e.fake.Send(e.queue, `{"garbage":true}`)
		c := e.consumer(t, &collector{}, Options{Visibility: time.Second})
		runUntil(t, c, e.empty)
		if got := e.fake.Bodies(e.dlq); !slices.Equal(got, []string{`{"garbage":true}`}) {
			t.Errorf("dead-letter queue holds %q", got)
		}
	})
}

func TestConsumerExtendsVisibilityOfSlowMessages(t *testing.T) {
	e := newEnv(t, sqsfake.QueueOptions{})
	e.put(t, "AWSLogs/slow.json.gz", logFile(t, "s1", "s2", "s3"))
	e.fake.Send(e.queue, `{"s3Bucket":"trail-bucket","s3ObjectKey":["AWSLogs/slow.json.gz"]}`)
	// 3 records at 1.2s each outlast the 2s visibility timeout; without
	// extension the second worker would receive the message again.
	col := &collector{delay: 1200 * time.Millisecond}
	c := e.consumer(t, col, Options{Visibility: 2 * time.Second, Workers: 2})
	runUntil(t, c, e.empty)
	if got := col.got(); !slices.Equal(got, []string{"s1", "s2", "s3"}) {
		t.Errorf("handled %q, want each record once", got)
	}
	if n := e.fake.Requests("ChangeMessageVisibility"); n < 2 {
		t.Errorf("ChangeMessageVisibility called %d times, want at least 2", n)
	}
}

func TestConsumerShutdownFinishesInFlight(t *testing.T) {
	e := newEnv(t, sqsfake.QueueOptions{})
	e.fake.Send(e.queue, ebEvent)
	started := make(chan struct{})
	var once sync.Once
	var finished atomic.Bool
	c, err := New(e.sqs, e.s3, Options{QueueURL: e.queue, WaitTime: time.Second}, func(ctx context.Context, rec *cloudtrail.Record, _ time.Time) error {
		once.Do(func() { close(started) })
		time.Sleep(500 * time.Millisecond)
		if ctx.Err() != nil {
			return errors.New("context cancelled during in-flight work")
		}
		finished.Store(true)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	<-started
	cancel() // SIGTERM
	<-done
	if !finished.Load() {
		t.Fatal("in-flight record not finished before Run returned")
	}
	if !e.empty() {
		t.Error("in-flight message not deleted before Run returned")
	}
}

func TestConsumerDepth(t *testing.T) {
	e := newEnv(t, sqsfake.QueueOptions{})
	for range 3 {
		e.fake.Send(e.queue, ebEvent)
	}
	c := e.consumer(t, &collector{}, Options{})
	v, f, err := c.Depth(context.Background())
	if err != nil || v != 3 || f != 0 {
		t.Errorf("Depth = %d, %d, %v; want 3, 0", v, f, err)
	}
}
