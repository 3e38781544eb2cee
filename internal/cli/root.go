// Package cli implements the kmsguard command line: one cobra command tree
// behind Run, which returns an exit code so that the CLI is tested in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// app carries what every command needs: the output streams and the logger.
// Commands receive it instead of reaching for globals, so tests can run many
// commands in one process.
type app struct {
	stdout  io.Writer
	stderr  io.Writer
	stdin   io.Reader
	logger  *slog.Logger
	noColor bool
	// now is the clock for report times and relative --since/--until;
	// nil means time.Now (tests fix it for golden files).
	now func() time.Time
}

// clock returns the current time from a.now, or time.Now.
func (a *app) clock() time.Time {
	if a.now != nil {
		return a.now().UTC()
	}
	return time.Now().UTC()
}

// Run executes the kmsguard command line with args (without the program
// name), reading "-" inputs from the process's standard input, and returns
// the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunWithStdin(ctx, args, os.Stdin, stdout, stderr)
}

// RunWithStdin is Run with an explicit standard input, for commands that
// read "-".
func RunWithStdin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, stdin: stdin}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, ErrFindings) {
		fmt.Fprintf(stderr, "kmsguard: %v\n", err)
	}
	return exitCode(err)
}

func newRootCmd(a *app) *cobra.Command {
	var logLevel string
	root := &cobra.Command{
		Use:   "kmsguard",
		Short: "Keep AWS KMS keys safe: audit, detect, prevent and respond",
		Long: `kmsguard audits AWS KMS keys, key policies, grants and IAM policies against a
catalogue of controls, detects risky KMS activity in CloudTrail with Sigma
rules, and generates guardrails and reviewed remediation plans.

Exit codes:
  0  clean: nothing at or above the failure threshold
  1  findings or alerts at or above --fail-on
  2  usage error: bad flags, arguments or input documents
  3  partial failure: some input could not be read or evaluated
  4  error: the command could not run`,
		Args:          cobra.ArbitraryArgs,
		RunE:          runGroup,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			level, err := parseLogLevel(logLevel)
			if err != nil {
				return err
			}
			a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&logLevel, "log-level", "warn", "diagnostics on stderr: debug, info, warn or error")
	root.PersistentFlags().BoolVar(&a.noColor, "no-color", false, "disable colour in terminal output")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	})
	root.AddCommand(
		newVersionCmd(a),
		newPolicyCmd(a),
		newRulesCmd(a),
		newGuardrailsCmd(a),
		newAlertsCmd(a),
		newCollectCmd(a), newPermissionsCmd(a),
		newRemediateCmd(a),
		newScanCmd(a),
		newControlsCmd(a),
		newAccessCmd(a),
		newWatchCmd(a),
		newDetectCmd(a),
	)
	wrapArgErrors(root)
	return root
}

// runGroup is the action of a command that only groups subcommands: with no
// arguments it shows help, and anything else is an unknown subcommand.
func runGroup(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unknown command %q for %q (see %q)", args[0], cmd.CommandPath(), cmd.CommandPath()+" --help")
	}
	return cmd.Help()
}

// wrapArgErrors makes positional-argument errors of every command map to
// ExitUsage, as flag errors do.
func wrapArgErrors(cmd *cobra.Command) {
	if validate := cmd.Args; validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := validate(c, args); err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		wrapArgErrors(sub)
	}
}

func parseLogLevel(s string) (slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return 0, usageErrorf("--log-level %q: want debug, info, warn or error", s)
	}
	return level, nil
}
