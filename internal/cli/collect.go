package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kmsguard/kmsguard/internal/inventory/live"
)

func newCollectCmd(a *app) *cobra.Command {
	var (
		lf  liveFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "collect --out DIR",
		Short: "Read KMS keys, policies, grants and IAM from AWS into a snapshot directory",
		Long: `collect reads AWS with the credentials the AWS CLI would use (environment,
--profile, SSO, web identity, instance and container roles) and writes a
snapshot directory: every file is what "aws <service> <operation> --output json"
prints, and a call that failed leaves <file>.error.json with its Code and Message.
Only read operations are called; "kmsguard permissions" prints the IAM policy.

With --org, the organisation's ACTIVE accounts (or --accounts) are read by
assuming --role in each; the snapshot then has accounts/<id>/ per account and
the organisation's SCPs under organizations/.

Exit status 3 means some calls failed; the snapshot records which.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErrorf("--out DIR is required")
			}
			o, err := lf.options()
			if err != nil {
				return err
			}
			if err := checkEmptyDir(out); err != nil {
				return usageErrorf("%v", err)
			}
			return runCollect(cmd.Context(), a, o, out)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "snapshot directory to create (must not exist or be empty)")
	lf.register(cmd.Flags())
	return cmd
}

func runCollect(ctx context.Context, a *app, o live.Options, out string) error {
	sum, err := collectInto(ctx, a, o, live.DirSink{Root: out})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "collected %d account(s), %d region(s), %d key(s) into %s (%d files)\n",
		sum.Accounts, sum.Regions, sum.Keys, out, sum.Files)
	for _, n := range sum.Notes {
		fmt.Fprintf(a.stdout, "note: %s: %s: %s\n", n.File, n.Code, n.Message)
	}
	for _, f := range sum.Failures {
		fmt.Fprintf(a.stdout, "failed: %s: %s: %s\n", f.File, f.Code, f.Message)
	}
	if sum.Partial() {
		return fmt.Errorf("%w: %d call(s) failed; the snapshot records each as an .error.json file", ErrPartial, len(sum.Failures))
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// checkEmptyDir refuses to write into a directory that already holds
// files: a stale error file next to a fresh result would contradict it.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--out %s: %v", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("--out %s is not empty; collect into a new directory", dir)
	}
	return nil
}

// startProgress draws a one-line progress bar on stderr while collecting,
// only when stderr is a terminal. It returns the function that stops it.
func startProgress(w io.Writer, p *live.Progress) (stop func()) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			fmt.Fprintf(f, "\r\033[Kaccounts %d/%d  regions %d/%d  keys %d/%d",
				p.AccountsDone.Load(), p.AccountsTotal.Load(), p.RegionsDone.Load(), p.RegionsTotal.Load(),
				p.KeysDone.Load(), p.KeysTotal.Load())
			select {
			case <-done:
				fmt.Fprint(f, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
