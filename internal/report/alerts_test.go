package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

func renderAlerts(t *testing.T, format string, opts Options, r AlertRun) []byte {
	t.Helper()
	w, err := NewAlertWriter(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.WriteAlerts(&buf, r); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

func TestAlertGolden(t *testing.T) {
	tests := []struct {
		name   string
		format string
		opts   Options
	}{
		{"alerts.txt", "table", Options{}},
		{"alerts-verbose.txt", "table", Options{Verbose: true}},
		{"alerts.json", "json", Options{}},
		{"alerts.ecs.ndjson", "ecs", Options{}},
		{"alerts.ocsf.jsonl", "ocsf", Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, renderAlerts(t, tc.format, tc.opts, testAlertRun()))
		})
	}
	t.Run("summary.txt", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteAlertSummary(&buf, testAlertRun()); err != nil {
			t.Fatal(err)
		}
		golden(t, "alerts-summary.txt", buf.Bytes())
	})
}

func TestAlertsEmpty(t *testing.T) {
	for _, format := range AlertFormats() {
		t.Run(format, func(t *testing.T) {
			out := string(renderAlerts(t, format, Options{}, AlertRun{Events: 10, Files: 1}))
			switch format {
			case "table":
				if !strings.Contains(out, "No alerts.") {
					t.Errorf("table: %q", out)
				}
			case "json":
				if !strings.Contains(out, `"alerts": []`) {
					t.Errorf("json must list alerts as []: %s", out)
				}
			default:
				if out != "" {
					t.Errorf("%s: want no lines, got %q", format, out)
				}
			}
		})
	}
}

func TestNewAlertWriterUnknown(t *testing.T) {
	_, err := NewAlertWriter("sarif", Options{})
	if err == nil || !strings.Contains(err.Error(), "table, json, ecs, ocsf") {
		t.Errorf("got %v, want an error listing the alert formats", err)
	}
}

func TestOCSFDetectionFindingsValidate(t *testing.T) {
	schema := loadOCSF(t)
	r := testAlertRun()
	validateOCSFLines(t, schema, renderAlerts(t, "ocsf", Options{}, r), 2004, len(r.Alerts))
}

// TestOCSFValidationCatchesBreakage proves the validation above is not
// vacuous on our own output: a broken enum and a missing required object fail.
func TestOCSFValidationCatchesBreakage(t *testing.T) {
	schema := loadOCSF(t)
	line, _, _ := bytes.Cut(renderAlerts(t, "ocsf", Options{}, testAlertRun()), []byte("\n"))
	var ev map[string]any
	if err := json.Unmarshal(line, &ev); err != nil {
		t.Fatal(err)
	}
	ev["severity_id"] = 9
	delete(ev, "finding_info")
	b, _ := json.Marshal(ev)
	res := schema.ValidateJSON(b)
	var got []string
	for _, e := range res.Errors {
		got = append(got, e.Path)
	}
	if diff := cmp.Diff([]string{"finding_info", "severity_id"}, got); diff != "" {
		t.Errorf("error paths (-want +got):\n%s\n%v", diff, res.Errors)
	}
}

func TestECSFields(t *testing.T) {
	var docs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(renderAlerts(t, "ecs", Options{}, testAlertRun())))
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("not one JSON document per line: %v", err)
		}
		docs = append(docs, d)
	}
	if len(docs) != 4 {
		t.Fatalf("got %d documents, want 4", len(docs))
	}
	get := func(d map[string]any, path string) any {
		var cur any = d
		for _, p := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p]
		}
		return cur
	}
	// Alerts sort by event time: DisableKey (service IP), ScheduleKeyDeletion,
	// PutKeyPolicy (IPv6), denied ScheduleKeyDeletion.
	tests := []struct {
		doc  int
		path string
		want any
	}{
		{1, "@timestamp", "2026-11-23T22:14:03.000Z"},
		{1, "event.id", "3b1d6f8e-6d1c-4a7e-9a55-0d6f1f6b2c11"},
		{1, "event.kind", "alert"},
		{1, "event.action", "ScheduleKeyDeletion"},
		{1, "event.provider", "kms.amazonaws.com"},
		{1, "event.outcome", "success"},
		{1, "event.severity", 99.0},
		{1, "rule.id", "kmsguard-kms-disable-or-delete"},
		{1, "rule.ruleset", "kmsguard"},
		{1, "cloud.provider", "aws"},
		{1, "cloud.account.id", "111122223333"},
		{1, "cloud.region", "eu-west-1"},
		{1, "source.ip", "203.0.113.42"},
		{1, "user.name", "alice"},
		{1, "user.id", "AIDAEXAMPLEALICE00001"},
		{1, "aws.cloudtrail.user_identity.access_key_id", "AKIAEXAMPLEALICE0001"},
		{1, "aws.cloudtrail.request_parameters", `{"keyId":"0f4e1c2a-7b3d-4e8f-9a1b-2c3d4e5f6a7b","pendingWindowInDays":7}`},
		{1, "threat.framework", "MITRE ATT&CK"},
		{1, "threat.tactic.id", []any{"TA0040"}},
		{1, "threat.tactic.name", []any{"Impact"}},
		{1, "threat.technique.id", []any{"T1485"}},
		{1, "aws.kms.key_arns", []any{keyDel}},
		{0, "source.ip", nil},
		{0, "source.address", "cloudformation.amazonaws.com"},
		{0, "aws.cloudtrail.user_identity.invoked_by", "cloudformation.amazonaws.com"},
		{0, "aws.cloudtrail.user_identity.session_context.mfa_authenticated", "true"},
		{0, "aws.cloudtrail.user_identity.session_context.session_issuer.arn", "arn:aws:iam::111122223333:role/Deployer"},
		{2, "source.ip", "2001:db8::1"},
		{2, "user.name", "bob"},
		{2, "threat.technique.subtechnique.id", []any{"T1098.003"}},
		{2, "threat.technique.id", []any{"T1098"}},
		{3, "event.outcome", "failure"},
		{3, "aws.cloudtrail.error_code", "AccessDenied"},
		{3, "kmsguard.event_ids", []any{"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e", "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, get(docs[tc.doc], tc.path)); diff != "" {
				t.Errorf("doc %d %s (-want +got):\n%s", tc.doc, tc.path, diff)
			}
		})
	}
}

func TestParseAttackTags(t *testing.T) {
	got := parseAttackTags([]string{"attack.impact", "attack.T1485", "attack.t1098.003", "attack.defense_evasion", "cve.2024-1", "attack.g0016", "attack.t1098"})
	want := attackTags{
		Tactics:       []attackTactic{{"TA0040", "Impact"}, {"TA0005", "Defense Evasion"}},
		Techniques:    []string{"T1485", "T1098"},
		Subtechniques: []string{"T1098.003"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseAttackTags (-want +got):\n%s", diff)
	}
}

func TestAlertsExceedThreshold(t *testing.T) {
	alerts := []alert.Alert{{Severity: severity.Medium}, {Severity: severity.Low}}
	if !AlertsExceedThreshold(alerts, severity.Medium) || AlertsExceedThreshold(alerts, severity.High) {
		t.Error("threshold check wrong")
	}
}

func TestSummaryCapsErrorList(t *testing.T) {
	r := AlertRun{Errors: 25}
	for i := range 25 {
		r.Problems = append(r.Problems, fmt.Sprintf("file-%02d.json.gz: unexpected EOF", i))
	}
	var buf bytes.Buffer
	if err := WriteAlertSummary(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "file-19.json.gz") || strings.Contains(out, "file-20.json.gz") || !strings.Contains(out, "and 5 more errors") {
		t.Errorf("want 20 errors listed and 5 summed up:\n%s", out)
	}
}
