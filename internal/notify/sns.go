package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// SNSPublisher is the one SNS call the channel makes; *sns.Client satisfies
// it.
type SNSPublisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSOptions configure an AWS SNS topic channel.
type SNSOptions struct {
	Name      string
	TopicARN  string
	Client    SNSPublisher
	Templates Templates
}

// SNS publishes to a topic with a per-protocol message (JSON message
// structure): "default" and "email" get the long text, "sms" a short line.
// Message attributes "severity" and "rule_id" let subscriptions filter.
type SNS struct {
	opts SNSOptions
	tpl  *compiledTemplates
}

// Size limits: Subject must be ASCII, under 100 characters; one SMS is 140
// bytes of 8-bit data; the whole message must stay under 256 KiB.
const (
	snsSubjectMax = 99
	snsSMSMax     = 140
	snsTextMax    = 100 * 1024
)

// NewSNS validates the options and compiles the templates.
func NewSNS(opts SNSOptions) (*SNS, error) {
	if !strings.HasPrefix(opts.TopicARN, "arn:") {
		return nil, fmt.Errorf("sns: topic_arn %q is not an ARN", opts.TopicARN)
	}
	if opts.Client == nil {
		return nil, errors.New("sns: client is required")
	}
	tpl, err := opts.Templates.compile()
	if err != nil {
		return nil, fmt.Errorf("sns: %w", err)
	}
	return &SNS{opts: opts, tpl: tpl}, nil
}

// Name returns the channel instance name.
func (s *SNS) Name() string { return s.opts.Name }

func (s *SNS) input(a alert.Alert) (*sns.PublishInput, error) {
	d := newTemplateData(a, s.opts.Name)
	subject, err := render(s.tpl.snsSubject, d)
	if err != nil {
		return nil, err
	}
	long, err := render(s.tpl.snsMessage, d)
	if err != nil {
		return nil, err
	}
	sms, err := render(s.tpl.snsSMS, d)
	if err != nil {
		return nil, err
	}
	long = truncate(snsTextMax, long)
	msg, err := json.Marshal(map[string]string{
		"default": long,
		"email":   long,
		"sms":     truncate(snsSMSMax, oneLine(sms)),
	})
	if err != nil {
		return nil, err
	}
	attr := func(v string) types.MessageAttributeValue {
		if v == "" {
			v = "unknown" // SNS rejects empty attribute values
		}
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	in := &sns.PublishInput{
		TopicArn:         aws.String(s.opts.TopicARN),
		Subject:          aws.String(snsSubject(subject)),
		Message:          aws.String(string(msg)),
		MessageStructure: aws.String("json"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"severity":        attr(a.Severity.String()),
			"rule_id":         attr(a.RuleID),
			"dedup_key":       attr(DedupKey(a)),
			"idempotency_key": attr(IdempotencyKey(a, s.opts.Name)),
		},
	}
	if strings.HasSuffix(s.opts.TopicARN, ".fifo") {
		// FIFO topics require a group and deduplicate on the ID for five
		// minutes, which collapses a redelivery after a crash.
		in.MessageGroupId = aws.String("kmsguard")
		in.MessageDeduplicationId = aws.String(IdempotencyKey(a, s.opts.Name))
	}
	return in, nil
}

// Send publishes the alert. Throttling, 5xx and network errors are
// retryable (the SDK's own classification); other API errors (bad
// parameters, authorization, missing topic) are permanent.
func (s *SNS) Send(ctx context.Context, a alert.Alert) error {
	in, err := s.input(a)
	if err != nil {
		return Permanent(fmt.Errorf("sns: %w", err))
	}
	if _, err := s.opts.Client.Publish(ctx, in); err != nil {
		return classifyAWS(err)
	}
	return nil
}

func classifyAWS(err error) error {
	msg := fmt.Errorf("sns: publish: %w", err)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("sns: publish: %w", err)
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary ||
		retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return Retryable(msg, 0)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if api.ErrorFault() == smithy.FaultServer {
			return Retryable(msg, 0)
		}
		return Permanent(msg)
	}
	return Retryable(msg, 0)
}

// snsSubject makes s a valid SNS Subject: ASCII (other runes become '?'),
// no control characters, starting with a printable character, under 100
// characters.
func snsSubject(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		switch {
		case r > 0x7e:
			b.WriteByte('?')
		case r < 0x20:
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimSpace(b.String())
	if len(out) > snsSubjectMax {
		out = strings.TrimSpace(out[:snsSubjectMax-3]) + "..."
	}
	if out == "" {
		out = "kmsguard alert"
	}
	return out
}
