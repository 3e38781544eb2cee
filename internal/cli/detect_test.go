package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/klauspost/compress/gzip"

	"github.com/kmsguard/kmsguard/internal/ocsfschema"
)

// detectNow is the fixed clock of the detect tests: report times and
// relative --since/--until are computed from it.
var detectNow = time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)

// runDetectCLI is runCLI with the clock fixed at detectNow.
func runDetectCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, stdin: strings.NewReader(stdin), now: func() time.Time { return detectNow }}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	if err != nil && !strings.Contains(err.Error(), ErrFindings.Error()) {
		fmt.Fprintf(&errb, "kmsguard: %v\n", err)
	}
	return exitCode(err), out.String(), errb.String()
}

const keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// ctEvent is a KMS CloudTrail record by an IAM user of 111122223333.
func ctEvent(id, at, name, params, errorCode string) string {
	extra := ""
	if errorCode != "" {
		extra = fmt.Sprintf(`,"errorCode":%q,"errorMessage":"User is not authorized"`, errorCode)
	}
	return fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSERID01","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY00001","userName":"alice"},`+
		`"eventTime":%q,"eventSource":"kms.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userAgent":"aws-cli/2.15.30",`+
		`"requestParameters":%s,"responseElements":null,"requestID":"req-%s","eventID":%q,"readOnly":false,`+
		`"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":%q}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"%s}`,
		at, name, params, id, id, keyARN, extra)
}

var (
	evDisable  = ctEvent("00000000-0000-4000-8000-000000000001", "2026-03-01T10:00:00Z", "DisableKey", `{"keyId":"`+keyARN+`"}`, "")
	evDecrypt  = ctEvent("00000000-0000-4000-8000-000000000002", "2026-03-01T10:05:00Z", "Decrypt", `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`, "")
	evSchedule = ctEvent("00000000-0000-4000-8000-000000000003", "2026-03-02T11:00:00Z", "ScheduleKeyDeletion", `{"keyId":"`+keyARN+`","pendingWindowInDays":7}`, "")
	evDenied   = ctEvent("00000000-0000-4000-8000-000000000004", "2026-03-03T09:00:00Z", "ScheduleKeyDeletion", `{"keyId":"`+keyARN+`","pendingWindowInDays":30}`, "AccessDenied")
	evLost     = ctEvent("00000000-0000-4000-8000-000000000005", "2026-03-03T09:30:00Z", "DisableKey", `{"keyId":"`+keyARN+`"}`, "")
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func logFile(events ...string) string { return `{"Records":[` + strings.Join(events, ",") + `]}` }

const trailDir = "AWSLogs/111122223333/CloudTrail/us-east-1/"

// detectObjects is a small trail in the S3 delivery layout: three days,
// the DisableKey delivered twice (again in the third day's file), and a
// digest file that must be skipped.
func detectObjects(t *testing.T) map[string][]byte {
	return map[string][]byte{
		trailDir + "2026/03/01/111122223333_CloudTrail_us-east-1_20260301T1005Z_a.json.gz":                                              gz(t, logFile(evDisable, evDecrypt)),
		trailDir + "2026/03/02/111122223333_CloudTrail_us-east-1_20260302T1100Z_b.json.gz":                                              gz(t, logFile(evSchedule)),
		trailDir + "2026/03/03/111122223333_CloudTrail_us-east-1_20260303T0900Z_c.json.gz":                                              gz(t, logFile(evDenied, evDisable)),
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/03/111122223333_CloudTrail-Digest_us-east-1_x_20260303T0900Z.json.gz": gz(t, `{"digestStartTime":"2026-03-03T08:00:00Z"}`),
	}
}

func writeTree(t *testing.T, objects map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for key, data := range objects {
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// jsonAlerts returns "eventName rule_id" per alert of a --format json report.
func jsonAlerts(t *testing.T, out string) []string {
	t.Helper()
	var doc struct {
		Alerts []struct {
			RuleID    string `json:"rule_id"`
			EventID   string `json:"event_id"`
			EventName string `json:"event_name"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	var got []string
	for _, a := range doc.Alerts {
		got = append(got, a.EventID[len(a.EventID)-1:]+" "+a.EventName+" "+a.RuleID[:8])
	}
	return got
}

// The alerts of the full trail, in report order (event time, rule id):
// event number, name, rule id prefix.
var allAlerts = []string{
	"1 DisableKey f5696a95", // every KMS configuration change
	"1 DisableKey fcfcb8c4", // key disabled or scheduled for deletion
	"3 ScheduleKeyDeletion 7bf60909",
	"3 ScheduleKeyDeletion f5696a95",
	"4 ScheduleKeyDeletion c6420a7c", // denied destructive action
}

func TestDetectFormatsGolden(t *testing.T) {
	dir := writeTree(t, detectObjects(t))
	schema := loadOCSFSchema(t)
	for _, format := range []string{"table", "json", "ecs", "ocsf"} {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := runDetectCLI(t, "", "detect", filepath.Join(dir, "AWSLogs"), "--format", format)
			if code != ExitFindings {
				t.Errorf("exit %d, want %d (high alerts, default --fail-on high); stderr:\n%s", code, ExitFindings, errOut)
			}
			for _, want := range []string{"3 files", "5 events", "1 skipped", "5 alerts", "2 duplicate alerts"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("summary lacks %q:\n%s", want, errOut)
				}
			}
			checkGolden(t, "detect/"+format+".golden", out)
			switch format {
			case "json":
				if diff := cmp.Diff(allAlerts, jsonAlerts(t, out)); diff != "" {
					t.Errorf("alerts (-want +got):\n%s", diff)
				}
			case "ocsf", "ecs":
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if len(lines) != len(allAlerts) {
					t.Fatalf("%d lines, want one per alert (%d)", len(lines), len(allAlerts))
				}
				if format == "ocsf" {
					for i, l := range lines {
						if res := schema.ValidateJSON([]byte(l)); len(res.Errors) > 0 {
							t.Errorf("alert %d is not a valid OCSF event: %v", i, res.Errors)
						}
					}
				}
			}
		})
	}
}

func loadOCSFSchema(t *testing.T) *ocsfschema.Schema {
	t.Helper()
	dir, err := ocsfschema.Locate()
	if err != nil {
		t.Fatalf("OCSF schema not found: %v", err)
	}
	s, err := ocsfschema.Load(dir)
	if err != nil {
		t.Fatalf("load OCSF schema: %v", err)
	}
	return s
}

func TestDetectRuns(t *testing.T) {
	objects := detectObjects(t)
	dir := writeTree(t, objects)
	logs := filepath.Join(dir, "AWSLogs")

	broken := detectObjects(t)
	whole := gz(t, logFile(evLost))
	corruptKey := trailDir + "2026/03/03/111122223333_CloudTrail_us-east-1_20260303T0930Z_d.json.gz"
	broken[corruptKey] = whole[:len(whole)/2] // truncated mid-stream
	brokenDir := filepath.Join(writeTree(t, broken), "AWSLogs")

	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantAlerts []string // nil: not a JSON run
		wantErr    []string
	}{
		{name: "all", args: []string{logs, "--format", "json"}, wantCode: ExitFindings, wantAlerts: allAlerts},
		{name: "fail-on none", args: []string{logs, "--format", "json", "--fail-on", "none"}, wantCode: ExitOK, wantAlerts: allAlerts},
		{name: "fail-on critical", args: []string{logs, "--format", "json", "--fail-on", "critical"}, wantCode: ExitOK, wantAlerts: allAlerts},
		{name: "fail-on medium", args: []string{logs, "--format", "json", "--fail-on", "medium"}, wantCode: ExitFindings, wantAlerts: allAlerts},
		{name: "one worker", args: []string{logs, "--format", "json", "--workers", "1"}, wantCode: ExitFindings, wantAlerts: allAlerts},
		{name: "since and until", args: []string{logs, "--format", "json", "--since", "2026-03-02T00:00:00Z", "--until", "2026-03-02T23:59:59Z"},
			wantCode: ExitFindings, wantAlerts: []string{"3 ScheduleKeyDeletion 7bf60909", "3 ScheduleKeyDeletion f5696a95"},
			wantErr: []string{"events outside --since/--until"}},
		{name: "relative since", args: []string{logs, "--format", "json", "--since", "36h", "--fail-on", "none"},
			wantCode: ExitOK, wantAlerts: []string{"4 ScheduleKeyDeletion c6420a7c"}},
		{name: "relative since in days", args: []string{logs, "--format", "json", "--since", "7d"}, wantCode: ExitFindings, wantAlerts: allAlerts},
		{name: "until only", args: []string{logs, "--format", "json", "--until", "2026-03-01T23:00:00Z"},
			wantCode: ExitOK, wantAlerts: allAlerts[:2]},
		{name: "stdin", stdin: logFile(evDisable, evDecrypt, evDisable), args: []string{"-", "--format", "json"},
			wantCode: ExitOK, wantAlerts: allAlerts[:2], wantErr: []string{"1 file", "3 events", "2 duplicate alerts"}},
		{name: "stdin NDJSON", stdin: evDenied + "\n" + evDecrypt + "\n", args: []string{"-", "--format", "json", "--fail-on", "none"},
			wantCode: ExitOK, wantAlerts: []string{"4 ScheduleKeyDeletion c6420a7c"}},
		{name: "file and stdin together", stdin: logFile(evDenied), args: []string{filepath.Join(dir, trailDir, "2026/03/01"), "-", "--format", "json"},
			wantCode: ExitOK, wantAlerts: []string{allAlerts[0], allAlerts[1], allAlerts[4]}},
		{name: "corrupt file: partial, other alerts kept", args: []string{brokenDir, "--format", "json"},
			wantCode: ExitPartial, wantAlerts: allAlerts, wantErr: []string{"_d.json.gz", "1 error", "partial failure"}},
		{name: "rules added from a directory", args: []string{logs, "--format", "json", "--rules", filepath.Join("testdata", "detect", "rules")},
			wantCode: ExitFindings, wantAlerts: []string{allAlerts[0], allAlerts[1], "2 Decrypt 5e1f0a77", allAlerts[2], allAlerts[3], allAlerts[4]}},
		{name: "only rules from a directory", args: []string{logs, "--format", "json", "--no-builtin", "--rules", filepath.Join("testdata", "detect", "rules")},
			wantCode: ExitOK, wantAlerts: []string{"2 Decrypt 5e1f0a77"}},
		{name: "bad since", args: []string{logs, "--since", "yesterday"}, wantCode: ExitUsage, wantErr: []string{"--since"}},
		{name: "until before since", args: []string{logs, "--since", "2026-03-02T00:00:00Z", "--until", "2026-03-01T00:00:00Z"}, wantCode: ExitUsage, wantErr: []string{"before --since"}},
		{name: "bad format", args: []string{logs, "--format", "xml"}, wantCode: ExitUsage, wantErr: []string{"--format"}},
		{name: "bad fail-on", args: []string{logs, "--fail-on", "urgent"}, wantCode: ExitUsage, wantErr: []string{"--fail-on"}},
		{name: "bad rules directory", args: []string{logs, "--rules", filepath.Join(dir, "nope")}, wantCode: ExitUsage, wantErr: []string{"nope"}},
		{name: "no input", args: nil, wantCode: ExitUsage, wantErr: []string{"requires at least 1 arg"}},
		{name: "missing path", args: []string{filepath.Join(dir, "missing")}, wantCode: ExitPartial, wantErr: []string{"missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runDetectCLI(t, tt.stdin, append([]string{"detect"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			if tt.wantAlerts != nil {
				if diff := cmp.Diff(tt.wantAlerts, jsonAlerts(t, out)); diff != "" {
					t.Errorf("alerts (-want +got):\n%s", diff)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestDetectOutputFile(t *testing.T) {
	dir := writeTree(t, detectObjects(t))
	outFile := filepath.Join(t.TempDir(), "alerts.json")
	code, out, errOut := runDetectCLI(t, "", "detect", filepath.Join(dir, "AWSLogs"), "--format", "json", "--output", outFile)
	if code != ExitFindings || out != "" {
		t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(allAlerts, jsonAlerts(t, string(data))); diff != "" {
		t.Errorf("alerts in --output (-want +got):\n%s", diff)
	}
}

// TestDetectS3 reads the same trail from an S3-compatible server through
// the real SDK client the command builds (endpoint, credentials and Region
// from the environment, as the AWS CLI takes them).
func TestDetectS3(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}); err != nil {
		t.Fatal(err)
	}
	objects := detectObjects(t)
	keys := make([]string, 0, len(objects))
	for k := range objects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(k), Body: bytes.NewReader(objects[k])}); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": srv.URL, "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	code, out, errOut := runDetectCLI(t, "", "detect", "s3://trail-bucket/AWSLogs/", "--region", "us-east-1", "--format", "json")
	if code != ExitFindings {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if diff := cmp.Diff(allAlerts, jsonAlerts(t, out)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if !strings.Contains(errOut, "3 files") || !strings.Contains(errOut, "1 skipped") {
		t.Errorf("summary:\n%s", errOut)
	}
	code, _, errOut = runDetectCLI(t, "", "detect", "s3://trail-bucket/AWSLogs/")
	if code != ExitError || !strings.Contains(errOut, "Region") {
		t.Errorf("without a Region: exit %d, stderr:\n%s", code, errOut)
	}
}
