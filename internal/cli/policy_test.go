package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// examples is the repository's examples/policies directory.
const examples = "../../examples/policies/"

func TestPolicyCheckGolden(t *testing.T) {
	stdinPolicy, err := os.ReadFile(examples + "kms-star-all-resources.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
	}{
		{name: "kms-star-all-resources", args: []string{examples + "kms-star-all-resources.json"}},
		{name: "decrypt-all-but-one-key-trusted", args: []string{"--trusted-account", "111122223333", examples + "decrypt-all-but-one-key.json"}},
		{name: "hex-prefix-union", args: []string{examples + "hex-prefix-union.json"}},
		{name: "conditional-via-service", args: []string{examples + "conditional-via-service.json"}},
		{name: "scoped-decrypt", args: []string{"--trusted-account", "111122223333", examples + "scoped-decrypt.json"}},
		{name: "scoped-decrypt-json", args: []string{"--format", "json", "--trusted-account", "111122223333", examples + "scoped-decrypt.json"}},
		{name: "hex-prefix-union-json", args: []string{"--format=json", "--action", "kms:Decrypt", examples + "hex-prefix-union.json"}},
		{name: "misspelled-effect", args: []string{examples + "misspelled-effect.json"}},
		{name: "stdin", stdin: string(stdinPolicy), args: []string{"--action", "kms:Decrypt", "-"}},
		{name: "stdin-url-encoded", stdin: "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3AReEncrypt%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D", args: []string{"-"}},
		{name: "stdin-duplicate-key", stdin: `{"Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}]}`, args: []string{"-"}},
		{name: "request-allowed", args: []string{examples + "scoped-decrypt.json", "--action", "kms:Decrypt",
			"--request-action", "kms:Decrypt", "--resource", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}},
		{name: "request-conditional", args: []string{examples + "conditional-via-service.json", "--action", "kms:Decrypt",
			"--request-action", "kms:Decrypt", "--resource", "arn:aws:kms:eu-west-1:444455556666:key/k", "--context", "kms:ViaService=ec2.eu-west-1.amazonaws.com"}},
		{name: "missing-file", args: []string{examples + "no-such.json"}},
		{name: "action-pattern", args: []string{"--action", "kms:*", "--action", "kms:ReEncrypt*", examples + "scoped-decrypt.json"}},
		{name: "bad-action-flag", args: []string{"--action", "Decrypt", examples + "scoped-decrypt.json"}},
		{name: "bad-trusted-account", args: []string{"--trusted-account", "123", examples + "scoped-decrypt.json"}},
		{name: "bad-format", args: []string{"--format", "xml", examples + "scoped-decrypt.json"}},
		{name: "resource-without-request-action", args: []string{"--resource", "x", examples + "scoped-decrypt.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.stdin, append([]string{"policy", "check"}, tt.args...)...)
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
			checkGolden(t, "policy/"+tt.name+".golden", got)
		})
	}
}

// TestPolicyCheckVerdicts pins the verdicts the README and docs quote, so
// that a golden refresh cannot silently change them.
func TestPolicyCheckVerdicts(t *testing.T) {
	tests := []struct {
		file     string
		args     []string
		wantCode int
		want     []string
	}{
		{"kms-star-all-resources.json", nil, ExitFindings, []string{"allowed on all KMS keys in partition aws: YES", "KMS.1/KMS.2 FAIL"}},
		{"hex-prefix-union.json", []string{"--action", "kms:Decrypt"}, ExitFindings, []string{": YES (upper bound yes, lower bound yes) -> KMS.1/KMS.2 FAIL"}},
		{"conditional-via-service.json", []string{"--action", "kms:Decrypt"}, ExitFindings, []string{": CONDITIONAL (upper bound yes, lower bound no) -> KMS.1/KMS.2 FAIL"}},
		{"decrypt-all-but-one-key.json", []string{"--action", "kms:Decrypt", "--trusted-account", "111122223333"}, ExitFindings, []string{"KMS.1/KMS.2 PASS", "outside accounts 111122223333: YES"}},
		{"scoped-decrypt.json", []string{"--trusted-account", "111122223333"}, ExitOK, []string{"Result: no blocked action is allowed on all keys"}},
		{"misspelled-effect.json", nil, ExitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append(append([]string{"policy", "check"}, tt.args...), examples+tt.file)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout does not contain %q:\n%s", w, stdout)
				}
			}
		})
	}
}
