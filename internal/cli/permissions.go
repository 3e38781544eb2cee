package cli

import (
	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/inventory/live"
)

func newPermissionsCmd(a *app) *cobra.Command {
	var (
		org  bool
		role string
	)
	cmd := &cobra.Command{
		Use:   "permissions",
		Short: "Print the minimal IAM policy that collect and scan need",
		Long: `permissions prints, as JSON, the least-privilege IAM policy kmsguard needs to
read an account. Every call is a read. With --org it adds what the management
account needs to list the organisation, read its SCPs and assume --role in
each account. Key policies must also let the account's IAM policies apply
(the default key policy does).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			policy, err := live.PermissionsPolicy(org, role)
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(policy)
			return err
		},
	}
	cmd.Flags().BoolVar(&org, "org", false, "add the organisation mode permissions")
	cmd.Flags().StringVar(&role, "role", "", "role name assumed in each account (with --org; default any)")
	return cmd
}
