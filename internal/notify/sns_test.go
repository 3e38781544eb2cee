package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"
)

const topicARN = "arn:aws:sns:eu-west-1:111122223333:kms-alerts"

// snsServer speaks SNS's awsQuery protocol (the one service/sns v1.47
// serialises: form-encoded POST, XML responses) for the Publish action.
type snsServer struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
	auth  []string
	// errCode, when set, is returned as an ErrorResponse with errStatus.
	errCode   string
	errStatus int
}

func newSNSServer(t *testing.T) *snsServer {
	s := &snsServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "want a form POST", http.StatusBadRequest)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.forms = append(s.forms, r.PostForm)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		code, status := s.errCode, s.errStatus
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		if code != "" {
			w.WriteHeader(status)
			_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>it failed</Message></Error><RequestId>9f1b6c3e-0000-4000-8000-000000000001</RequestId></ErrorResponse>`, code)
			return
		}
		if r.PostForm.Get("Action") != "Publish" || r.PostForm.Get("Version") != "2010-03-31" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>bad action</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
			return
		}
		_, _ = fmt.Fprint(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult><ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>`)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *snsServer) seen() ([]url.Values, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.forms...), append([]string(nil), s.auth...)
}

func (s *snsServer) client() *sns.Client {
	return sns.New(sns.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(s.URL), HTTPClient: s.Client(),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		RetryMaxAttempts: 1,
	})
}

func TestSNSPublish(t *testing.T) {
	srv := newSNSServer(t)
	ch, err := NewSNS(SNSOptions{Name: "sns-oncall", TopicARN: topicARN, Client: srv.client()})
	if err != nil {
		t.Fatal(err)
	}
	a := testAlert()
	a.RuleTitle = "Clé supprimée\nnext line"
	if err := ch.Send(context.Background(), a); err != nil {
		t.Fatalf("Send: %v", err)
	}
	forms, auth := srv.seen()
	if len(forms) != 1 {
		t.Fatalf("server got %d requests", len(forms))
	}
	f := forms[0]
	if !strings.HasPrefix(auth[0], "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth[0], "/eu-west-1/sns/aws4_request") {
		t.Errorf("request is not SigV4-signed for sns in eu-west-1: %q", auth[0])
	}
	for k, want := range map[string]string{
		"Action": "Publish", "Version": "2010-03-31", "TopicArn": topicARN, "MessageStructure": "json",
		"Subject": "kmsguard HIGH: Cl? supprim?e next line",
	} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	attrs := map[string][2]string{}
	for i := 1; f.Has(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)); i++ {
		p := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		attrs[f.Get(p+"Name")] = [2]string{f.Get(p + "Value.DataType"), f.Get(p + "Value.StringValue")}
	}
	wantAttrs := map[string][2]string{
		"severity": {"String", "high"}, "rule_id": {"String", "kms-key-deletion-scheduled"},
		"dedup_key": {"String", "a1b2c3d4e5f60718"}, "idempotency_key": {"String", IdempotencyKey(a, "sns-oncall")},
	}
	if diff := cmp.Diff(wantAttrs, attrs); diff != "" {
		t.Errorf("message attributes (-want +got):\n%s", diff)
	}
	var msg map[string]string
	if err := json.Unmarshal([]byte(f.Get("Message")), &msg); err != nil {
		t.Fatalf("Message is not a JSON message structure: %v", err)
	}
	if msg["default"] == "" || msg["email"] != msg["default"] {
		t.Errorf("default/email variants = %q / %q", msg["default"], msg["email"])
	}
	if want := "kmsguard HIGH kms-key-deletion-scheduled: ScheduleKeyDeletion acct 111122223333 eu-west-1"; msg["sms"] != want {
		t.Errorf("sms = %q, want %q", msg["sms"], want)
	}
	golden(t, "sns_message.txt", []byte(msg["default"]))
}

func TestSNSSubjectRules(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"ascii kept":       {"kmsguard HIGH: x", "kmsguard HIGH: x"},
		"non-ascii":        {"clé", "cl?"},
		"control and CRLF": {"a\r\nb\tc\x01", "a b c"},
		"empty":            {"  ", "kmsguard alert"},
		"long":             {strings.Repeat("a", 150), strings.Repeat("a", 96) + "..."},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := snsSubject(tt.in)
			if got != tt.want || len(got) >= 100 {
				t.Errorf("snsSubject(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSNSErrors(t *testing.T) {
	tests := []struct {
		code      string
		status    int
		retryable bool
	}{
		{"InvalidParameter", 400, false},
		{"AuthorizationError", 403, false},
		{"NotFound", 404, false},
		{"Throttling", 400, true},
		{"InternalError", 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			srv := newSNSServer(t)
			srv.mu.Lock()
			srv.errCode, srv.errStatus = tt.code, tt.status
			srv.mu.Unlock()
			ch, _ := NewSNS(SNSOptions{Name: "sns", TopicARN: topicARN, Client: srv.client()})
			err := ch.Send(context.Background(), testAlert())
			if err == nil || !strings.Contains(err.Error(), tt.code) {
				t.Fatalf("err = %v, want the API error code %s", err, tt.code)
			}
			if IsRetryable(err) != tt.retryable {
				t.Errorf("retryable = %v, want %v (%v)", IsRetryable(err), tt.retryable, err)
			}
		})
	}
}

// TestSNSFromConfig builds the channel the way production does: Build with
// the SDK's default credential chain (here: environment variables) and an
// endpoint override.
func TestSNSFromConfig(t *testing.T) {
	srv := newSNSServer(t)
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secretfromenv")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	set, err := Build(context.Background(), Config{
		Channels: []ChannelConfig{{Name: "sns", SNS: &SNSConfig{TopicARN: topicARN, Endpoint: srv.URL}}},
		Routes:   []Route{{Channels: []string{"sns"}}},
	}, BuildEnv{})
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Channels[0].Send(context.Background(), testAlert()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, auth := srv.seen(); len(auth) != 1 || !strings.Contains(auth[0], "Credential=AKIDFROMENV/") || !strings.Contains(auth[0], "/eu-west-1/sns/") {
		t.Errorf("auth = %q, want env credentials and the topic's region", auth)
	}
}

func TestSNSFIFOTopicGetsGroupAndDedupID(t *testing.T) {
	srv := newSNSServer(t)
	for _, arn := range []string{topicARN, topicARN + ".fifo"} {
		ch, err := NewSNS(SNSOptions{Name: "sns", TopicARN: arn, Client: srv.client()})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := ch.Send(context.Background(), testAlert()); err != nil {
				t.Fatal(err)
			}
		}
	}
	forms, _ := srv.seen()
	if forms[0].Has("MessageGroupId") || forms[0].Has("MessageDeduplicationId") {
		t.Errorf("standard topic got FIFO parameters: %v", forms[0])
	}
	fifo1, fifo2 := forms[2], forms[3]
	if fifo1.Get("MessageGroupId") != "kmsguard" || fifo1.Get("MessageDeduplicationId") != IdempotencyKey(testAlert(), "sns") {
		t.Errorf("FIFO parameters = %q, %q", fifo1.Get("MessageGroupId"), fifo1.Get("MessageDeduplicationId"))
	}
	if fifo1.Get("MessageDeduplicationId") != fifo2.Get("MessageDeduplicationId") {
		t.Error("a redelivery has a different MessageDeduplicationId")
	}
}
