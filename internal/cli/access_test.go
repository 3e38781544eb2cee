package cli

import (
	"fmt"
	"path/filepath"
	"testing"
)

// TestAccessGolden runs `kmsguard access` over the demo snapshot.
func TestAccessGolden(t *testing.T) {
	demo := filepath.Join("..", "..", "examples", "demo-snapshot")
	cfg := filepath.Join("..", "..", "examples", "kmsguard.yaml")
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{name: "payments-data", args: []string{"alias/payments-data", "--snapshot", demo, "--config", cfg}, wantCode: ExitOK},
		{name: "public-share-json", args: []string{"arn:aws:kms:us-east-1:111122223333:alias/public-share", "--snapshot", demo, "--action", "Decrypt", "--format", "json"}, wantCode: ExitOK},
		{name: "partner-exchange", args: []string{"alias/partner-exchange", "--snapshot", demo, "--action", "kms:Decrypt"}, wantCode: ExitOK},
		{name: "open-org-conditional", args: []string{"alias/open-org", "--snapshot", demo, "--action", "kms:Encrypt"}, wantCode: ExitOK},
		{name: "policy-unreadable", args: []string{"alias/policy-unreadable", "--snapshot", demo}, wantCode: ExitPartial},
		{name: "principal-frank", args: []string{"--principal", "arn:aws:iam::111122223333:user/frank", "--snapshot", demo, "--action", "kms:ScheduleKeyDeletion"}, wantCode: ExitPartial},
		{name: "principal-erin", args: []string{"--principal", "arn:aws:iam::111122223333:user/erin", "--snapshot", demo, "--action", "kms:PutKeyPolicy"}, wantCode: ExitPartial},
		{name: "unknown-key", args: []string{"alias/nope", "--snapshot", demo}, wantCode: ExitUsage},
		{name: "bad-action", args: []string{"alias/payments-data", "--snapshot", demo, "--action", "s3:GetObject"}, wantCode: ExitUsage},
		{name: "key-and-principal", args: []string{"alias/payments-data", "--principal", "x", "--snapshot", demo}, wantCode: ExitUsage},
		{name: "no-snapshot", args: []string{"alias/payments-data"}, wantCode: ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append([]string{"access"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %s)", code, tt.wantCode, stderr)
			}
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
			checkGolden(t, "access/"+tt.name+".golden", got)
		})
	}
}
