package policy

import (
	"errors"
	"strings"
)

// DefaultBlockedActions are the actions Security Hub KMS.1 and KMS.2 (and
// AWS Config's iam-customer/inline-policy-blocked-kms-actions rules) block
// on all KMS keys.
func DefaultBlockedActions() []string { return []string{"kms:Decrypt", "kms:ReEncryptFrom"} }

// StatementCoverage is how one statement's action element covers a blocked
// action.
type StatementCoverage struct {
	Statement Evidence
	ActionCoverage
}

// BlockedActionReport is everything the engine concludes about one blocked
// action in one policy.
type BlockedActionReport struct {
	Action string
	// AllKeys answers "does the policy allow Action on every KMS key?".
	// KMS.1/KMS.2 fail when its upper bound holds (verdict YES or
	// CONDITIONAL).
	AllKeys SetAnswer
	// OutsideTrusted answers "does it allow Action on some key outside
	// the trusted accounts?"; nil when no trusted accounts were given.
	OutsideTrusted *SetAnswer
	// Statements lists every statement whose action element covers some
	// of Action.
	Statements []StatementCoverage
}

// CheckBlockedAction answers the KMS.1/KMS.2 questions for one action over
// the keys of partition ("" for any known partition), and, when trusted
// accounts are given, whether the action is allowed on any key outside
// them.
func (a *Analyzer) CheckBlockedAction(p *Policy, action, partition string, trusted []string) (BlockedActionReport, error) {
	for _, acct := range trusted {
		if !IsAccountID(acct) {
			return BlockedActionReport{}, errors.New("trusted account " + acct + " is not a 12-digit account id")
		}
	}
	r := BlockedActionReport{Action: action}
	all, err := a.AllowsAll(p, action, KMSKeys(partition))
	if err != nil {
		return r, err
	}
	r.AllKeys = all
	if len(trusted) > 0 {
		out, err := a.AllowsAny(p, action, KMSKeysOutside(partition, trusted))
		if err != nil {
			return r, err
		}
		r.OutsideTrusted = &out
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		c := a.CoverAction(st, strings.ToLower(action))
		if c.Coverage != CoversNone {
			r.Statements = append(r.Statements, StatementCoverage{Statement: evidenceOf(st), ActionCoverage: c})
		}
	}
	return r, nil
}

func evidenceOf(st *Statement) Evidence {
	return Evidence{Index: st.Index, Ref: st.Ref(), Effect: st.Effect,
		Conditional: st.Conditional() || (st.Principals != nil && (st.NotPrincipal || !st.Principals.Wildcard))}
}
