package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
	"github.com/kmsguard/kmsguard/internal/state"
)

// alertsStore writes a SQLite store holding three alerts recorded at fixed
// times on 2026-03-14, and one recorded just now.
func alertsStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	fixed, err := state.Open(ctx, path, state.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	defer fixed.Close()
	for i, a := range []alert.Alert{
		{ID: "a1", RuleID: "kms-disable-key", Severity: severity.Medium, EventName: "DisableKey",
			Actor: alert.Actor{ARN: "arn:aws:iam::111122223333:user/bob"}, KeyARNs: []string{"arn:aws:kms:eu-west-1:111122223333:key/dev"}},
		{ID: "a2", RuleID: "kms-schedule-deletion", Severity: severity.Critical, EventName: "ScheduleKeyDeletion",
			Actor: alert.Actor{ARN: "arn:aws:iam::111122223333:user/eve"}, KeyARNs: []string{"arn:aws:kms:eu-west-1:111122223333:key/prod"}},
		{ID: "a3", RuleID: "kms-disable-key", Severity: severity.High, EventName: "DisableKey",
			Actor: alert.Actor{InvokedBy: "cloudformation.amazonaws.com"}},
	} {
		at = at.Add(time.Duration(i+1) * time.Minute)
		if _, err := fixed.RecordAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	live, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := live.RecordAlert(ctx, alert.Alert{ID: "now-1", RuleID: "kms-policy-change", Severity: severity.Low, EventName: "PutKeyPolicy"}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAlertsCommand(t *testing.T) {
	path := alertsStore(t)
	const day = "--since=2026-03-14T00:00:00Z"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantIDs  []string   // for --format json
		wantRows [][]string // for the table: the fields of each line
		wantErr  string
	}{
		{name: "default since 24h", args: []string{"--format", "json"}, wantIDs: []string{"now-1"}},
		{name: "everything", args: []string{"--since", "0", "--format", "json"}, wantIDs: []string{"now-1", "a3", "a2", "a1"}},
		{name: "since a time", args: []string{day, "--format", "json"}, wantIDs: []string{"now-1", "a3", "a2", "a1"}},
		{name: "rule", args: []string{day, "--rule", "kms-disable-key", "--format", "json"}, wantIDs: []string{"a3", "a1"}},
		{name: "min severity", args: []string{day, "--min-severity", "HIGH", "--format", "json"}, wantIDs: []string{"a3", "a2"}},
		{name: "key", args: []string{day, "--key", "arn:aws:kms:eu-west-1:111122223333:key/prod", "--format", "json"}, wantIDs: []string{"a2"}},
		{name: "limit", args: []string{day, "--limit", "2", "--format", "json"}, wantIDs: []string{"now-1", "a3"}},
		{name: "none match", args: []string{day, "--rule", "nope", "--format", "json"}, wantIDs: []string{}},
		{name: "table", args: []string{day, "--rule", "kms-disable-key"}, wantRows: [][]string{
			{"RECORDED", "SEVERITY", "RULE", "EVENT", "ACTOR", "KEYS"},
			{"2026-03-14T10:06:00Z", "high", "kms-disable-key", "DisableKey", "cloudformation.amazonaws.com", "-"},
			{"2026-03-14T10:01:00Z", "medium", "kms-disable-key", "DisableKey", "arn:aws:iam::111122223333:user/bob", "arn:aws:kms:eu-west-1:111122223333:key/dev"},
		}},
		{name: "empty table", args: []string{day, "--rule", "nope"}, wantRows: [][]string{
			{"RECORDED", "SEVERITY", "RULE", "EVENT", "ACTOR", "KEYS"},
			{"(no", "alerts)"},
		}},
		{name: "bad severity", args: []string{"--min-severity", "severe"}, wantCode: ExitUsage, wantErr: "--min-severity"},
		{name: "bad since", args: []string{"--since", "yesterday"}, wantCode: ExitUsage, wantErr: `--since "yesterday"`},
		{name: "bad format", args: []string{"--format", "xml"}, wantCode: ExitUsage, wantErr: `--format "xml"`},
		{name: "bad limit", args: []string{"--limit", "0"}, wantCode: ExitUsage, wantErr: "--limit 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"alerts", "--state", path}, tt.args...)
			code, out, errOut := runCLI(t, "", args...)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
			if tt.wantIDs != nil {
				var got []alertJSON
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("stdout is not a JSON array: %v\n%s", err, out)
				}
				ids := []string{}
				for _, g := range got {
					ids = append(ids, g.Alert.ID)
				}
				if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
					t.Errorf("alert IDs (-want +got):\n%s", diff)
				}
			}
			if tt.wantRows != nil {
				if diff := cmp.Diff(tt.wantRows, tableRows(out)); diff != "" {
					t.Errorf("table rows (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestAlertsCommandStoreProblems(t *testing.T) {
	t.Run("missing store is not created", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "typo.db")
		code, _, errOut := runCLI(t, "", "alerts", "--state", path)
		if code != ExitUsage || !strings.Contains(errOut, "no state store there") {
			t.Errorf("exit %d, stderr %q; want usage error naming the missing store", code, errOut)
		}
	})
	t.Run("store from environment", func(t *testing.T) {
		t.Setenv(stateEnv, alertsStore(t))
		code, out, errOut := runCLI(t, "", "alerts", "--since", "0")
		if code != ExitOK || !strings.Contains(out, "kms-schedule-deletion") {
			t.Errorf("exit %d, stdout %q, stderr %q; want the stored alerts", code, out, errOut)
		}
	})
	t.Run("corrupt entry is reported, the rest listed", func(t *testing.T) {
		path := alertsStore(t)
		corruptAlertBody(t, path, "a2")
		code, out, errOut := runCLI(t, "", "alerts", "--state", path, "--since", "0")
		if code != ExitPartial {
			t.Errorf("exit code = %d, want %d", code, ExitPartial)
		}
		if !strings.Contains(errOut, "alert a2") || !strings.Contains(errOut, "corrupt") {
			t.Errorf("stderr %q does not name the corrupt entry", errOut)
		}
		var rules []string
		for _, row := range tableRows(out)[1:] {
			rules = append(rules, row[2])
		}
		if diff := cmp.Diff([]string{"kms-policy-change", "kms-disable-key", "kms-disable-key"}, rules); diff != "" {
			t.Errorf("listed rules (-want +got):\n%s", diff)
		}
	})
}

func tableRows(out string) [][]string {
	var rows [][]string
	for line := range strings.Lines(out) {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

// corruptAlertBody overwrites the stored JSON of one alert with a truncated
// document, as a damaged disk or a careless manual edit would.
func corruptAlertBody(t *testing.T, path, alertID string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(`UPDATE alerts SET body = '{"id": "' || alert_id || '", "sev' WHERE alert_id = ?1`, alertID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("corrupted %d rows, want 1", n)
	}
}
