package remediate

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/kmsguard/kmsguard/internal/config"
)

// Status is where an action stands, in a plan and after applying it.
type Status string

// Statuses. A plan holds planned, already-done, refused and manual actions;
// applying turns planned ones into done, already-done, refused or failed.
const (
	StatusPlanned     Status = "planned"
	StatusAlreadyDone Status = "already-done"
	StatusRefused     Status = "refused"
	StatusManual      Status = "manual"
	StatusDone        Status = "done"
	StatusFailed      Status = "failed"
)

// Call is one KMS API call with its parameters, exactly as it will be sent.
type Call struct {
	Operation            string `json:"operation"`
	KeyID                string `json:"key_id"`
	GrantID              string `json:"grant_id,omitempty"`
	RotationPeriodInDays int    `json:"rotation_period_in_days,omitempty"`
	PolicyName           string `json:"policy_name,omitempty"`
	// Policy is the new key policy of a PutKeyPolicy call (see Action.Diff).
	Policy string `json:"policy,omitempty"`
}

// Action is one step of a plan: what it fixes, the calls it makes, and for
// key-policy changes the policy before and after with a unified diff.
type Action struct {
	ID        int     `json:"id"`
	Kind      Kind    `json:"kind"`
	Edits     []Edit  `json:"edits,omitempty"`
	KeyARN    string  `json:"key_arn"`
	Region    string  `json:"region,omitempty"`
	AccountID string  `json:"account_id,omitempty"`
	Fixes     []Issue `json:"fixes"`
	Calls     []Call  `json:"calls,omitempty"`
	Status    Status  `json:"status"`
	// Reason explains the status: what will change, why it is refused or
	// already done, or the manual remediation text.
	Reason string `json:"reason"`
	// PolicyBefore is the live key policy read at plan time, verbatim;
	// applying refuses to write if the policy differs from it then.
	PolicyBefore string `json:"policy_before,omitempty"`
	PolicyAfter  string `json:"policy_after,omitempty"`
	Diff         string `json:"diff,omitempty"`
	// RemoveStatements names the statements a removal edit takes out.
	RemoveStatements []string `json:"remove_statements,omitempty"`
	// Grants are the grant ids a revoke-grants action revokes.
	Grants []string `json:"grants,omitempty"`
	// Result is set by Apply: what was called and how it went.
	Result *Result `json:"result,omitempty"`
}

// Plan is the ordered list of actions.
type Plan struct {
	Actions []Action `json:"actions"`
	Skipped []string `json:"skipped"`
}

// Options tune planning.
type Options struct {
	Config *config.Config // break-glass principals, trusted accounts, KMS.4 period
	// KeepDisabled leaves a key whose deletion is cancelled Disabled (KMS
	// returns it Disabled); by default it is re-enabled.
	KeepDisabled bool
	// RotationDays overrides the rotation period; 0 means the configured
	// KMS.4 maxRotationPeriodDays, or 365.
	RotationDays int
	// LockPolicy makes the deletion-protection statement deny PutKeyPolicy
	// too (see guardrails.DeletionProtection).
	LockPolicy bool
	// PrincipalExists says whether a named IAM principal exists; a named
	// principal counts for the lockout check only if it does. nil means
	// nothing is known, so only the account root counts.
	PrincipalExists func(arn string) bool
}

func (o Options) rotationDays() int {
	if o.RotationDays > 0 {
		return o.RotationDays
	}
	if o.Config != nil && o.Config.Parameters.KMS4.MaxRotationPeriodDays > 0 {
		return o.Config.Parameters.KMS4.MaxRotationPeriodDays
	}
	return 365
}

func (o Options) cfg() *config.Config {
	if o.Config == nil {
		return config.Default()
	}
	return o.Config
}

// MakePlan reads the live state of every key the issues name and builds the
// plan. It changes nothing. A key that cannot be read yields a failed-to-plan
// (refused) action with the error; planning goes on with the others.
func MakePlan(ctx context.Context, clients Clients, in Inputs, opts Options) Plan {
	plan := Plan{Skipped: append([]string{}, in.Skipped...)}
	for _, g := range groupIssues(in.Issues) {
		a := Action{ID: len(plan.Actions) + 1, Kind: g.kind, Edits: g.edits, KeyARN: g.key, Fixes: g.issues}
		if arn, ok := parseKeyARN(g.key); ok {
			a.Region, a.AccountID = arn.region, arn.account
		}
		if g.kind == KindManual {
			a.Status, a.Reason = StatusManual, manualReason(g.issues[0])
			plan.Actions = append(plan.Actions, a)
			continue
		}
		if refused := splitDeletionProtection(g, opts.cfg()); refused != nil {
			r := a
			r.Edits, r.Fixes, r.Status = []Edit{EditAddDeletionProtection}, refused, StatusRefused
			r.Reason = "deletion protection needs break-glass principals (allowlist.breakGlass in kmsguard.yaml): without one the key could never be deleted on purpose"
			plan.Actions = append(plan.Actions, r)
			if len(g.edits) == 0 {
				continue
			}
			a.ID, a.Edits, a.Fixes = len(plan.Actions)+1, g.edits, g.issues
		}
		client, err := clients(ctx, a.Region)
		if err != nil {
			a.Status, a.Reason = StatusRefused, "no KMS client for region "+a.Region+": "+err.Error()
			plan.Actions = append(plan.Actions, a)
			continue
		}
		planAction(ctx, client, &a, opts, enabledEarlier(plan.Actions, a.KeyARN))
		plan.Actions = append(plan.Actions, a)
	}
	return plan
}

func manualReason(is Issue) string {
	what := is.ControlID
	if is.Source == "alert" {
		what = "alert " + is.RuleID + " on " + is.EventName
	}
	text := is.Remediation
	if text == "" {
		text = "see the control's remediation in the report"
	}
	return "no automatic remediation for " + what + ": " + text
}

// enabledEarlier reports whether an earlier planned action enables the key.
func enabledEarlier(actions []Action, key string) bool {
	return slices.ContainsFunc(actions, func(p Action) bool {
		return p.KeyARN == key && p.Status == StatusPlanned && slices.ContainsFunc(p.Calls, func(c Call) bool { return c.Operation == "EnableKey" })
	})
}

// planAction reads the key (every automatic kind needs its metadata) and
// plans the action's calls.
func planAction(ctx context.Context, c KMS, a *Action, opts Options, willBeEnabled bool) {
	info, err := c.DescribeKey(ctx, a.KeyARN)
	if err != nil {
		a.Status, a.Reason = StatusRefused, "cannot read the key (DescribeKey): "+err.Error()
		return
	}
	switch a.Kind {
	case KindCancelDeletion, KindEnableKey:
		a.Calls, a.Status, a.Reason = stateCalls(a.Kind, a.KeyARN, info.State, opts.KeepDisabled)
	case KindEnableRotation:
		if why := rotationUnsupported(info, willBeEnabled); why != "" {
			a.Status, a.Reason = StatusRefused, why
			return
		}
		rot, err := c.GetKeyRotationStatus(ctx, a.KeyARN)
		if err != nil {
			a.Status, a.Reason = StatusRefused, "cannot read the rotation status (GetKeyRotationStatus): "+err.Error()
			return
		}
		days := opts.rotationDays()
		if rotationHolds(rot, opts) {
			a.Status, a.Reason = StatusAlreadyDone, fmt.Sprintf("rotation is enabled every %d days", rot.PeriodDays)
			return
		}
		a.Calls = []Call{{Operation: "EnableKeyRotation", KeyID: a.KeyARN, RotationPeriodInDays: days}}
		a.Status, a.Reason = StatusPlanned, fmt.Sprintf("enable automatic rotation every %d days", days)
	case KindRevokeGrants:
		planGrants(ctx, c, a, info, opts)
	case KindKeyPolicy:
		planPolicy(ctx, c, a, info, opts)
	}
}

// rotationUnsupported says why KMS would not enable rotation on the key, or "".
func rotationUnsupported(info KeyInfo, willBeEnabled bool) string {
	switch {
	case info.Manager == "AWS":
		return "AWS-managed key: AWS rotates it every year; its rotation cannot be changed"
	case info.KeySpec != "" && info.KeySpec != "SYMMETRIC_DEFAULT", info.Origin != "" && info.Origin != "AWS_KMS":
		return "automatic rotation is supported only for symmetric encryption keys with key material generated by KMS (this key: " +
			info.KeySpec + ", origin " + info.Origin + "); rotate it manually by creating a new key and moving the alias"
	case info.State != stateEnabled && !willBeEnabled:
		return "the key is " + info.State + ": KMS enables rotation only on an Enabled key (enable it first)"
	}
	return ""
}

// rotationHolds reports whether rotation already meets the goal: enabled,
// and no longer than the configured maximum period when there is one.
func rotationHolds(rot RotationInfo, opts Options) bool {
	if !rot.Enabled {
		return false
	}
	limit := opts.RotationDays
	if limit == 0 && opts.Config != nil {
		limit = opts.Config.Parameters.KMS4.MaxRotationPeriodDays
	}
	period := cmp.Or(rot.PeriodDays, 365)
	return limit == 0 || period <= limit
}

// stateCalls decides the calls that bring a key from state to the goal of
// a cancel-deletion or enable-key action.
func stateCalls(kind Kind, key, state string, keepDisabled bool) ([]Call, Status, string) {
	cancel := Call{Operation: "CancelKeyDeletion", KeyID: key}
	enable := Call{Operation: "EnableKey", KeyID: key}
	switch {
	case kind == KindCancelDeletion && (state == statePendingDeletion || state == statePendingReplicaDeletion):
		if keepDisabled {
			return []Call{cancel}, StatusPlanned, "cancel the scheduled deletion; the key stays Disabled (--keep-disabled)"
		}
		return []Call{cancel, enable}, StatusPlanned, "cancel the scheduled deletion (KMS leaves the key Disabled), then re-enable the key"
	case kind == KindEnableKey && (state == statePendingDeletion || state == statePendingReplicaDeletion):
		return nil, StatusRefused, "the key is scheduled for deletion (" + state + "); enabling it is not possible until the deletion is cancelled (KMS.3)"
	case state == stateEnabled:
		return nil, StatusAlreadyDone, "the key is Enabled"
	case state == stateDisabled && kind == KindCancelDeletion && keepDisabled:
		return nil, StatusAlreadyDone, "the key is not scheduled for deletion (Disabled, kept so by --keep-disabled)"
	case state == stateDisabled:
		return []Call{enable}, StatusPlanned, "the key is Disabled: re-enable it"
	}
	return nil, StatusRefused, "the key is in state " + state + ", which remediation does not change"
}
