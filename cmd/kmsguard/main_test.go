package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryReadsStdin builds the real binary and feeds a policy on standard
// input: "-" must read the process's stdin, not an empty reader.
func TestBinaryReadsStdin(t *testing.T) {
	bin := t.TempDir() + "/kmsguard"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "policy", "check", "--action", "kms:Decrypt", "-")
	cmd.Stdin = strings.NewReader(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)
	cmd.Env = os.Environ()
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit 1 (kms:Decrypt allowed on all keys), got err=%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "kms:Decrypt") {
		t.Errorf("output does not discuss kms:Decrypt:\n%s", out)
	}
}
