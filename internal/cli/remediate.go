package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/remediate"
	"github.com/kmsguard/kmsguard/internal/remediate/awskms"
)

type remediateFlags struct {
	findings, snapshot, config, alerts string
	controls, keys                     []string
	format                             string
	apply, yes                         bool
	keepDisabled, lockPolicy           bool
	rotationDays                       int
	profile, region                    string
	now                                string
}

func newRemediateCmd(a *app) *cobra.Command {
	var f remediateFlags
	cmd := &cobra.Command{
		Use:   "remediate (--findings REPORT.json | --snapshot DIR | --alerts ALERTS.json) [--apply]",
		Short: "Plan (and with --apply, carry out) the KMS API calls that fix findings and alerts",
		Long: `remediate builds a plan of KMS API calls that fix failing findings (from a
"kmsguard scan --format json" report, or by running the controls over a
snapshot) or undo what alerts report (DisableKey, ScheduleKeyDeletion,
DisableKeyRotation from "kmsguard detect --format json"). Planning reads each
key's live state; key policy changes are shown as a unified diff.

By default only the plan is printed and nothing changes. --apply carries it
out after you type "yes" on the terminal (or with --yes); without a terminal
and without --yes it refuses. Each action re-reads the key first and is
skipped when its goal already holds. A key policy is never written if it
changed since the plan was made, or if the new policy would leave no
principal able to manage the key; BypassPolicyLockoutSafetyCheck is never set.

Exit status: 0 plan printed or everything applied, 2 usage error or no
confirmation, 3 some actions were refused or failed. See docs/remediate.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRemediate(cmd.Context(), a, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.findings, "findings", "", "scan report in JSON (kmsguard scan --format json)")
	fl.StringVar(&f.snapshot, "snapshot", "", "snapshot directory: run the controls over it to get the findings")
	fl.StringVar(&f.config, "config", "", "kmsguard.yaml (break-glass principals, trusted accounts, KMS.4 period)")
	fl.StringVar(&f.alerts, "alerts", "", "alerts in JSON (kmsguard detect --format json)")
	fl.StringArrayVar(&f.controls, "control", nil, "only this control id (or alert rule id or event name); repeatable")
	fl.StringArrayVar(&f.keys, "key", nil, "only this key (ARN or key id); repeatable")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.BoolVar(&f.apply, "apply", false, "carry out the plan (asks for confirmation)")
	fl.BoolVar(&f.yes, "yes", false, "with --apply: do not ask for confirmation")
	fl.BoolVar(&f.keepDisabled, "keep-disabled", false, "leave a key whose deletion is cancelled Disabled instead of re-enabling it")
	fl.BoolVar(&f.lockPolicy, "lock-policy", false, "deletion protection also denies PutKeyPolicy to all but the break-glass principals")
	fl.IntVar(&f.rotationDays, "rotation-days", 0, "rotation period for KMS.4 (default: the configured maxRotationPeriodDays, else 365)")
	fl.StringVar(&f.profile, "profile", "", "AWS shared config profile")
	fl.StringVar(&f.now, "now", "", "with --snapshot: evaluate as if the time were this RFC 3339 instant (deterministic day counts; for tests)")
	_ = fl.MarkHidden("now")
	fl.StringVar(&f.region, "region", "", "region for keys whose ARN names none (default from AWS_REGION or the profile)")
	return cmd
}

func runRemediate(ctx context.Context, a *app, f remediateFlags) error {
	if f.format != "text" && f.format != "json" {
		return usageErrorf("--format %q: want text or json", f.format)
	}
	if f.findings == "" && f.snapshot == "" && f.alerts == "" {
		return usageErrorf("give the findings or alerts to remediate: --findings REPORT.json, --snapshot DIR or --alerts ALERTS.json")
	}
	if f.rotationDays != 0 && (f.rotationDays < 90 || f.rotationDays > 2560) {
		return usageErrorf("--rotation-days %d: KMS accepts 90 to 2560", f.rotationDays)
	}
	if f.yes && !f.apply {
		return usageErrorf("--yes only makes sense with --apply")
	}
	// Refuse before touching AWS: nobody could confirm.
	if f.apply && !f.yes && !isTerminal(a.stdin) {
		return usageErrorf("--apply needs confirmation: run it in a terminal and type \"yes\", or pass --yes")
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	opts := remediate.Options{Config: cfg, KeepDisabled: f.keepDisabled, RotationDays: f.rotationDays, LockPolicy: f.lockPolicy}
	in, err := remediateInputs(ctx, a, f, &opts)
	if err != nil {
		return err
	}
	in.Issues = filterIssues(in.Issues, f.controls, f.keys)
	clients, err := awskms.NewClients(ctx, awskms.Options{Profile: f.profile, Region: f.region})
	if err != nil {
		return err
	}
	plan := remediate.MakePlan(ctx, clients, in, opts)
	if f.format == "text" || !f.apply {
		if err := writePlan(a.stdout, f.format, plan); err != nil {
			return err
		}
	}
	if !f.apply {
		return nil
	}
	n := 0
	for _, act := range plan.Actions {
		if act.Status == remediate.StatusPlanned {
			n++
		}
	}
	if n > 0 && !f.yes {
		if f.format == "json" {
			// The JSON goes to stdout after applying; the person confirming
			// reads the plan on the terminal first.
			if err := remediate.WriteText(a.stderr, plan); err != nil {
				return err
			}
		}
		if !confirm(a.stdin, a.stderr, n) {
			return usageErrorf("not confirmed: nothing was changed")
		}
	}
	sum := remediate.Apply(ctx, clients, &plan, opts, a.logger)
	if f.format == "json" {
		if err := writePlan(a.stdout, "json", plan); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "\nApplied: %d done, %d already done, %d refused, %d failed, %d manual\n",
			sum.Done, sum.AlreadyDone, sum.Refused, sum.Failed, sum.Manual)
		for _, act := range plan.Actions {
			if r := act.Result; r != nil {
				fmt.Fprintf(a.stdout, "  [%d] %s %s: %s: %s\n", act.ID, act.Kind, act.KeyARN, r.Status, r.Detail)
			}
		}
	}
	if sum.Failed > 0 || sum.Refused > 0 {
		return fmt.Errorf("%w: %d action(s) refused, %d failed", ErrPartial, sum.Refused, sum.Failed)
	}
	return nil
}

func writePlan(w io.Writer, format string, p remediate.Plan) error {
	if format == "json" {
		return remediate.WriteJSON(w, p)
	}
	return remediate.WriteText(w, p)
}

// remediateInputs reads the findings and alerts the flags name. With a
// snapshot, its IAM data tells the lockout check which principals exist.
func remediateInputs(ctx context.Context, a *app, f remediateFlags, opts *remediate.Options) (remediate.Inputs, error) {
	var all remediate.Inputs
	add := func(in remediate.Inputs) {
		all.Issues = append(all.Issues, in.Issues...)
		all.Skipped = append(all.Skipped, in.Skipped...)
	}
	readFile := func(path string, read func(io.Reader, string) (remediate.Inputs, error)) error {
		file, err := os.Open(path)
		if err != nil {
			return usageErrorf("%v", err)
		}
		defer file.Close()
		in, err := read(file, path)
		if err != nil {
			return usageErrorf("%v", err)
		}
		add(in)
		return nil
	}
	if f.findings != "" {
		if err := readFile(f.findings, remediate.ReadFindings); err != nil {
			return all, err
		}
	}
	if f.alerts != "" {
		if err := readFile(f.alerts, remediate.ReadAlerts); err != nil {
			return all, err
		}
	}
	if f.snapshot != "" {
		accts, problems, err := loadSnapshot(ctx, a, f.snapshot)
		if err != nil {
			return all, err
		}
		for _, p := range problems {
			all.Skipped = append(all.Skipped, fmt.Sprintf("snapshot: %s: %s", p.File, p.Reason))
		}
		cc := controls.CheckContext{Config: opts.Config}
		if f.now != "" {
			t, err := time.Parse(time.RFC3339, f.now)
			if err != nil {
				return all, usageErrorf("--now %q: want an RFC 3339 time such as 2026-11-24T00:00:00Z", f.now)
			}
			cc.Now = t
		}
		// With --control, run only those controls, so what is listed as
		// not remediated is about them too.
		cat := controls.Catalogue()
		if len(f.controls) > 0 {
			cat = slices.DeleteFunc(cat, func(c controls.Control) bool { return !slices.Contains(f.controls, c.ID) })
		}
		res := controls.Run(cc, cat, accts)
		add(remediate.FromFindings(res.Findings))
		opts.PrincipalExists = principalsIn(accts)
	}
	return all, nil
}

// principalsIn answers whether an IAM user or role exists in the snapshot.
func principalsIn(accts []*inventory.Account) func(string) bool {
	known := map[string]bool{}
	for _, acct := range accts {
		iam, rerr := acct.IAM.Get()
		if rerr != nil || iam == nil {
			continue
		}
		for _, u := range iam.Users {
			known[u.ARN] = true
		}
		for _, r := range iam.Roles {
			known[r.ARN] = true
		}
	}
	return func(arn string) bool { return known[arn] }
}

func filterIssues(issues []remediate.Issue, ids, keys []string) []remediate.Issue {
	if len(ids) == 0 && len(keys) == 0 {
		return issues
	}
	var out []remediate.Issue
	for _, is := range issues {
		if len(ids) > 0 && !slices.Contains(ids, is.ControlID) && !slices.Contains(ids, is.RuleID) && !slices.Contains(ids, is.EventName) {
			continue
		}
		if len(keys) > 0 && !slices.ContainsFunc(keys, func(k string) bool { return is.ResourceID == k || strings.HasSuffix(is.ResourceID, ":key/"+k) }) {
			continue
		}
		out = append(out, is)
	}
	return out
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm asks on the terminal and accepts only the word "yes".
func confirm(in io.Reader, out io.Writer, n int) bool {
	fmt.Fprintf(out, "Apply %d action(s) to AWS? Type \"yes\" to continue: ", n)
	line, _ := bufio.NewReader(in).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}
