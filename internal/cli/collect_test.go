package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

// useFakeAWS points the AWS SDK's default configuration chain at a fake
// endpoint through the same environment variables a user would set.
func useFakeAWS(t *testing.T) *awsfake.Server {
	t.Helper()
	created := time.Date(2024, 3, 1, 10, 20, 30, 0, time.UTC)
	srv := awsfake.New(awsfake.Config{
		Accounts: []*awsfake.Account{{
			ID: "111111111111", AccessKey: "AKIAFAKECLI",
			Regions: map[string]*awsfake.Region{"eu-west-1": {Keys: []*awsfake.Key{
				{ID: "1234abcd-12ab-34cd-56ef-1234567890ab", Manager: "CUSTOMER", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", State: "Enabled", Created: created, Policy: `{"Version":"2012-10-17","Statement":[]}`},
				{ID: "5678abcd-12ab-34cd-56ef-1234567890ab", Manager: "CUSTOMER", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", State: "Enabled", Created: created, Policy: `{}`},
			}}},
		}},
		Deny: func(_, _, op, resource string) bool {
			return op == "GetKeyPolicy" && resource == "5678abcd-12ab-34cd-56ef-1234567890ab"
		},
	})
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": "AKIAFAKECLI", "AWS_SECRET_ACCESS_KEY": "fake-secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "eu-west-1",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return srv
}

func TestCollectCommand(t *testing.T) {
	useFakeAWS(t)
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "old.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
		wantFile string
		env      map[string]string
	}{
		{name: "partial failure exits 3", args: []string{"collect", "--out", "OUT"}, wantCode: ExitPartial,
			wantOut: "failed: kms/eu-west-1/keys/5678abcd-12ab-34cd-56ef-1234567890ab/key-policy.error.json: AccessDeniedException", wantErr: "partial failure",
			wantFile: "kms/eu-west-1/keys/1234abcd-12ab-34cd-56ef-1234567890ab/key-policy.json"},
		{name: "missing out", args: []string{"collect"}, wantCode: ExitUsage, wantErr: "--out DIR is required"},
		{name: "non-empty out", args: []string{"collect", "--out", nonEmpty}, wantCode: ExitUsage, wantErr: "is not empty"},
		{name: "bad region", args: []string{"collect", "--out", "OUT", "--regions", "eu-west-1,../x"}, wantCode: ExitUsage, wantErr: "is not a region name"},
		{name: "role without org", args: []string{"collect", "--out", "OUT", "--role", "audit"}, wantCode: ExitUsage, wantErr: "organisation mode only"},
		{name: "no region", args: []string{"collect", "--out", "OUT"}, env: map[string]string{"AWS_REGION": ""}, wantCode: ExitUsage, wantErr: "no region"},
		{name: "no credentials", args: []string{"collect", "--out", "OUT"}, env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": "true"}, wantCode: ExitError, wantErr: "resolve AWS credentials"},
		{name: "org without role", args: []string{"collect", "--out", "OUT", "--org"}, wantCode: ExitUsage, wantErr: "needs a role name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			out := filepath.Join(t.TempDir(), "snap")
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			code, stdout, stderr := runCLI(t, "", args...)
			checkRun(t, code, stdout, stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			if tt.wantFile != "" {
				data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(tt.wantFile)))
				if err != nil {
					t.Fatal(err)
				}
				if !json.Valid(data) {
					t.Errorf("%s is not JSON: %s", tt.wantFile, data)
				}
			}
		})
	}
}

func TestPermissionsCommand(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantActions []string
		denyActions []string
	}{
		{name: "single account", args: []string{"permissions"},
			wantActions: []string{"kms:ListKeys", "kms:GetKeyPolicy", "iam:GetAccountAuthorizationDetails", "ec2:DescribeRegions"},
			denyActions: []string{"sts:AssumeRole", "organizations:ListAccounts"}},
		{name: "organisation", args: []string{"permissions", "--org", "--role", "kmsguard-audit"},
			wantActions: []string{"kms:ListGrants", "organizations:ListAccounts", "organizations:DescribePolicy", "sts:AssumeRole"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var policy struct {
				Statement []struct {
					Effect   string
					Action   []string
					Resource string
				}
			}
			if err := json.Unmarshal([]byte(stdout), &policy); err != nil {
				t.Fatalf("output is not a policy: %v\n%s", err, stdout)
			}
			actions := map[string]bool{}
			for _, s := range policy.Statement {
				if s.Effect != "Allow" {
					t.Errorf("statement effect %q", s.Effect)
				}
				for _, a := range s.Action {
					read := strings.Contains(a, ":Get") || strings.Contains(a, ":List") || strings.Contains(a, ":Describe") || a == "sts:AssumeRole"
					if strings.ContainsAny(a, "*") || !read {
						t.Errorf("action %q is not a read", a)
					}
					actions[a] = true
				}
			}
			for _, a := range tt.wantActions {
				if !actions[a] {
					t.Errorf("policy lacks %s", a)
				}
			}
			for _, a := range tt.denyActions {
				if actions[a] {
					t.Errorf("policy has %s", a)
				}
			}
		})
	}
}
