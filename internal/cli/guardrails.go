package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/guardrails"
	"github.com/kmsguard/kmsguard/internal/inventory/live"
)

// guardrailFlags are the options every guardrails subcommand shares.
type guardrailFlags struct {
	configPath      string
	authorized      []string
	protectKeys     []string
	protectTags     []string
	minWindow       int
	denyForeign     bool
	trustedAccounts []string
	outDir          string
}

// options merges the config file's guardrails section (when --config is
// given) with the flags; flags add to the lists and override the scalars.
func (f *guardrailFlags) options() (guardrails.Options, error) {
	cfg, err := loadConfig(f.configPath)
	if err != nil {
		return guardrails.Options{}, err
	}
	tags := map[string]string{}
	for k, v := range cfg.Guardrails.ProtectedTags {
		tags[k] = v
	}
	for _, kv := range f.protectTags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return guardrails.Options{}, usageErrorf("--protect-tag %q: want KEY=VALUE", kv)
		}
		tags[k] = v
	}
	opts := guardrails.Options{
		AuthorizedPrincipals: append(append([]string(nil), cfg.Allowlist.BreakGlass...), f.authorized...),
		ProtectedKeyARNs:     append(append([]string(nil), cfg.Guardrails.ProtectedKeys...), f.protectKeys...),
		ProtectedTags:        tags,
		MinPendingWindowDays: cfg.Guardrails.MinPendingWindowDays,
		DenyForeignGrants:    cfg.Guardrails.DenyForeignGrants || f.denyForeign,
		TrustedAccounts:      append(append([]string(nil), cfg.Organization.TrustedAccounts...), f.trustedAccounts...),
	}
	if f.minWindow != 0 {
		opts.MinPendingWindowDays = f.minWindow
	}
	if err := opts.Validate(); err != nil {
		return opts, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return opts, nil
}

func newGuardrailsCmd(a *app) *cobra.Command {
	f := &guardrailFlags{}
	cmd := &cobra.Command{
		Use:   "guardrails",
		Short: "Generate preventive guardrails: SCPs, key-policy deletion protection, EventBridge rules",
		Long: `Generate the preventive controls that keep KMS keys from being destroyed,
disabled or re-policed by anyone but the authorised break-glass principals.

KMS has no "deletion protection" flag. Real deletion protection is an explicit
Deny of kms:ScheduleKeyDeletion, in the key policy (guardrails key-policy) or
in a service control policy (guardrails scp), that only named break-glass
principals escape.`,
		Args: cobra.ArbitraryArgs,
		RunE: runGroup,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.configPath, "config", "", "kmsguard.yaml: allowlist.breakGlass, organization.trustedAccounts and the guardrails section (flags add to it)")
	pf.StringArrayVar(&f.authorized, "authorized", nil, "principal ARN pattern that keeps the destructive permissions (repeatable; wildcards allowed)")
	pf.StringArrayVar(&f.protectKeys, "protect-key", nil, "protect only this key ARN pattern (repeatable; default every key)")
	pf.StringArrayVar(&f.protectTags, "protect-tag", nil, "protect keys tagged KEY=VALUE (repeatable)")
	pf.IntVar(&f.minWindow, "min-pending-window", 0, "deny ScheduleKeyDeletion with a waiting period shorter than this many days (7-30)")
	pf.BoolVar(&f.denyForeign, "deny-foreign-grants", false, "deny CreateGrant to principals outside --trusted-account")
	pf.StringArrayVar(&f.trustedAccounts, "trusted-account", nil, "account id grants may target (repeatable)")
	pf.StringVar(&f.outDir, "out", "", "write the generated files to this directory instead of stdout")
	cmd.AddCommand(newGuardrailsSCPCmd(a, f), newGuardrailsKeyPolicyCmd(a, f), newGuardrailsEventBridgeCmd(a, f), newGuardrailsCollectorCmd(a, f))
	return cmd
}

func newGuardrailsSCPCmd(a *app, f *guardrailFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "scp",
		Short: "Service control policies denying destructive KMS actions to all but the authorised principals",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			opts, err := f.options()
			if err != nil {
				return err
			}
			scps, err := guardrails.SCPs(opts)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			for _, s := range scps {
				// Files hold the minified form: white space counts against
				// the 5,120-character quota.
				fmt.Fprintf(a.stderr, "%s: %d of %d characters (minified)\n", s.Name, s.Document.Size(), guardrails.SCPMaxSize)
				if err := emit(a.stdout, f.outDir, s.Name+".json", s.Document.Minified(), s.Document.Pretty()); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func newGuardrailsKeyPolicyCmd(a *app, f *guardrailFlags) *cobra.Command {
	var policyFile string
	var lockPolicy bool
	cmd := &cobra.Command{
		Use:   "key-policy",
		Short: "The key-policy statement that gives a key deletion protection (optionally merged into a policy)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			opts, err := f.options()
			if err != nil && len(f.authorized) == 0 {
				return usageErrorf("--authorized or the config's allowlist.breakGlass: name at least one break-glass principal ARN")
			}
			st, err := guardrails.DeletionProtection(opts.AuthorizedPrincipals, lockPolicy)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			if policyFile == "" {
				out, _ := json.MarshalIndent(st, "", "  ")
				return emit(a.stdout, f.outDir, "deletion-protection-statement.json", append(out, '\n'), append(out, '\n'))
			}
			text, err := readInput(a, policyFile)
			if err != nil {
				return err
			}
			kp, err := guardrails.ParseKeyPolicy(string(text))
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrUsage, policyFile, err)
			}
			if _, err := kp.Put(st); err != nil {
				return err
			}
			return emit(a.stdout, f.outDir, "key-policy.json", kp.Bytes(), kp.Bytes())
		},
	}
	cmd.Flags().StringVar(&policyFile, "policy", "", "existing key policy to add the statement to (file or - for stdin)")
	cmd.Flags().BoolVar(&lockPolicy, "lock-policy", false, "also deny kms:PutKeyPolicy to all but the authorised principals (they alone can change the policy afterwards)")
	return cmd
}

func newGuardrailsEventBridgeCmd(a *app, f *guardrailFlags) *cobra.Command {
	var format, topic string
	cmd := &cobra.Command{
		Use:   "eventbridge",
		Short: "EventBridge rules and the SNS topic they notify, as CloudFormation or Terraform",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			opts := guardrails.EventBridgeOptions{TopicName: topic}
			var (
				out  []byte
				name string
				err  error
			)
			switch format {
			case "cloudformation":
				out, err = guardrails.CloudFormation(opts)
				name = "kmsguard-eventbridge.yaml"
			case "terraform":
				out, err = guardrails.Terraform(opts)
				name = "kmsguard-eventbridge.tf"
			default:
				return usageErrorf("--format %q: want cloudformation or terraform", format)
			}
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			return emit(a.stdout, f.outDir, name, out, out)
		},
	}
	cmd.Flags().StringVar(&format, "format", "cloudformation", "cloudformation or terraform")
	cmd.Flags().StringVar(&topic, "topic", "", "SNS topic name (default kmsguard-kms-alerts)")
	return cmd
}

func newGuardrailsCollectorCmd(a *app, f *guardrailFlags) *cobra.Command {
	var org bool
	var role string
	cmd := &cobra.Command{
		Use:   "collector-policy",
		Short: "The read-only IAM policy kmsguard's own collector needs (same as `kmsguard permissions`)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			doc, err := live.PermissionsPolicy(org, role)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			return emit(a.stdout, f.outDir, "kmsguard-collector-policy.json", doc, doc)
		},
	}
	cmd.Flags().BoolVar(&org, "org", false, "add the Organizations reads and sts:AssumeRole for organisation scans")
	cmd.Flags().StringVar(&role, "role", "", "with --org: the role name kmsguard assumes in each account")
	return cmd
}

// emit writes fileData to dir/name when dir is set, else the human-readable
// form to stdout.
func emit(stdout io.Writer, dir, name string, fileData, human []byte) error {
	if dir == "" {
		_, err := stdout.Write(human)
		if err == nil && len(human) > 0 && human[len(human)-1] != '\n' {
			_, err = io.WriteString(stdout, "\n")
		}
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), fileData, 0o644)
}

// readInput reads a file, or standard input for "-".
func readInput(a *app, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(a.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return b, nil
}
