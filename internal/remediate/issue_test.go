package remediate_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/remediate"
)

// The inputs are the files kmsguard's own report writers produce (their
// golden files), so a change of those formats breaks this test.

func TestReadFindingsFromScanReport(t *testing.T) {
	f, err := os.Open("../report/testdata/golden/report.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := remediate.ReadFindings(f, "report.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, is := range in.Issues {
		got = append(got, is.ControlID+" "+is.ResourceID)
		if is.Remediation == "" {
			t.Errorf("%s: remediation text not read", is.ControlID)
		}
	}
	want := []string{
		"KMS.3 arn:aws:kms:eu-west-1:111122223333:key/0f4e1c2a-7b3d-4e8f-9a1b-2c3d4e5f6a7b",
		"KMS.5 arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
		"KMS.1 arn:aws:iam::111122223333:policy/DataPipelineDecrypt",
		"KMS.2 arn:aws:iam::111122223333:user/ci-deploy",
		"KMS.4 arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"KMSG.DELETION arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	if len(in.Skipped) != 2 || !strings.Contains(in.Skipped[0], "suppressed") || !strings.HasPrefix(in.Skipped[1], "4 finding(s) not FAIL") {
		t.Errorf("skipped = %q", in.Skipped)
	}
}

func TestReadAlertsFromDetectOutput(t *testing.T) {
	f, err := os.Open("../report/testdata/golden/alerts.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := remediate.ReadAlerts(f, "alerts.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, is := range in.Issues {
		got = append(got, is.EventName+" "+is.ResourceID)
	}
	want := []string{
		"DisableKey arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"ScheduleKeyDeletion arn:aws:kms:eu-west-1:111122223333:key/0f4e1c2a-7b3d-4e8f-9a1b-2c3d4e5f6a7b",
		"PutKeyPolicy arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	if len(in.Skipped) != 1 || !strings.Contains(in.Skipped[0], "the call failed") {
		t.Errorf("skipped = %q", in.Skipped)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
		alerts            bool
	}{
		{name: "syntax", input: `{"findings": [}`, want: "report.json: invalid JSON at offset 15"},
		{name: "not a report", input: `{"alerts": []}`, want: `no "findings" array`},
		{name: "trailing", input: `{"findings": []} {}`, want: "trailing data after the JSON document at offset 17"},
		{name: "missing control", input: `{"findings": [{"status": "FAIL", "resource_id": "x"}]}`, want: "findings[0]: control_id and resource_id are required"},
		{name: "wrong type", input: `{"findings": [{"control_id": 7}]}`, want: "at findings.control_id (offset 30): number where string was expected"},
		{name: "alerts not an envelope", input: `[]`, want: "at the top level (offset 1): array where struct", alerts: true},
		{name: "alerts missing", input: `{"findings": []}`, want: `no "alerts" array`, alerts: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.alerts {
				_, err = remediate.ReadAlerts(strings.NewReader(tt.input), "report.json")
			} else {
				_, err = remediate.ReadFindings(strings.NewReader(tt.input), "report.json")
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzReadInputs(f *testing.F) {
	for _, path := range []string{"../report/testdata/golden/report.json", "../report/testdata/golden/alerts.json"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"findings":[{"control_id":"KMS.3","status":"FAIL","resource_id":"arn:aws:kms:a-b-1:111122223333:key/x"}]}`))
	f.Add([]byte(`{"alerts":[{"event_name":"DisableKey","outcome":"success"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, read := range []func(r *strings.Reader) (remediate.Inputs, error){
			func(r *strings.Reader) (remediate.Inputs, error) { return remediate.ReadFindings(r, "in") },
			func(r *strings.Reader) (remediate.Inputs, error) { return remediate.ReadAlerts(r, "in") },
		} {
			in, err := read(strings.NewReader(string(data)))
			if err != nil {
				if !strings.HasPrefix(err.Error(), "in: ") {
					t.Errorf("error does not name the input: %v", err)
				}
				continue
			}
			for _, is := range in.Issues {
				if is.ResourceID == "" {
					t.Errorf("issue without a resource: %+v", is)
				}
			}
		}
	})
}
