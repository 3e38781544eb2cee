package sqsfake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

func client(s *Server) *sqs.Client {
	return sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
}

func receive(t *testing.T, c *sqs.Client, q string, max int32, vis int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: max, VisibilityTimeout: vis,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func TestVisibilityAndRedelivery(t *testing.T) {
	s := New()
	defer s.Close()
	c := client(s)
	q := s.CreateQueue("q", QueueOptions{})
	ctx := context.Background()
	for _, b := range []string{"a", "b", "c"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	first := receive(t, c, q, 2, 1)
	if len(first) != 2 || aws.ToString(first[0].Body) != "a" || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive = %+v", first)
	}
	if got := receive(t, c, q, 10, 1); len(got) != 1 || aws.ToString(got[0].Body) != "c" {
		t.Fatalf("in-flight messages were received again: %+v", got)
	}
	// Keep "a" in flight; let "b" come back.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q), ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 30}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	again := receive(t, c, q, 10, 30)
	if len(again) != 2 || aws.ToString(again[0].Body) != "b" || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after expiry = %+v, want b (receive 2) and c", again)
	}
	// A stale receipt handle deletes nothing; the current one deletes.
	_, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("stale"), ReceiptHandle: first[1].ReceiptHandle},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("garbage")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if v, f := s.Depth(q); v+f != 3 {
		t.Fatalf("stale handle deleted a message: depth %d", v+f)
	}
	out, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("b"), ReceiptHandle: again[0].ReceiptHandle}, {Id: aws.String("x"), ReceiptHandle: aws.String("garbage")},
	}})
	if err != nil || len(out.Successful) != 1 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("DeleteMessageBatch = %+v, %v", out, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "2" {
		t.Fatalf("GetQueueAttributes = %v, %v", attrs.Attributes, err)
	}
}

func TestLongPollAndErrors(t *testing.T) {
	s := New()
	defer s.Close()
	c := client(s)
	q := s.CreateQueue("q", QueueOptions{})
	ctx := context.Background()
	go func() {
		time.Sleep(300 * time.Millisecond)
		s.Send(q, "late")
	}()
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), WaitTimeSeconds: 5})
	if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "late" {
		t.Fatalf("long poll = %+v, %v; want the message sent while waiting", out, err)
	}
	tests := []struct {
		name, code string
		call       func() error
	}{
		{"too many messages", "InvalidParameterValue", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 11})
			return err
		}},
		{"missing queue", "AWS.SimpleQueueService.NonExistentQueue", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.URL + "/000000000000/nope")})
			return err
		}},
		{"visibility of a message not in flight", "ReceiptHandleIsInvalid", func() error {
			_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q), ReceiptHandle: aws.String("nohash"), VisibilityTimeout: 5})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ae smithy.APIError
			if err := tt.call(); !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
				t.Errorf("error = %v, want API error %s", err, tt.code)
			}
		})
	}
}

func TestRedrivePolicy(t *testing.T) {
	s := New()
	defer s.Close()
	c := client(s)
	dlq := s.CreateQueue("dlq", QueueOptions{})
	q := s.CreateQueue("q", QueueOptions{MaxReceiveCount: 2, DeadLetterQueue: dlq, VisibilityTimeout: time.Millisecond})
	s.Send(q, "poison")
	for i := range 2 {
		time.Sleep(5 * time.Millisecond)
		if got := receive(t, c, q, 1, 0); len(got) != 1 {
			t.Fatalf("receive %d: %+v", i+1, got)
		}
	}
	time.Sleep(5 * time.Millisecond)
	if got := receive(t, c, q, 1, 0); len(got) != 0 {
		t.Fatalf("third receive returned %+v; the message should have moved", got)
	}
	if got := s.Bodies(dlq); len(got) != 1 || got[0] != "poison" {
		t.Errorf("dead-letter queue = %q", got)
	}
}
