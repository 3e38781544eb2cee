package cli

import (
	"github.com/spf13/cobra"
)

func newPolicyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Reason about IAM, key and SCP policy documents",
		Args:  cobra.ArbitraryArgs,
		RunE:  runGroup,
	}
	_ = a
	return cmd
}
