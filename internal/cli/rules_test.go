package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliRule = `title: Test rule for the CLI
id: 5b3f0c1e-9a8d-4c7b-8e6f-1a2b3c4d5e6f
level: high
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: kms.amazonaws.com
        eventName: DisableKey
    condition: selection
kmsguard:
    tests:
        match:
            - name: disable
              event: '{"eventSource": "kms.amazonaws.com", "eventName": "DisableKey"}'
        nomatch:
            - name: enable
              event: '{"eventSource": "kms.amazonaws.com", "eventName": "EnableKey"}'
`

// cliCorrelation is a correlation over cliRule: two DisableKey calls by
// one principal within a minute. Its samples are event sequences.
const cliCorrelation = `title: Two disables in a minute
id: 6c4e1d2f-0b9e-4d8c-9f7a-2b3c4d5e6f70
level: critical
correlation:
    type: event_count
    rules: [5b3f0c1e-9a8d-4c7b-8e6f-1a2b3c4d5e6f]
    group-by: [userIdentity.arn]
    timespan: 1m
    condition: {gte: 2}
kmsguard:
    tests:
        match:
            - name: two in ten seconds
              events:
                  - '{"eventSource": "kms.amazonaws.com", "eventName": "DisableKey", "eventID": "1", "eventTime": "2026-11-20T10:00:00Z", "userIdentity": {"arn": "arn:aws:iam::111122223333:user/a"}}'
                  - '{"eventSource": "kms.amazonaws.com", "eventName": "DisableKey", "eventID": "2", "eventTime": "2026-11-20T10:00:10Z", "userIdentity": {"arn": "arn:aws:iam::111122223333:user/a"}}'
        nomatch:
            - name: two principals
              events:
                  - '{"eventSource": "kms.amazonaws.com", "eventName": "DisableKey", "eventID": "1", "eventTime": "2026-11-20T10:00:00Z", "userIdentity": {"arn": "arn:aws:iam::111122223333:user/a"}}'
                  - '{"eventSource": "kms.amazonaws.com", "eventName": "DisableKey", "eventID": "2", "eventTime": "2026-11-20T10:00:10Z", "userIdentity": {"arn": "arn:aws:iam::111122223333:user/b"}}'
`

// ruleDir writes files into a temporary directory and returns it.
func ruleDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRulesCommand(t *testing.T) {
	good := ruleDir(t, map[string]string{"test_rule.yml": cliRule})
	correlation := ruleDir(t, map[string]string{"corr.yml": "title: Many\nid: 0e95725d-7320-415d-80f7-004da920fc11\ncorrelation:\n    type: event_count\n"})
	badModifier := ruleDir(t, map[string]string{"bad_mod.yml": strings.Replace(cliRule, "eventName: DisableKey", "eventName|expand: '%names%'", 1)})
	withCorr := ruleDir(t, map[string]string{"test_rule.yml": cliRule, "mr_corr.yml": cliCorrelation})
	failingCorr := ruleDir(t, map[string]string{"test_rule.yml": cliRule, "mr_corr.yml": strings.Replace(cliCorrelation, "user/b", "user/a", 1)})
	danglingCorr := ruleDir(t, map[string]string{"mr_corr.yml": cliCorrelation})
	failing := ruleDir(t, map[string]string{"failing.yml": strings.Replace(cliRule, `"eventName": "EnableKey"`, `"eventName": "DisableKey"`, 1)})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{name: "table lists built-ins", args: []string{"rules"}, wantCode: ExitOK,
			wantOut: []string{"ID", "LEVEL", "fcfcb8c4-0f20-4bf1-bfcf-798516697a85", "kms.amazonaws.com:DisableKey,ScheduleKeyDeletion", "14 rules, 0 filters, 2 correlations", "CORRELATION", "a62c5a46-8805-4a4c-9332-16d8467f4960  critical", "value_count       10m by userIdentity.arn: distinct kmsguard.key.arn gte 3"}},
		{name: "added directory", args: []string{"rules", "--rules", good}, wantCode: ExitOK,
			wantOut: []string{"Test rule for the CLI", "15 rules"}},
		{name: "only the directory", args: []string{"rules", "--rules", good, "--no-builtin"}, wantCode: ExitOK,
			wantOut: []string{"5b3f0c1e-9a8d-4c7b-8e6f-1a2b3c4d5e6f  high", "1 rules"}},
		{name: "no-builtin needs rules", args: []string{"rules", "--no-builtin"}, wantCode: ExitUsage,
			wantErr: []string{"--no-builtin needs"}},
		{name: "bad format", args: []string{"rules", "--format", "xml"}, wantCode: ExitUsage, wantErr: []string{"--format"}},
		{name: "unsupported modifier names file and construct", args: []string{"rules", "--rules", badModifier}, wantCode: ExitUsage,
			wantErr: []string{"bad_mod.yml", `modifier "expand" is not supported`}},
		{name: "incomplete correlation rejected", args: []string{"rules", "--rules", correlation}, wantCode: ExitUsage,
			wantErr: []string{"corr.yml", "correlation.timespan is required"}},
		{name: "missing directory", args: []string{"rules", "--rules", filepath.Join(good, "nope")}, wantCode: ExitUsage,
			wantErr: []string{"nope"}},
		{name: "test built-ins", args: []string{"rules", "test"}, wantCode: ExitOK,
			wantOut: []string{"PASS  AWS KMS Customer Managed Key Disabled or Scheduled for Deletion  nomatch \"DisableKey denied\"",
				`PASS  AWS KMS Key Policy Opens the Key to Everyone or Another Account  match "PutKeyPolicy opening the key to everyone"`, "0 failed, 0 skipped"}},
		{name: "test directory", args: []string{"rules", "test", "--rules", good, "--no-builtin"}, wantCode: ExitOK,
			wantOut: []string{`PASS  Test rule for the CLI  match "disable"`, `PASS  Test rule for the CLI  nomatch "enable"`, "2 passed, 0 failed, 0 skipped"}},
		{name: "test failure exits 1", args: []string{"rules", "test", "--rules", failing, "--no-builtin"}, wantCode: ExitFindings,
			wantOut: []string{`FAIL  Test rule for the CLI  nomatch "enable" (rule matched)`, "1 passed, 1 failed"}},
		{name: "test correlation samples", args: []string{"rules", "test", "--rules", withCorr, "--no-builtin"}, wantCode: ExitOK,
			wantOut: []string{`PASS  Two disables in a minute  match "two in ten seconds"`, `PASS  Two disables in a minute  nomatch "two principals"`, "4 passed, 0 failed"}},
		{name: "failing correlation sample exits 1", args: []string{"rules", "test", "--rules", failingCorr, "--no-builtin"}, wantCode: ExitFindings,
			wantOut: []string{`FAIL  Two disables in a minute  nomatch "two principals" (correlation fired)`, "3 passed, 1 failed"}},
		{name: "correlation over a missing rule exits 2", args: []string{"rules", "test", "--rules", danglingCorr}, wantCode: ExitUsage,
			wantErr: []string{"mr_corr.yml", `rule "5b3f0c1e-9a8d-4c7b-8e6f-1a2b3c4d5e6f" is not loaded`}},
		{name: "test load failure exits 2", args: []string{"rules", "test", "--rules", badModifier}, wantCode: ExitUsage,
			wantErr: []string{"bad_mod.yml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
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

func TestRulesJSON(t *testing.T) {
	filter := `title: Ignore automation
logsource:
    product: aws
    service: cloudtrail
filter:
    rules:
        - 5b3f0c1e-9a8d-4c7b-8e6f-1a2b3c4d5e6f
    selection:
        userIdentity.arn|endswith: /automation
    condition: selection
`
	dir := ruleDir(t, map[string]string{"rule.yml": cliRule, "mf_automation.yml": filter})
	code, out, errOut := runCLI(t, "", "rules", "--format", "json", "--rules", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Rules []struct {
			ID      string   `json:"id"`
			Level   string   `json:"level"`
			Events  []string `json:"events"`
			Samples int      `json:"samples"`
		} `json:"rules"`
		Filters []struct {
			Rules []string `json:"rules"`
		} `json:"filters"`
		Correlations []struct {
			ID       string   `json:"id"`
			Type     string   `json:"type"`
			Rules    []string `json:"rules"`
			Timespan string   `json:"timespan"`
			Samples  int      `json:"samples"`
		} `json:"correlations"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got.Rules) != 15 || len(got.Filters) != 1 || len(got.Correlations) != 2 {
		t.Fatalf("got %d rules, %d filters and %d correlations, want 15, 1 and 2", len(got.Rules), len(got.Filters), len(got.Correlations))
	}
	if c := got.Correlations[0]; c.Type != "temporal_ordered" || c.Timespan != "1h" || len(c.Rules) != 2 || c.Samples == 0 {
		t.Errorf("correlation listed as %+v", c)
	}
	last := got.Rules[len(got.Rules)-1]
	if last.ID != "5b3f0c1e-9a8d-4c7b-8e6f-1a2b3c4d5e6f" || last.Level != "high" || last.Samples != 2 ||
		len(last.Events) != 1 || last.Events[0] != "kms.amazonaws.com:DisableKey" {
		t.Errorf("added rule listed as %+v", last)
	}
}
