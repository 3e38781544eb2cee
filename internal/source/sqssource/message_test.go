package sqssource

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// snsWrap wraps msg the way SNS delivers to an SQS subscription without
// raw message delivery.
func snsWrap(msg string) string {
	b, _ := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:111122223333:trail",
		"Message": msg, "Timestamp": "2026-03-02T10:05:00.000Z",
	})
	return string(b)
}

const (
	ctNotification = `{"s3Bucket":"trail-bucket","s3ObjectKey":["AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/a.json.gz","AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/b.json.gz"]}`
	s3EventBody    = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"trail-bucket"},"object":{"key":"AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/my+file%3D1.json.gz","size":123}}},` +
		`{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"trail-bucket"},"object":{"key":"gone.json.gz"}}},` +
		`{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"trail-bucket"},"object":{"key":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/02/d.json.gz"}}}]}`
	s3TestEvent = `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-03-02T10:00:00.000Z","Bucket":"trail-bucket","RequestId":"r","HostId":"h"}`
	ebEvent     = `{"version":"0","id":"e-1","detail-type":"AWS API Call via CloudTrail","source":"aws.kms","detail":{"eventID":"ev-1","eventName":"DisableKey","eventSource":"kms.amazonaws.com","eventTime":"2026-03-02T10:01:02Z"}}`
	ebOther     = `{"version":"0","id":"e-2","detail-type":"KMS Imported Key Material Expiration","source":"aws.kms","detail":{}}`
)

func TestParseMessage(t *testing.T) {
	key := func(k string) ObjectRef {
		return ObjectRef{"trail-bucket", "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/" + k}
	}
	tests := []struct {
		name    string
		body    string
		kind    Kind
		want    Work
		wantErr bool
	}{
		{name: "cloudtrail notification via SNS", body: snsWrap(ctNotification), want: Work{Objects: []ObjectRef{key("a.json.gz"), key("b.json.gz")}}},
		{name: "cloudtrail notification raw", body: ctNotification, kind: KindCloudTrailS3, want: Work{Objects: []ObjectRef{key("a.json.gz"), key("b.json.gz")}}},
		{name: "s3 event with URL-encoded key", body: s3EventBody, want: Work{Objects: []ObjectRef{key("my file=1.json.gz")}}},
		{name: "s3 event via SNS", body: snsWrap(s3EventBody), kind: KindCloudTrailS3, want: Work{Objects: []ObjectRef{key("my file=1.json.gz")}}},
		{name: "s3 test event ignored", body: s3TestEvent, want: Work{Ignored: "S3 test event"}},
		{name: "s3 test event via SNS ignored", body: snsWrap(s3TestEvent), want: Work{Ignored: "S3 test event"}},
		{name: "eventbridge", body: ebEvent, kind: KindEventBridge, want: Work{Inline: []byte(ebEvent)}},
		{name: "eventbridge auto", body: ebEvent, want: Work{Inline: []byte(ebEvent)}},
		{name: "eventbridge non-cloudtrail detail ignored", body: ebOther, want: Work{Ignored: `EventBridge detail-type "KMS Imported Key Material Expiration" is not a CloudTrail event`}},
		{name: "eventbridge on s3 queue", body: ebEvent, kind: KindCloudTrailS3, wantErr: true},
		{name: "s3 event on eventbridge queue", body: s3EventBody, kind: KindEventBridge, wantErr: true},
		{name: "not JSON", body: `hello`, wantErr: true},
		{name: "unknown object", body: `{"foo":1}`, wantErr: true},
		{name: "sns message not JSON", body: snsWrap("plain text"), wantErr: true},
		{name: "key list not strings", body: `{"s3Bucket":"b","s3ObjectKey":[1]}`, wantErr: true},
		{name: "no bucket", body: `{"s3ObjectKey":["k"]}`, wantErr: true},
		{name: "bad percent encoding", body: `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%zz"}}}]}`, wantErr: true},
		{name: "record without s3", body: `{"Records":[{"eventName":"ObjectCreated:Put"}]}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMessage([]byte(tt.body), tt.kind)
			if tt.wantErr {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("err = %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMessage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{"": KindAuto, "auto": KindAuto, "cloudtrail-s3": KindCloudTrailS3, "eventbridge": KindEventBridge} {
		if got, err := ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseKind("s3"); err == nil {
		t.Error("ParseKind(s3) succeeded")
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{ctNotification, snsWrap(ctNotification), s3EventBody, snsWrap(s3EventBody), s3TestEvent, ebEvent, ebOther, `{}`, `[]`, `{"Type":"Notification","Message":"{}"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, k := range []Kind{KindAuto, KindCloudTrailS3, KindEventBridge} {
			w, err := ParseMessage([]byte(body), k)
			if err != nil && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error not ErrUnsupported: %v", err)
			}
			if err == nil && len(w.Objects) == 0 && w.Inline == nil && w.Ignored == "" {
				t.Fatalf("no work, no error, no reason for %q", body)
			}
			for _, o := range w.Objects {
				if o.Bucket == "" || o.Key == "" {
					t.Fatalf("empty object reference in %q", body)
				}
			}
		}
	})
}
