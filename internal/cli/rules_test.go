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
	failing := ruleDir(t, map[string]string{"failing.yml": strings.Replace(cliRule, `"eventName": "EnableKey"`, `"eventName": "DisableKey"`, 1)})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{name: "table lists built-ins", args: []string{"rules"}, wantCode: ExitOK,
			wantOut: []string{"ID", "LEVEL", "fcfcb8c4-0f20-4bf1-bfcf-798516697a85", "kms.amazonaws.com:DisableKey,ScheduleKeyDeletion", "11 rules, 0 filters"}},
		{name: "added directory", args: []string{"rules", "--rules", good}, wantCode: ExitOK,
			wantOut: []string{"Test rule for the CLI", "12 rules"}},
		{name: "only the directory", args: []string{"rules", "--rules", good, "--no-builtin"}, wantCode: ExitOK,
			wantOut: []string{"5b3f0c1e-9a8d-4c7b-8e6f-1a2b3c4d5e6f  high", "1 rules"}},
		{name: "no-builtin needs rules", args: []string{"rules", "--no-builtin"}, wantCode: ExitUsage,
			wantErr: []string{"--no-builtin needs"}},
		{name: "bad format", args: []string{"rules", "--format", "xml"}, wantCode: ExitUsage, wantErr: []string{"--format"}},
		{name: "unsupported modifier names file and construct", args: []string{"rules", "--rules", badModifier}, wantCode: ExitUsage,
			wantErr: []string{"bad_mod.yml", `modifier "expand" is not supported`}},
		{name: "correlation rejected", args: []string{"rules", "--rules", correlation}, wantCode: ExitUsage,
			wantErr: []string{"corr.yml", "correlation rules are not supported yet"}},
		{name: "missing directory", args: []string{"rules", "--rules", filepath.Join(good, "nope")}, wantCode: ExitUsage,
			wantErr: []string{"nope"}},
		{name: "test built-ins", args: []string{"rules", "test"}, wantCode: ExitOK,
			wantOut: []string{"PASS  AWS KMS Customer Managed Key Disabled or Scheduled for Deletion  nomatch \"DisableKey denied\"",
				`PASS  AWS KMS Key Policy Opens the Key to Everyone or Another Account  match "PutKeyPolicy opening the key to everyone"`, "0 failed, 0 skipped"}},
		{name: "test directory", args: []string{"rules", "test", "--rules", good, "--no-builtin"}, wantCode: ExitOK,
			wantOut: []string{`PASS  Test rule for the CLI  match "disable"`, `PASS  Test rule for the CLI  nomatch "enable"`, "2 passed, 0 failed, 0 skipped"}},
		{name: "test failure exits 1", args: []string{"rules", "test", "--rules", failing, "--no-builtin"}, wantCode: ExitFindings,
			wantOut: []string{`FAIL  Test rule for the CLI  nomatch "enable" (rule matched)`, "1 passed, 1 failed"}},
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
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got.Rules) != 12 || len(got.Filters) != 1 {
		t.Fatalf("got %d rules and %d filters, want 12 and 1", len(got.Rules), len(got.Filters))
	}
	last := got.Rules[len(got.Rules)-1]
	if last.ID != "5b3f0c1e-9a8d-4c7b-8e6f-1a2b3c4d5e6f" || last.Level != "high" || last.Samples != 2 ||
		len(last.Events) != 1 || last.Events[0] != "kms.amazonaws.com:DisableKey" {
		t.Errorf("added rule listed as %+v", last)
	}
}
