package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns its exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = RunWithStdin(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
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
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
		})
	}
}
