package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGuardrailsCLI(t *testing.T) {
	const bg = "arn:aws:iam::*:role/KeyAdminBreakGlass"
	t.Run("scp to stdout is JSON", func(t *testing.T) {
		code, out, errOut := runCLI(t, "", "guardrails", "scp", "--authorized", bg, "--min-pending-window", "30")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
		}
		if !strings.Contains(errOut, "of 5120 characters") {
			t.Errorf("size note missing from stderr: %q", errOut)
		}
	})
	t.Run("scp files are minified", func(t *testing.T) {
		dir := t.TempDir()
		code, _, errOut := runCLI(t, "", "guardrails", "scp", "--authorized", bg, "--out", dir)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		b, err := os.ReadFile(filepath.Join(dir, "kmsguard-protect-kms-keys.json"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(string(b), "\n ") {
			t.Errorf("SCP file is not minified:\n%s", b)
		}
	})
	t.Run("key policy from stdin", func(t *testing.T) {
		policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
		code, out, errOut := runCLI(t, policy, "guardrails", "key-policy", "--authorized", "arn:aws:iam::111122223333:role/KeyAdminBreakGlass", "--policy", "-")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, `"Sid": "Root"`) || !strings.Contains(out, `"Sid": "KmsGuardDeletionProtection"`) {
			t.Errorf("merged policy lacks a statement:\n%s", out)
		}
	})
	t.Run("eventbridge terraform", func(t *testing.T) {
		code, out, _ := runCLI(t, "", "guardrails", "eventbridge", "--format", "terraform")
		if code != ExitOK || !strings.Contains(out, `resource "aws_cloudwatch_event_rule"`) {
			t.Errorf("exit %d, output:\n%s", code, out)
		}
	})
	t.Run("collector policy matches permissions", func(t *testing.T) {
		_, want, _ := runCLI(t, "", "permissions", "--org", "--role", "KmsguardAudit")
		code, got, errOut := runCLI(t, "", "guardrails", "collector-policy", "--org", "--role", "KmsguardAudit")
		if code != ExitOK || got != want || !strings.Contains(got, "kms:GetKeyPolicy") {
			t.Errorf("exit %d (%s); collector-policy and permissions differ or lack kms:GetKeyPolicy:\n%s\n---\n%s", code, errOut, got, want)
		}
	})
	t.Run("scp from the config file", func(t *testing.T) {
		code, out, errOut := runCLI(t, "", "guardrails", "scp", "--config", "../../examples/kmsguard.yaml")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{"role/KeyAdminBreakGlass", "aws:ResourceTag/environment", "kms:ScheduleKeyDeletionPendingWindowInDays", `"30"`} {
			if !strings.Contains(out, want) {
				t.Errorf("SCP from examples/kmsguard.yaml lacks %s:\n%s", want, out)
			}
		}
	})
	usage := [][]string{
		{"guardrails", "scp"},
		{"guardrails", "scp", "--authorized", bg, "--protect-tag", "novalue"},
		{"guardrails", "scp", "--authorized", bg, "--min-pending-window", "5"},
		{"guardrails", "eventbridge", "--format", "pulumi"},
		{"guardrails", "key-policy"},
		{"guardrails", "key-policy", "--authorized", bg, "--policy", "/nonexistent/policy.json"},
	}
	for _, args := range usage {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if code, _, errOut := runCLI(t, "{", args...); code != ExitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, ExitUsage, errOut)
			}
		})
	}
}
