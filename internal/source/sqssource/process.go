package sqssource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/source"
)

// process handles every record of a message's work.
func (c *Consumer) process(ctx context.Context, w Work, receivedAt time.Time) error {
	if w.Inline != nil {
		return c.readRecords(ctx, "message", w.Inline, receivedAt)
	}
	if c.s3 == nil {
		return errors.New("message names S3 objects but no S3 client is configured")
	}
	objs := make(objectList, len(w.Objects))
	var fetchErr error
	var mu sync.Mutex
	for i, ref := range w.Objects {
		objs[i] = source.Object{
			Name: "s3://" + ref.Bucket + "/" + ref.Key, Size: -1,
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ref.Bucket), Key: aws.String(ref.Key)})
				if err != nil {
					mu.Lock()
					fetchErr = errors.Join(fetchErr, fmt.Errorf("get s3://%s/%s: %w", ref.Bucket, ref.Key, err))
					mu.Unlock()
					return nil, err
				}
				return out.Body, nil
			},
		}
	}
	st, err := source.Read(ctx, []source.Source{objs}, source.ReadOptions{Workers: 1}, func(_ int, it source.Item) error {
		rec, err := cloudtrail.Decode(it.Raw)
		if err != nil {
			return it.Errorf("decode: %v", err)
		}
		c.Stats.Records.Add(1)
		return c.handle(ctx, rec, receivedAt)
	})
	if st != nil {
		c.Stats.Objects.Add(int64(st.Files))
		c.Stats.BadRecords.Add(int64(st.ErrorCount))
		for _, e := range st.Errors {
			c.log.Warn("sqs object: bad input", "error", e.String())
		}
	}
	return errors.Join(err, fetchErr)
}

func (c *Consumer) readRecords(ctx context.Context, what string, data []byte, receivedAt time.Time) error {
	recs, _, err := cloudtrail.DecodeAll(data)
	if err != nil {
		// No retry fixes a bad event: count it, keep what decoded.
		c.Stats.BadRecords.Add(1)
		c.log.Warn("sqs "+what+": bad record", "error", err)
	}
	for _, rec := range recs {
		c.Stats.Records.Add(1)
		if err := c.handle(ctx, rec, receivedAt); err != nil {
			return err
		}
	}
	return nil
}

// objectList is a Source over objects a message named.
type objectList []source.Object

func (l objectList) String() string { return "sqs message objects" }

func (l objectList) List(_ context.Context, fn func(source.Object) error) error {
	for _, o := range l {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// Depth returns the queue's approximate visible and in-flight message
// counts, for the queue-depth metric.
func (c *Consumer) Depth(ctx context.Context) (visible, inFlight int, err error) {
	out, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(c.opts.QueueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return 0, 0, fmt.Errorf("queue depth of %s: %w", c.opts.QueueURL, err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight, nil
}
