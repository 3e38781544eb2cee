package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDetectValidate: a record whose brackets and strings balance but
// whose members are damaged (a missing comma) and that no rule could
// match is not decoded by default, so only --validate reports it; the
// alert of the intact record is reported either way.
func TestDetectValidate(t *testing.T) {
	damaged := `{"eventVersion":"1.10","eventTime":"2026-03-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances" "awsRegion":"us-east-1","eventID":"damaged-1"}`
	intact := ctEvent("ev-disable-1", "2026-03-01T10:01:00Z", "DisableKey", `{"keyId":"`+keyARN+`"}`, "")
	path := filepath.Join(t.TempDir(), "trail.json")
	if err := os.WriteFile(path, []byte(`{"Records":[`+damaged+`,`+intact+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runDetectCLI(t, "", "detect", path, "--format", "json", "--fail-on", "none")
	if code != 0 || !strings.Contains(out, "ev-disable-1") {
		t.Fatalf("default: exit %d, want 0 with the DisableKey alert\nstdout: %s\nstderr: %s", code, out, stderr)
	}

	code, out, stderr = runDetectCLI(t, "", "detect", path, "--format", "json", "--fail-on", "none", "--validate")
	if code != 3 {
		t.Fatalf("--validate: exit %d, want 3 (partial input failure)\nstderr: %s", code, stderr)
	}
	if !strings.Contains(out, "ev-disable-1") {
		t.Errorf("--validate lost the intact record's alert:\n%s", out)
	}
	if !strings.Contains(stderr, "trail.json") {
		t.Errorf("--validate: the error does not name the file:\n%s", stderr)
	}
}
