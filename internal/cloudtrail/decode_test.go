package cloudtrail

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
)

var update = flag.Bool("update", false, "rewrite golden files")

// summary is what the golden files pin for each decoded record: every
// typed accessor, so that a change in any of them shows up in a diff.
type summary struct {
	EventID      string      `json:"event_id"`
	EventTime    time.Time   `json:"event_time"`
	Source       string      `json:"event_source"`
	Name         string      `json:"event_name"`
	Type         string      `json:"event_type"`
	Region       string      `json:"region"`
	Account      string      `json:"account"`
	SourceIP     string      `json:"source_ip"`
	UserAgent    string      `json:"user_agent"`
	Outcome      string      `json:"outcome"`
	ErrorCode    string      `json:"error_code,omitempty"`
	Actor        alert.Actor `json:"actor"`
	KeyARNs      []string    `json:"key_arns,omitempty"`
	Resources    []string    `json:"resources,omitempty"`
	PendingDays  *int64      `json:"pending_window_in_days,omitempty"`
	DeletionDate *time.Time  `json:"deletion_date,omitempty"`
	PolicySids   []string    `json:"policy_sids,omitempty"`
}

func summarize(r *Record) summary {
	s := summary{
		EventID: r.EventID(), EventTime: r.EventTime(), Source: r.EventSource(), Name: r.EventName(),
		Type: r.EventType(), Region: r.AWSRegion(), Account: r.RecipientAccountID(), SourceIP: r.SourceIP(),
		UserAgent: r.UserAgent(), Outcome: r.Outcome(), ErrorCode: r.ErrorCode(), Actor: r.Actor(),
		KeyARNs: r.KeyARNs(), Resources: r.ResourceARNs(),
	}
	if n, ok := r.Int("requestParameters.pendingWindowInDays"); ok {
		s.PendingDays = &n
	}
	if d, ok := r.DeletionDate(); ok {
		s.DeletionDate = &d
	}
	if doc, err := r.JSONString("requestParameters.policy"); err == nil {
		stmts, _ := doc.(map[string]any)["Statement"].([]any)
		for _, st := range stmts {
			sid, _ := st.(map[string]any)["Sid"].(string)
			s.PolicySids = append(s.PolicySids, sid)
		}
	}
	return s
}

func TestDecodeAllFixtures(t *testing.T) {
	tests := []struct {
		file    string
		records int
		skipped int
	}{
		{"logfile.json", 10, 0},
		{"ndjson.jsonl", 5, 0},
		{"eventbridge.json", 1, 0},
		{"eventbridge_batch.json", 2, 1},
		{"cloudwatch_logs_decoded.json", 3, 0},
		{"cloudwatch_logs_awslogs.json", 3, 1},
		{"lookup_events.json", 2, 0},
		{"kinesis_lambda_event.json", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			recs, skipped, err := DecodeAll(data)
			if err != nil {
				t.Fatalf("DecodeAll: %v", err)
			}
			if len(recs) != tt.records || skipped != tt.skipped {
				t.Fatalf("got %d records, %d skipped; want %d, %d", len(recs), skipped, tt.records, tt.skipped)
			}
			var got []summary
			for _, r := range recs {
				got = append(got, summarize(r))
			}
			checkGolden(t, filepath.Join("testdata", "golden", tt.file+".golden"), got)
		})
	}
}

func checkGolden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestDecodeAllErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		records int
		wantErr string
	}{
		{"bad base64", `{"awslogs":{"data":"!!!"}}` + "\n" + `{"eventID":"x"}`, 1, "line 1, offset 0: cloudwatch logs payload: awslogs.data is not base64"},
		{"not gzip", `{"awslogs":{"data":"aGVsbG8="}}`, 0, "awslogs.data is neither gzip nor JSON"},
		{"kinesis data not base64", `{"Records":[{"kinesis":{"data":"%%"}},{"eventID":"after"}]}`, 1, "kinesis record: kinesis.data is not base64"},
		{"lookup event not json", `{"Events":[{"EventId":"e1","CloudTrailEvent":"oops"},{"CloudTrailEvent":"{\"eventID\":\"ok\"}"}]}`, 1,
			"lookup-events Events[0] (EventId e1): CloudTrailEvent is not a JSON object"},
		{"cwl message not json", `{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","message":"plain text"}]}`, 0,
			"cloudwatch logs logEvents[0] (id 1): message is not a JSON object"},
		{"eventbridge without detail", `{"detail-type":"AWS API Call via CloudTrail"}`, 0, "detail is not an object"},
		{"invalid record json", "{\"eventID\":\"a\"}\n{\"eventID\":tru}\n", 1, "line 2, offset 16: decode record: invalid literal"},
		{"truncated log file", `{"Records":[{"eventID":"a"},{"eventID":"b"`, 1, "line 1, offset 28: truncated at offset 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, _, err := DecodeAll([]byte(tt.in))
			if len(recs) != tt.records {
				t.Errorf("got %d records, want %d", len(recs), tt.records)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseDeletionDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"Dec 1, 2026, 12:00:00 AM", "2026-12-01T00:00:00Z"},
		{"Dec 1, 2026, 12:00:00\u202fAM", "2026-12-01T00:00:00Z"},
		{"Mar 30, 2020 12:00:00 AM", "2020-03-30T00:00:00Z"},
		{"Apr 12, 2021 18:58:30 PM", "2021-04-12T18:58:30Z"},
		{"Apr 12, 2021 6:58:30 PM", "2021-04-12T18:58:30Z"},
		{"Jun 3, 2024, 12:30:00 PM", "2024-06-03T12:30:00Z"},
		{"2026-03-09T00:00:00Z", "2026-03-09T00:00:00Z"},
		{"1773014400", "2026-03-09T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDeletionDate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format(time.RFC3339) != tt.want {
				t.Errorf("got %s, want %s", got.Format(time.RFC3339), tt.want)
			}
		})
	}
	if _, err := ParseDeletionDate("next Tuesday"); err == nil {
		t.Error("want an error for an unrecognised date")
	}
}

func TestAccessorsOnIrregularRecords(t *testing.T) {
	tests := []struct {
		name string
		rec  string
		want summary
	}{
		{
			name: "nulls everywhere",
			rec:  `{"eventID":null,"userIdentity":null,"errorCode":null,"errorMessage":null,"resources":null,"requestParameters":null}`,
			want: summary{Outcome: "success"},
		},
		{
			name: "error message only is a failure; mfa false",
			rec: `{"errorMessage":"denied","userIdentity":{"type":"AssumedRole","sessionContext":{"attributes":{"mfaAuthenticated":"false"},
				"sessionIssuer":{"arn":"arn:aws:iam::1:role/R","userName":"R"}}},"requestParameters":{"keyId":"alias/x"}}`,
			want: summary{Outcome: "failure", Actor: alert.Actor{Type: "AssumedRole", SessionIssuerARN: "arn:aws:iam::1:role/R"}},
		},
		{
			name: "key ARNs deduplicated across resources and parameters",
			rec: `{"resources":[{"type":"AWS::KMS::Key","ARN":"arn:aws:kms:eu-west-1:1:key/k1"},{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/o"}],
				"requestParameters":{"keyId":"arn:aws:kms:eu-west-1:1:key/k1"},"responseElements":{"keyId":"arn:aws:kms:eu-west-1:1:key/k2"},
				"recipientAccountId":"1"}`,
			want: summary{Outcome: "success", Account: "1",
				KeyARNs:   []string{"arn:aws:kms:eu-west-1:1:key/k1", "arn:aws:kms:eu-west-1:1:key/k2"},
				Resources: []string{"arn:aws:kms:eu-west-1:1:key/k1", "arn:aws:s3:::b/o"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode([]byte(tt.rec))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestParametersAndResponseElements(t *testing.T) {
	r, err := Decode([]byte(`{"requestParameters":{"keyId":"k","pendingWindowInDays":7},"responseElements":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"keyId": "k", "pendingWindowInDays": json.Number("7")}
	if diff := cmp.Diff(want, r.RequestParameters()); diff != "" {
		t.Errorf("RequestParameters (-want +got):\n%s", diff)
	}
	if r.ResponseElements() != nil {
		t.Errorf("ResponseElements = %v, want nil for null", r.ResponseElements())
	}
}

func TestDecodeKeepsNumbersExact(t *testing.T) {
	r, err := Decode([]byte(`{"requestParameters":{"pendingWindowInDays":7,"big":12345678901234567890}}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Field("requestParameters.big"); v != json.Number("12345678901234567890") {
		t.Errorf("big number = %#v", v)
	}
	if _, err := Decode([]byte(`{"a":1} {"b":2}`)); err == nil {
		t.Error("want an error for data after the record")
	}
}

func TestDedup(t *testing.T) {
	d := NewDedup(2)
	steps := []struct {
		id   string
		seen bool
	}{{"a", false}, {"a", true}, {"b", false}, {"c", false}, {"a", false}, {"c", true}, {"", false}, {"", false}}
	for i, s := range steps {
		if got := d.Seen(s.id); got != s.seen {
			t.Errorf("step %d Seen(%q) = %v, want %v", i, s.id, got, s.seen)
		}
	}
}

func FuzzDecodeAny(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventID":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _, err := DecodeAll(data)
		for _, r := range recs {
			_ = summarize(r) // accessors never panic on any decoded shape
		}
		if err == nil && len(bytes.TrimSpace(data)) > 0 && len(recs) == 0 && !bytes.Contains(data, []byte("detail-type")) &&
			!bytes.Contains(data, []byte("CONTROL_MESSAGE")) && !bytes.Contains(data, []byte("awslogs")) {
			// Input that produced neither records nor errors must be
			// empty containers: never silently dropped data.
			var v any
			if json.Unmarshal(data, &v) != nil {
				t.Fatalf("input %q produced no records and no error", data)
			}
		}
	})
}

func FuzzCloudWatchLogsPayload(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "cloudwatch_logs_awslogs.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var env struct {
			AWSLogs struct{ Data string } `json:"awslogs"`
		}
		if json.Unmarshal(line, &env) == nil {
			f.Add(env.AWSLogs.Data)
		}
	}
	f.Add("H4sIAAAAAAAA/w==")
	f.Fuzz(func(t *testing.T, b64 string) {
		obj, err := json.Marshal(map[string]any{"awslogs": map[string]string{"data": b64}})
		if err != nil {
			t.Skip()
		}
		recs, _, err := unwrapAWSLogs(obj)
		if err != nil && len(recs) > 0 && !strings.Contains(err.Error(), "logEvents") && !strings.Contains(err.Error(), "inside ") {
			t.Fatalf("records returned with a whole-payload error: %v", err)
		}
		for _, raw := range recs {
			if len(raw) == 0 || raw[0] != '{' {
				t.Fatalf("record %q does not start an object", raw)
			}
		}
	})
}

func TestRawString(t *testing.T) {
	rec := []byte(`{"eventVersion":"1.08","userIdentity":{"eventSource":"nested.amazonaws.com","x":["}"]},"eventSource":"kms.amazonaws.com",` +
		`"eventName":"Schedule\"Key","n":null,"eventType":7}`)
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"eventSource", "kms.amazonaws.com", true},
		{"eventName", `Schedule\"Key`, true},
		{"eventVersion", "1.08", true},
		{"n", "", false},
		{"eventType", "", false},
		{"missing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := RawString(rec, tt.key)
			if string(got) != tt.want || ok != tt.ok {
				t.Errorf("RawString(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
			}
		})
	}
	if allocs := testing.AllocsPerRun(100, func() { RawString(rec, "eventName") }); allocs != 0 {
		t.Errorf("RawString allocates %v times", allocs)
	}
}

func FuzzRawString(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "ndjson.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := RawString(raw, "eventSource")
		rec, err := Decode(raw)
		if err != nil || !utf8.Valid(raw) || bytes.Contains(raw, []byte(`\`)) || bytes.Count(raw, []byte(`"eventSource"`)) > 1 {
			return // only exact, unescaped, unambiguous records are compared
		}
		want, isString := rec.Fields["eventSource"].(string)
		if ok != isString || (ok && string(got) != want) {
			t.Fatalf("RawString = %q, %v; Decode says %q, %v", got, ok, want, isString)
		}
	})
}
