package remediate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// Which statements let principals outside the account in, decided with the
// policy engine on the live policy.

// probeActions are the KMS actions an outsider is tried with: use,
// management and destruction.
func probeActions() []string {
	return []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:Sign",
		"kms:CreateGrant", "kms:DescribeKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"}
}

// callerKeys are the condition keys that say who the caller is: an
// outsider has its own values for them.
func callerKeys() []string {
	return []string{"kms:calleraccount", "aws:principalaccount", "aws:principalarn", "aws:userid", "aws:username"}
}

// affiliationKeys say where the caller belongs or on whose behalf it calls
// (its organisation, the resource a service acts for). An unrelated
// outsider has its own values for them; an account the statement names
// may well be in the organisation or act for the resource the statement
// lists, so for it they are satisfiable (as KMSGUARD-XA-1 judges it).
func affiliationKeys() []string {
	return []string{"aws:sourceaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:sourceowner", "aws:sourcearn"}
}

// identityKeys are callerKeys and affiliationKeys. Every other key with a
// positive operator is assumed satisfiable by the outsider (kms:ViaService
// alone, for example, pins nothing).
func identityKeys() []string { return append(callerKeys(), affiliationKeys()...) }

// allowsOutsider reports whether statement st alone allows caller (of
// account acct) any probe action on the key. named says the statement
// names acct, which may then satisfy the affiliation conditions.
func allowsOutsider(st policy.Statement, version, key, callerARN, acct string, wildcardPrincipal, named bool) bool {
	st.Index = 0
	if wildcardPrincipal {
		st.Principals, st.NotPrincipal = &policy.Principals{Wildcard: true}, false
	}
	ctx := policy.Context{"kms:CallerAccount": {acct}, "aws:PrincipalAccount": {acct}, "aws:PrincipalArn": {callerARN},
		"aws:SourceAccount": {acct}, "aws:PrincipalOrgID": {"o-kmsguardoutsider"}}
	fixed := identityKeys()
	if named {
		fixed = callerKeys()
	}
	for _, c := range st.Conditions {
		lk := strings.ToLower(c.Key)
		if slices.Contains(fixed, lk) || strings.Contains(c.Base, "Not") || c.Base == "Null" || len(c.Values) == 0 {
			continue
		}
		for k := range ctx { // the condition's value replaces the outsider's
			if strings.EqualFold(k, c.Key) {
				delete(ctx, k)
			}
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
		if allowsOutsider(st, p.Version, keyString(arn), caller, out, wildAccount, false) {
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
			if acct := accountOf(a); policy.IsAccountID(acct) {
				callers[a] = acct
			}
		}
		for _, c := range st.Conditions {
			if !slices.Contains(identityKeys(), strings.ToLower(c.Key)) {
				continue
			}
			for _, v := range c.Values {
				if acct := accountOf(v); policy.IsAccountID(acct) {
					callers["arn:"+arn.partition+":iam::"+acct+":root"] = acct
				}
			}
		}
		for caller, acct := range callers {
			if acct == arn.account || trusted(acct) {
				continue
			}
			if allowsOutsider(st, p.Version, keyString(arn), caller, acct, false, true) {
				idx = append(idx, i)
				break
			}
		}
	}
	return idx
}
