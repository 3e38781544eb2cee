package remediate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/guardrails"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// planPolicy reads the live key policy, applies the action's edits and
// checks the result: it must change something and must leave a principal
// able to manage the key.
func planPolicy(ctx context.Context, c KMS, a *Action, opts Options) {
	arn, _ := parseKeyARN(a.KeyARN)
	info, err := c.DescribeKey(ctx, a.KeyARN)
	if err != nil {
		a.Status, a.Reason = StatusRefused, "cannot read the key (DescribeKey): "+err.Error()
		return
	}
	if info.Manager == "AWS" {
		a.Status, a.Reason = StatusRefused, "AWS-managed key: AWS owns its key policy, which cannot be changed"
		return
	}
	before, err := c.GetKeyPolicy(ctx, a.KeyARN)
	if err != nil {
		a.Status, a.Reason = StatusRefused, "cannot read the key policy (GetKeyPolicy): "+err.Error()
		return
	}
	a.PolicyBefore = before
	after, removed, notes, err := editPolicy(before, arn, a.Edits, opts)
	if err != nil {
		a.Status, a.Reason = StatusRefused, err.Error()
		return
	}
	a.RemoveStatements = removed
	kp, _ := guardrails.ParseKeyPolicy(before)
	normalised := string(kp.Bytes())
	if after == normalised {
		a.Status, a.Reason = StatusAlreadyDone, "the live key policy already meets the goal: "+strings.Join(notes, "; ")
		return
	}
	a.PolicyAfter = after
	a.Diff = UnifiedDiff("key-policy (live, "+a.KeyARN+")", "key-policy (planned)", normalised, after)
	if who, err := checkManageable(after, arn, opts); err != nil {
		a.Status, a.Reason = StatusRefused, err.Error()
		return
	} else {
		notes = append(notes, "after the change "+who+" can still call kms:PutKeyPolicy")
	}
	a.Calls = []Call{{Operation: "PutKeyPolicy", KeyID: a.KeyARN, PolicyName: "default", Policy: after}}
	a.Status, a.Reason = StatusPlanned, strings.Join(notes, "; ")
}

// editPolicy applies the edits to the policy text and returns the new text,
// the statements removed, and one note per edit.
func editPolicy(text string, arn keyARN, edits []Edit, opts Options) (string, []string, []string, error) {
	kp, err := guardrails.ParseKeyPolicy(text)
	if err != nil {
		return "", nil, nil, fmt.Errorf("the live key policy cannot be edited: %v", err)
	}
	parsed, err := policy.ParseWith([]byte(text), policy.ParseOptions{Partition: arn.partition})
	if err != nil {
		return "", nil, nil, fmt.Errorf("the live key policy cannot be evaluated: %v", err)
	}
	var notes, removedRefs []string
	var remove []int
	for _, e := range edits {
		switch e {
		case EditRemovePublic, EditRemoveCrossAccount:
			var idx []int
			if e == EditRemovePublic {
				idx = publicStatements(parsed, arn, opts)
			} else {
				idx = crossAccountStatements(parsed, arn, opts)
			}
			var refs []string
			for _, i := range idx {
				refs = append(refs, parsed.Statements[i].Ref())
				if !slices.Contains(remove, i) {
					remove = append(remove, i)
				}
			}
			if len(refs) == 0 {
				notes = append(notes, string(e)+": re-evaluated live, no statement lets such principals in")
			} else {
				notes = append(notes, string(e)+": remove statement(s) "+strings.Join(refs, ", "))
				removedRefs = append(removedRefs, refs...)
			}
		}
	}
	// Remove from the highest index down so the indices stay valid.
	slices.Sort(remove)
	for _, i := range slices.Backward(remove) {
		if err := kp.RemoveAt(i); err != nil {
			return "", nil, nil, err
		}
	}
	for _, e := range edits {
		var st guardrails.Statement
		switch e {
		case EditAddRootAccess:
			st = guardrails.RootAccess(arn.partition, arn.account)
		case EditAddDeletionProtection:
			st, err = guardrails.DeletionProtection(opts.cfg().Allowlist.BreakGlass, opts.LockPolicy)
			if err != nil {
				return "", nil, nil, err
			}
		default:
			continue
		}
		changed, err := kp.Put(st)
		if err != nil {
			return "", nil, nil, err
		}
		if changed {
			notes = append(notes, string(e)+": put statement "+st.Sid)
		} else {
			notes = append(notes, string(e)+": statement "+st.Sid+" is already in place")
		}
	}
	return string(kp.Bytes()), removedRefs, notes, nil
}

// probeActions are the KMS actions an outsider is tried with: use,
// management and destruction.
func probeActions() []string {
	return []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:Sign",
		"kms:CreateGrant", "kms:DescribeKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"}
}

// identityKeys are the condition keys that say who the caller is; an
// outsider has its own values for them. Every other key with a positive
// operator is assumed satisfiable by the outsider (kms:ViaService alone,
// for example, pins nothing).
func identityKeys() []string {
	return []string{"kms:calleraccount", "aws:principalaccount", "aws:principalarn", "aws:sourceaccount",
		"aws:principalorgid", "aws:principalorgpaths", "aws:sourceowner", "aws:userid", "aws:username", "aws:sourcearn"}
}

// allowsOutsider reports whether statement st alone allows caller (of
// account acct) any probe action on the key.
func allowsOutsider(st policy.Statement, version, key, callerARN, acct string, wildcardPrincipal bool) bool {
	st.Index = 0
	if wildcardPrincipal {
		st.Principals, st.NotPrincipal = &policy.Principals{Wildcard: true}, false
	}
	ctx := policy.Context{"kms:CallerAccount": {acct}, "aws:PrincipalAccount": {acct}, "aws:PrincipalArn": {callerARN},
		"aws:SourceAccount": {acct}, "aws:PrincipalOrgID": {"o-kmsguardoutsider"}}
	for _, c := range st.Conditions {
		lk := strings.ToLower(c.Key)
		if slices.Contains(identityKeys(), lk) || strings.Contains(c.Base, "Not") || c.Base == "Null" || len(c.Values) == 0 {
			continue
		}
		ctx[c.Key] = []string{c.Values[0]}
	}
	p := &policy.Policy{Version: version, Statements: []policy.Statement{st}}
	actions := probeActions()
	if !st.NotAction {
		for _, act := range st.Actions {
			if !strings.ContainsAny(act, "*?") {
				actions = append(actions, act)
			}
		}
	}
	for _, action := range actions {
		d := p.Evaluate(policy.Request{Principal: policy.RequestPrincipal{ID: callerARN, Account: acct}, Action: action, Resource: key, Context: ctx})
		if d.Outcome == policy.Allowed {
			return true
		}
	}
	return false
}

// outsiderAccount is an account id that is neither the owner nor trusted.
func outsiderAccount(owner string, trusted func(string) bool) string {
	for n := 999999999999; ; n-- {
		id := fmt.Sprintf("%012d", n)
		if id != owner && !trusted(id) {
			return id
		}
	}
}

// publicStatements are the Allow statements open to every account (a "*"
// principal, NotPrincipal, or an account wildcard such as
// arn:aws:iam::*:root) that let an unrelated account in.
func publicStatements(p *policy.Policy, arn keyARN, opts Options) []int {
	trusted := opts.cfg().IsTrustedAccount
	out := outsiderAccount(arn.account, trusted)
	caller := "arn:" + arn.partition + ":iam::" + out + ":role/kmsguard-outsider"
	var idx []int
	for i, st := range p.Statements {
		if st.Effect != policy.Allow || st.Principals == nil {
			continue
		}
		wildAccount := false
		for _, a := range st.Principals.AWS {
			wildAccount = wildAccount || strings.ContainsAny(accountOf(a), "*?")
		}
		if !st.Principals.Wildcard && !st.NotPrincipal && !wildAccount {
			continue
		}
		if allowsOutsider(st, p.Version, keyString(arn), caller, out, wildAccount) {
			idx = append(idx, i)
		}
	}
	return idx
}

// crossAccountStatements are the Allow statements that let a named account
// outside the owner and the trusted accounts in (through its principals or
// through a condition naming it).
func crossAccountStatements(p *policy.Policy, arn keyARN, opts Options) []int {
	trusted := opts.cfg().IsTrustedAccount
	var idx []int
	for i, st := range p.Statements {
		if st.Effect != policy.Allow || st.Principals == nil || st.NotPrincipal {
			continue
		}
		callers := map[string]string{} // principal ARN -> account
		for _, a := range st.Principals.AWS {
			if acct := accountOf(a); isAccountID(acct) {
				callers[a] = acct
			}
		}
		for _, c := range st.Conditions {
			if !slices.Contains(identityKeys(), strings.ToLower(c.Key)) {
				continue
			}
			for _, v := range c.Values {
				if acct := accountOf(v); isAccountID(acct) {
					callers["arn:"+arn.partition+":iam::"+acct+":root"] = acct
				}
			}
		}
		for caller, acct := range callers {
			if acct == arn.account || trusted(acct) {
				continue
			}
			if allowsOutsider(st, p.Version, keyString(arn), caller, acct, false) {
				idx = append(idx, i)
				break
			}
		}
	}
	return idx
}

func keyString(a keyARN) string {
	return "arn:" + a.partition + ":kms:" + a.region + ":" + a.account + ":key/" + a.id
}

// checkManageable refuses a policy that would leave no principal able to
// call kms:PutKeyPolicy: the account root (through IAM delegation), the
// break-glass principals, or a principal the policy names that is known to
// exist. It returns who can.
func checkManageable(text string, arn keyARN, opts Options) (string, error) {
	p, err := policy.ParseWith([]byte(text), policy.ParseOptions{Partition: arn.partition})
	if err != nil {
		return "", fmt.Errorf("the new key policy does not parse: %v", err)
	}
	key := keyString(arn)
	root := "arn:" + arn.partition + ":iam::" + arn.account + ":root"
	candidates := []string{root}
	exists := opts.PrincipalExists
	for _, bg := range opts.cfg().Allowlist.BreakGlass {
		if !strings.ContainsAny(bg, "*?") {
			candidates = append(candidates, bg)
		}
	}
	for _, st := range p.Statements {
		if st.Effect == policy.Allow && st.Principals != nil && !st.NotPrincipal {
			for _, a := range st.Principals.AWS {
				if !strings.ContainsAny(a, "*?") && !slices.Contains(candidates, a) {
					candidates = append(candidates, a)
				}
			}
		}
	}
	checked := 0
	for _, c := range candidates {
		if c != root && (exists == nil || !exists(c)) {
			continue
		}
		checked++
		acct := accountOf(c)
		ctx := policy.Context{"aws:PrincipalArn": {c}, "aws:PrincipalAccount": {acct}, "kms:CallerAccount": {acct}}
		d := p.Evaluate(policy.Request{Principal: policy.RequestPrincipal{ID: c, Account: acct}, Action: "kms:PutKeyPolicy", Resource: key, Context: ctx})
		if d.Outcome == policy.Allowed {
			if c == root {
				return "the account root " + root + " (through IAM)", nil
			}
			return c, nil
		}
	}
	return "", fmt.Errorf("after this change no principal could call kms:PutKeyPolicy on the key, so it would be locked out "+
		"(checked the account root %s and %d named or break-glass principal(s) known to exist; %d more are named but not known to exist)",
		root, checked-1, len(candidates)-checked)
}
