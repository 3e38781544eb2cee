package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kmsguard/kmsguard/internal/policy"
)

func newPolicyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Reason about IAM, key and SCP policy documents",
		Args:  cobra.ArbitraryArgs,
		RunE:  runGroup,
	}
	cmd.AddCommand(newPolicyCheckCmd(a))
	return cmd
}

// policyCheckOptions are the flags of `kmsguard policy check`.
type policyCheckOptions struct {
	actions   []string
	trusted   []string
	partition string
	format    string
	maxStates int

	principal     string
	principalType string
	requestAction string
	resource      string
	context       []string
}

func newPolicyCheckCmd(a *app) *cobra.Command {
	var o policyCheckOptions
	cmd := &cobra.Command{
		Use:   "check FILE|-",
		Short: "Decide exactly what a policy document allows on KMS keys",
		Long: `check parses an IAM, key or SCP policy document (a JSON object, or the
URL-encoded form AWS APIs return; "-" reads standard input) and reports:

  - a summary of its statements;
  - for each blocked action (--action; default kms:Decrypt and
    kms:ReEncryptFrom, as Security Hub KMS.1/KMS.2 use; a pattern such as
    kms:ReEncrypt* asks about any action it matches), whether the policy
    allows it on ALL KMS keys, decided exactly over the wildcard patterns,
    with an upper bound (conditional Allows count, conditional Denies do not)
    and a lower bound (the reverse), the deciding statements and a shortest
    counterexample or witness key ARN;
  - with --trusted-account, whether it allows the action on ANY key outside
    those accounts (an exclusion of one key passes KMS.1 yet is nearly as
    dangerous);
  - with --request-action and --resource, the decision for one concrete
    request (--principal, --context key=value) and why.

Exit codes: 0 when no blocked action is allowed on all keys (upper bound)
nor outside the trusted accounts, 1 when one is, 2 for a malformed policy
or bad flags, 4 when the file cannot be read.`,
		Example: `  kmsguard policy check examples/policies/kms-star-all-resources.json
  kmsguard policy check --trusted-account 111122223333 --format json policy.json
  aws iam get-policy-version ... --query PolicyVersion.Document | kmsguard policy check -
  kmsguard policy check key-policy.json --request-action kms:Decrypt \
    --resource arn:aws:kms:us-east-1:111122223333:key/k --principal arn:aws:iam::111122223333:role/app`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyCheck(a, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.actions, "action", policy.DefaultBlockedActions(), "blocked action or action pattern (kms:ReEncrypt*) to decide on all KMS keys (repeatable)")
	f.StringArrayVar(&o.trusted, "trusted-account", nil, "12-digit account id whose keys may be used (repeatable)")
	f.StringVar(&o.partition, "partition", "aws", `partition of the key ARNs; "" for any known partition`)
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	f.IntVar(&o.maxStates, "max-states", policy.DefaultMaxStates, "automaton size cap; past it the verdict is UNKNOWN")
	f.StringVar(&o.principal, "principal", "", "caller of the concrete request (ARN, or service name with --principal-type Service)")
	f.StringVar(&o.principalType, "principal-type", "AWS", "type of --principal: AWS, Service, Federated, CanonicalUser")
	f.StringVar(&o.requestAction, "request-action", "", "action of a concrete request to evaluate")
	f.StringVar(&o.resource, "resource", "", "resource ARN of the concrete request")
	f.StringArrayVar(&o.context, "context", nil, "condition key of the concrete request, key=value (repeat a key for several values)")
	return cmd
}

func runPolicyCheck(a *app, path string, o policyCheckOptions) error {
	if o.format != "text" && o.format != "json" {
		return usageErrorf("--format %q: want text or json", o.format)
	}
	for _, act := range o.actions {
		if act == "" || !strings.Contains(act, ":") && act != "*" {
			return usageErrorf("--action %q: want an action such as kms:Decrypt or a pattern such as kms:ReEncrypt*", act)
		}
	}
	req, err := o.request()
	if err != nil {
		return err
	}
	data, err := readPolicyInput(a, path)
	if err != nil {
		return err
	}
	pol, err := policy.Parse(data)
	if err != nil {
		return usageErrorf("%s: %v", path, err)
	}
	an := policy.NewAnalyzer(o.maxStates)
	res := checkResult{Source: path, Version: pol.Version, Partition: o.partition, Statements: summarize(pol)}
	for _, act := range o.actions {
		rep, err := an.CheckBlockedAction(pol, act, o.partition, o.trusted)
		if err != nil {
			return usageErrorf("%v", err)
		}
		res.BlockedActions = append(res.BlockedActions, toBlockedJSON(rep))
	}
	if req != nil {
		res.Request = toRequestJSON(*req, pol.Evaluate(*req))
	}
	res.Fails = res.fails()
	if o.format == "json" {
		err = writeCheckJSON(a.stdout, res)
	} else {
		err = writeCheckText(a.stdout, res)
	}
	if err != nil {
		return err
	}
	if res.Fails {
		return fmt.Errorf("%w: the policy allows a blocked action on all keys or outside the trusted accounts", ErrFindings)
	}
	return nil
}

// request builds the concrete request from the flags, or nil without one.
func (o policyCheckOptions) request() (*policy.Request, error) {
	if o.requestAction == "" {
		if o.resource != "" || o.principal != "" || len(o.context) > 0 {
			return nil, usageErrorf("--resource, --principal and --context need --request-action")
		}
		return nil, nil
	}
	if o.resource == "" {
		return nil, usageErrorf("--request-action needs --resource")
	}
	ctx := policy.Context{}
	for _, kv := range o.context {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("--context %q: want key=value", kv)
		}
		ctx[k] = append(ctx[k], v)
	}
	return &policy.Request{
		Principal: policy.RequestPrincipal{Type: policy.PrincipalType(o.principalType), ID: o.principal},
		Action:    o.requestAction,
		Resource:  o.resource,
		Context:   ctx,
	}, nil
}

// maxPolicyBytes bounds what check reads; IAM's own limit is far lower.
const maxPolicyBytes = 10 << 20

func readPolicyInput(a *app, path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = a.stdin
	} else {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErrorf("%s: no such file", path)
		}
		if err != nil {
			return nil, fmt.Errorf("read policy: %w", err)
		}
		defer func() { _ = f.Close() }() // read-only: a close error loses nothing
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxPolicyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", path, err)
	}
	if len(data) > maxPolicyBytes {
		return nil, usageErrorf("%s: larger than %d bytes", path, maxPolicyBytes)
	}
	return data, nil
}
