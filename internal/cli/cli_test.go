package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runCLI runs the command line in-process and returns its exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = RunWithStdin(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// checkRun reports an exit code other than wantCode, and stdout or stderr
// that lacks wantOut or wantErr.
func checkRun(t *testing.T, code int, stdout, stderr string, wantCode int, wantOut, wantErr string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit code = %d, want %d (stderr %q)", code, wantCode, stderr)
	}
	if !strings.Contains(stdout, wantOut) {
		t.Errorf("stdout %q does not contain %q", stdout, wantOut)
	}
	if !strings.Contains(stderr, wantErr) {
		t.Errorf("stderr %q does not contain %q", stderr, wantErr)
	}
}

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// checkGolden compares got with testdata/<path>, rewriting it under -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	golden := filepath.Join("testdata", filepath.FromSlash(path))
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", golden, diff)
	}
}

func TestRootExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "version", args: []string{"version"}, wantCode: ExitOK, wantOut: "kmsguard "},
		{name: "help", args: []string{"--help"}, wantCode: ExitOK, wantOut: "Exit codes:"},
		{name: "no args shows help", args: nil, wantCode: ExitOK, wantOut: "Available Commands"},
		{name: "unknown command", args: []string{"bogus"}, wantCode: ExitUsage, wantErr: `unknown command "bogus"`},
		{name: "unknown subcommand", args: []string{"policy", "bogus"}, wantCode: ExitUsage, wantErr: `unknown command "bogus" for "kmsguard policy"`},
		{name: "unknown flag", args: []string{"--bogus"}, wantCode: ExitUsage, wantErr: "unknown flag"},
		{name: "bad log level", args: []string{"--log-level", "loud", "version"}, wantCode: ExitUsage, wantErr: "--log-level"},
		{name: "extra argument", args: []string{"version", "x"}, wantCode: ExitUsage, wantErr: "unknown command"},
		{name: "completion", args: []string{"completion", "bash"}, wantCode: ExitOK, wantOut: "bash completion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", tt.args...)
			checkRun(t, code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
		})
	}
}
