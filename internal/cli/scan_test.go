package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

const (
	demoSnapshot = "../../examples/demo-snapshot"
	demoConfig   = "../../examples/kmsguard.yaml"
	demoNow      = "2026-11-20T09:30:00Z" // demogen.DemoTime()
)

// TestScanDemoGolden scans the demo snapshot in every format. The demo has
// FAILs at high and above, so the exit code is 1.
func TestScanDemoGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "table", args: []string{"--format", "table"}},
		{name: "table-verbose-config", args: []string{"--format", "table", "--verbose", "--config", demoConfig}},
		{name: "json", args: []string{"--format", "json"}},
		{name: "csv", args: []string{"--format", "csv"}},
		{name: "sarif", args: []string{"--format", "sarif"}},
		{name: "asff", args: []string{"--format", "asff"}},
		{name: "ocsf", args: []string{"--format", "ocsf"}},
		{name: "html", args: []string{"--format", "html"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"scan", "--snapshot", demoSnapshot, "--now", demoNow}, tt.args...)
			code, out, errOut := runCLI(t, "", args...)
			if code != ExitFindings {
				t.Errorf("exit code %d, want %d (stderr %q)", code, ExitFindings, errOut)
			}
			checkGolden(t, "scan/"+tt.name+".golden", out)
		})
	}
}

func TestScanExitCodes(t *testing.T) {
	// Without --snapshot scan collects live: keep it hermetic (no region, no
	// shared config, no instance metadata lookups off this machine).
	for k, v := range map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none")} {
		t.Setenv(k, v)
	}
	brokenDir := t.TempDir()
	copyDir(t, demoSnapshot, brokenDir)
	if err := os.WriteFile(filepath.Join(brokenDir, "iam", "account-authorization-details.json"), []byte(`{"UserDetailList": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	badConfig := filepath.Join(t.TempDir(), "kmsguard.yaml")
	if err := os.WriteFile(badConfig, []byte("severity:\n  KMS.99: high\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "findings at or above high", args: []string{"--snapshot", demoSnapshot}, wantCode: ExitFindings},
		{name: "below --fail-on but unknown is partial", args: []string{"--snapshot", demoSnapshot, "--controls", "KMS.GRANT.1,KMSGUARD-XA-1", "--fail-on", "critical"},
			wantCode: ExitPartial, wantErr: "1 finding(s) are UNKNOWN"},
		{name: "grant failures are high", args: []string{"--snapshot", demoSnapshot, "--controls", "KMS.GRANT.1"}, wantCode: ExitFindings},
		{name: "fail-on none with unknowns is partial", args: []string{"--snapshot", demoSnapshot, "--fail-on", "none"}, wantCode: ExitPartial},
		{name: "medium failures below --fail-on and nothing unknown", args: []string{"--snapshot", demoSnapshot, "--controls", "KMS.2", "--fail-on", "critical"}, wantCode: ExitOK, wantOut: "2 FAIL, 0 UNKNOWN"},
		{name: "snapshot problem outranks findings", args: []string{"--snapshot", brokenDir}, wantCode: ExitPartial, wantOut: "could not be read"},
		{name: "live scan needs a region", args: nil, wantCode: ExitUsage, wantErr: "no region"},
		{name: "live flags need no snapshot", args: []string{"--snapshot", demoSnapshot, "--region", "us-east-1"}, wantCode: ExitUsage, wantErr: "cannot be used with --snapshot"},
		{name: "no such directory", args: []string{"--snapshot", "does-not-exist"}, wantCode: ExitUsage},
		{name: "bad format", args: []string{"--snapshot", demoSnapshot, "--format", "xml"}, wantCode: ExitUsage, wantErr: "unknown report format"},
		{name: "bad fail-on", args: []string{"--snapshot", demoSnapshot, "--fail-on", "severe"}, wantCode: ExitUsage, wantErr: "--fail-on"},
		{name: "unknown control", args: []string{"--snapshot", demoSnapshot, "--controls", "KMS.99"}, wantCode: ExitUsage, wantErr: `unknown control "KMS.99"`},
		{name: "config names an unknown control", args: []string{"--snapshot", demoSnapshot, "--config", badConfig}, wantCode: ExitUsage, wantErr: "line 2"},
		{name: "expired suppression is reported", args: []string{"--snapshot", demoSnapshot, "--config", demoConfig, "--now", demoNow}, wantCode: ExitFindings,
			wantOut: "note: suppression at ../../examples/kmsguard.yaml line", wantErr: "expired on 2026-01-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", append([]string{"scan"}, tt.args...)...)
			checkRun(t, code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
		})
	}
}

func TestScanOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	code, out, errOut := runCLI(t, "", "scan", "--snapshot", demoSnapshot, "--format", "json", "--output", path, "--controls", "KMS.5")
	if code != ExitFindings || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Findings []struct {
			ControlID string `json:"control_id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 {
		t.Fatal("no findings in the report file")
	}
	for _, f := range r.Findings {
		if f.ControlID != "KMS.5" {
			t.Errorf("--controls KMS.5 produced a %s finding", f.ControlID)
		}
	}
}

func TestControlsCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{name: "list", args: []string{"controls"}},
		{name: "list-json", args: []string{"controls", "--format", "json"}},
		{name: "show-kms1", args: []string{"controls", "show", "KMS.1"}},
		{name: "show-dp1", args: []string{"controls", "show", "KMSGUARD-DP-1"}},
		{name: "show-unknown", args: []string{"controls", "show", "KMS.99"}, wantCode: ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			checkGolden(t, "controls/"+tt.name+".golden", out+errOut)
		})
	}
}

// copyDir copies a snapshot directory tree.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
