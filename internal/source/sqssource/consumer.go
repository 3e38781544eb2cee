package sqssource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// SQSAPI is the part of the SQS client the consumer uses.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// S3API is the part of the S3 client the consumer uses.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// RecordHandler handles one decoded record. It must return only once the
// record's effects are durable (alerts queued in the outbox): the message
// is deleted after every handler call of it returns nil. An error leaves
// the message on the queue for redelivery; the handler must therefore be
// idempotent (alert IDs and the outbox's dedup make it so).
type RecordHandler func(ctx context.Context, rec *cloudtrail.Record, receivedAt time.Time) error

// Options configure a Consumer; zero values get the defaults noted.
type Options struct {
	QueueURL string
	Kind     Kind
	// Workers receive and process batches concurrently; default 2.
	Workers int
	// MaxMessages per receive, 1 to 10; default 10.
	MaxMessages int
	// WaitTime is the long-poll wait, at most 20s; default 20s.
	WaitTime time.Duration
	// Visibility is the visibility timeout set on receive and renewed
	// every Visibility/2 while a message is processed; default 60s.
	Visibility time.Duration
	// MaxReceives is how many receives a failing message gets before it is
	// dead-lettered; default 5. Poison messages (unparseable) go at once.
	MaxReceives int
	// DeadLetterURL is where poison messages are sent (SendMessage) before
	// being deleted. Empty: they stay on the queue for its own redrive
	// policy to move (configure one!).
	DeadLetterURL string
	Logger        *slog.Logger
}

// Stats counts what a consumer did, for metrics.
type Stats struct {
	Received, Deleted, Failed, DeadLettered, Ignored atomic.Int64
	Records, Objects, BadRecords                     atomic.Int64
}

// Consumer reads a queue until its context ends.
type Consumer struct {
	sqs    SQSAPI
	s3     S3API
	opts   Options
	handle RecordHandler
	log    *slog.Logger
	Stats  Stats
}

// New returns a consumer; s3c may be nil for an EventBridge-only queue.
func New(sqsc SQSAPI, s3c S3API, opts Options, h RecordHandler) (*Consumer, error) {
	if sqsc == nil || h == nil || opts.QueueURL == "" {
		return nil, errors.New("sqs consumer: client, queue URL and handler are required")
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.MaxMessages <= 0 || opts.MaxMessages > 10 {
		opts.MaxMessages = 10
	}
	if opts.WaitTime <= 0 || opts.WaitTime > 20*time.Second {
		opts.WaitTime = 20 * time.Second
	}
	if opts.Visibility < time.Second {
		opts.Visibility = 60 * time.Second
	}
	if opts.MaxReceives <= 0 {
		opts.MaxReceives = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Consumer{sqs: sqsc, s3: s3c, opts: opts, handle: h, log: opts.Logger}, nil
}

// Run receives and processes messages until ctx ends. When it ends, no new
// receive starts and the messages already received are finished (processed
// and deleted, or left for redelivery) before Run returns.
func (c *Consumer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range c.opts.Workers {
		wg.Go(func() { c.loop(ctx) })
	}
	wg.Wait()
	return nil
}

func (c *Consumer) loop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		out, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(c.opts.QueueURL),
			MaxNumberOfMessages:         int32(c.opts.MaxMessages),
			WaitTimeSeconds:             int32(c.opts.WaitTime / time.Second),
			VisibilityTimeout:           int32(c.opts.Visibility / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Error("sqs receive", "queue", c.opts.QueueURL, "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if len(out.Messages) > 0 {
			// In-flight messages finish even when ctx ends (graceful
			// shutdown); only the receive above is cancelled.
			c.ProcessBatch(context.WithoutCancel(ctx), out.Messages, time.Now())
		}
	}
}

// ProcessBatch handles received messages, extending their visibility while
// it works, and deletes those done.
func (c *Consumer) ProcessBatch(ctx context.Context, msgs []types.Message, receivedAt time.Time) {
	c.Stats.Received.Add(int64(len(msgs)))
	var (
		mu      sync.Mutex
		pending = map[string]types.Message{}
	)
	for _, m := range msgs {
		pending[aws.ToString(m.ReceiptHandle)] = m
	}
	stop := make(chan struct{})
	var hb sync.WaitGroup
	hb.Go(func() {
		t := time.NewTicker(c.opts.Visibility / 2)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				mu.Lock()
				handles := make([]string, 0, len(pending))
				for h := range pending {
					handles = append(handles, h)
				}
				mu.Unlock()
				for _, h := range handles {
					c.extend(ctx, h)
				}
			}
		}
	})
	var done []types.Message
	for _, m := range msgs {
		del := c.processMessage(ctx, m, receivedAt)
		mu.Lock()
		delete(pending, aws.ToString(m.ReceiptHandle))
		mu.Unlock()
		if del {
			done = append(done, m)
		}
	}
	close(stop)
	hb.Wait()
	c.deleteAll(ctx, done)
}

func (c *Consumer) extend(ctx context.Context, handle string) {
	_, err := c.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(c.opts.QueueURL), ReceiptHandle: aws.String(handle),
		VisibilityTimeout: int32(c.opts.Visibility / time.Second),
	})
	if err != nil {
		c.log.Warn("sqs extend visibility", "queue", c.opts.QueueURL, "error", err)
	}
}

// processMessage reports whether m is finished and may be deleted.
func (c *Consumer) processMessage(ctx context.Context, m types.Message, receivedAt time.Time) bool {
	id := aws.ToString(m.MessageId)
	receives, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	w, err := ParseMessage([]byte(aws.ToString(m.Body)), c.opts.Kind)
	if err != nil {
		c.log.Error("sqs poison message", "message_id", id, "error", err)
		return c.deadLetter(ctx, m, err)
	}
	if w.Ignored != "" {
		c.Stats.Ignored.Add(1)
		c.log.Debug("sqs message ignored", "message_id", id, "reason", w.Ignored)
		return true
	}
	if err := c.process(ctx, w, receivedAt); err != nil {
		c.Stats.Failed.Add(1)
		c.log.Error("sqs message failed; left for redelivery", "message_id", id, "receives", receives, "error", err)
		if receives >= c.opts.MaxReceives {
			return c.deadLetter(ctx, m, fmt.Errorf("failed %d receives, last: %w", receives, err))
		}
		return false
	}
	return true
}

// deadLetter moves a message to the dead-letter queue and reports whether
// it may be deleted from this one.
func (c *Consumer) deadLetter(ctx context.Context, m types.Message, why error) bool {
	if c.opts.DeadLetterURL == "" {
		c.Stats.Failed.Add(1)
		return false // the queue's redrive policy moves it after maxReceiveCount
	}
	_, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(c.opts.DeadLetterURL), MessageBody: m.Body,
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kmsguard-error": {DataType: aws.String("String"), StringValue: aws.String(truncate(why.Error(), 1024))},
		},
	})
	if err != nil {
		c.log.Error("sqs dead-letter send failed; message left on the queue", "message_id", aws.ToString(m.MessageId), "error", err)
		return false
	}
	c.Stats.DeadLettered.Add(1)
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (c *Consumer) deleteAll(ctx context.Context, msgs []types.Message) {
	for len(msgs) > 0 {
		n := min(10, len(msgs))
		entries := make([]types.DeleteMessageBatchRequestEntry, n)
		for i, m := range msgs[:n] {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		msgs = msgs[n:]
		out, err := c.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.opts.QueueURL), Entries: entries})
		if err != nil {
			// Redelivered later; the outbox dedup keeps it from alerting twice.
			c.log.Error("sqs delete", "queue", c.opts.QueueURL, "error", err)
			continue
		}
		for _, f := range out.Failed {
			c.log.Error("sqs delete", "queue", c.opts.QueueURL, "entry", aws.ToString(f.Id), "code", aws.ToString(f.Code), "error", aws.ToString(f.Message))
		}
		c.Stats.Deleted.Add(int64(len(out.Successful)))
	}
}
