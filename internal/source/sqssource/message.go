// Package sqssource consumes an Amazon SQS queue of CloudTrail
// notifications: CloudTrail's own SNS notifications of new log files, S3
// event notifications (raw or wrapped in SNS), and EventBridge events
// carrying the CloudTrail record itself. Referenced log files are fetched
// from S3. A message is deleted only after every record in it has been
// handled, so a crash loses nothing (at-least-once delivery); several
// consumers on one queue share its messages.
package sqssource

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Kind says which messages a queue carries.
type Kind int

const (
	// KindAuto accepts every supported message shape.
	KindAuto Kind = iota
	// KindCloudTrailS3 accepts notifications of log files in S3: CloudTrail's
	// SNS notifications and S3 event notifications.
	KindCloudTrailS3
	// KindEventBridge accepts EventBridge events ("AWS API Call via
	// CloudTrail" and the other CloudTrail detail types).
	KindEventBridge
)

// ParseKind reads a --sqs-kind value.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "", "auto":
		return KindAuto, nil
	case "cloudtrail-s3":
		return KindCloudTrailS3, nil
	case "eventbridge":
		return KindEventBridge, nil
	}
	return 0, fmt.Errorf("unknown SQS message kind %q (want auto, cloudtrail-s3 or eventbridge)", s)
}

// ObjectRef names one S3 object a message refers to.
type ObjectRef struct{ Bucket, Key string }

// Work is what one message asks for: log files to fetch, or an inline
// event to read with cloudtrail.RecordReader.
type Work struct {
	Objects []ObjectRef
	// Inline is an EventBridge event (or several), as received.
	Inline []byte
	// Ignored explains a message that carries nothing to process (an S3
	// test event, a digest file); it is deleted without processing.
	Ignored string
}

// ErrUnsupported marks a message of a shape the queue kind does not accept
// or that is not understood at all: a poison message.
var ErrUnsupported = errors.New("unsupported message")

// ParseMessage reads one SQS message body. Its errors say which JSON field
// is wrong; they wrap ErrUnsupported for messages no retry can fix.
func ParseMessage(body []byte, kind Kind) (Work, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return Work{}, fmt.Errorf("%w: body is not a JSON object: %w", ErrUnsupported, err)
	}
	// SNS wraps the publisher's message as a string in "Message".
	if typ := jsonString(top["Type"]); typ == "Notification" && top["Message"] != nil {
		inner := jsonString(top["Message"])
		if inner == "" {
			return Work{}, fmt.Errorf("%w: SNS notification: Message is not a non-empty string", ErrUnsupported)
		}
		if err := json.Unmarshal([]byte(inner), &top); err != nil {
			return Work{}, fmt.Errorf("%w: SNS notification: Message is not a JSON object: %w", ErrUnsupported, err)
		}
		body = []byte(inner)
	}
	switch {
	case top["detail-type"] != nil:
		if kind == KindCloudTrailS3 {
			return Work{}, fmt.Errorf("%w: an EventBridge event on a cloudtrail-s3 queue", ErrUnsupported)
		}
		if dt := jsonString(top["detail-type"]); !strings.HasSuffix(dt, "via CloudTrail") {
			return Work{Ignored: fmt.Sprintf("EventBridge detail-type %q is not a CloudTrail event", dt)}, nil
		}
		return Work{Inline: body}, nil
	case kind == KindEventBridge:
		return Work{}, fmt.Errorf("%w: not an EventBridge event (no detail-type) on an eventbridge queue", ErrUnsupported)
	case top["s3ObjectKey"] != nil:
		return cloudTrailNotification(top)
	case jsonString(top["Event"]) == "s3:TestEvent":
		return Work{Ignored: "S3 test event"}, nil
	case top["Records"] != nil:
		return s3Event(top["Records"])
	}
	return Work{}, fmt.Errorf("%w: neither a CloudTrail notification (s3ObjectKey), an S3 event (Records) nor an EventBridge event (detail-type)", ErrUnsupported)
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// cloudTrailNotification reads CloudTrail's own notification:
// {"s3Bucket": "b", "s3ObjectKey": ["AWSLogs/.../x.json.gz"]}. Keys are
// plain, not URL-encoded.
func cloudTrailNotification(top map[string]json.RawMessage) (Work, error) {
	bucket := jsonString(top["s3Bucket"])
	if bucket == "" {
		return Work{}, fmt.Errorf("%w: CloudTrail notification: s3Bucket is missing or not a string", ErrUnsupported)
	}
	var keys []string
	if err := json.Unmarshal(top["s3ObjectKey"], &keys); err != nil {
		return Work{}, fmt.Errorf("%w: CloudTrail notification: s3ObjectKey is not a list of strings: %w", ErrUnsupported, err)
	}
	var w Work
	for i, k := range keys {
		if k == "" {
			return Work{}, fmt.Errorf("%w: CloudTrail notification: s3ObjectKey[%d] is empty", ErrUnsupported, i)
		}
		w.Objects = append(w.Objects, ObjectRef{bucket, k})
	}
	if len(w.Objects) == 0 {
		w.Ignored = "CloudTrail notification lists no objects"
	}
	return w, nil
}

// s3Event reads an S3 event notification. Object keys in it are
// URL-encoded (a space arrives as "+").
func s3Event(raw json.RawMessage) (Work, error) {
	var recs []struct {
		EventSource string `json:"eventSource"`
		EventName   string `json:"eventName"`
		S3          *struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	}
	if err := json.Unmarshal(raw, &recs); err != nil {
		return Work{}, fmt.Errorf("%w: S3 event: Records: %w", ErrUnsupported, err)
	}
	var w Work
	for i, r := range recs {
		if r.S3 == nil {
			return Work{}, fmt.Errorf("%w: S3 event: Records[%d] has no s3 member", ErrUnsupported, i)
		}
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue // a deletion or restore names no new log file
		}
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return Work{}, fmt.Errorf("%w: S3 event: Records[%d].s3.object.key %q: %w", ErrUnsupported, i, r.S3.Object.Key, err)
		}
		if r.S3.Bucket.Name == "" || key == "" {
			return Work{}, fmt.Errorf("%w: S3 event: Records[%d]: empty bucket name or object key", ErrUnsupported, i)
		}
		if strings.Contains(key, "/CloudTrail-Digest/") || strings.HasSuffix(key, "/") {
			continue
		}
		w.Objects = append(w.Objects, ObjectRef{r.S3.Bucket.Name, key})
	}
	if len(w.Objects) == 0 {
		w.Ignored = "S3 event names no new log file"
	}
	return w, nil
}
