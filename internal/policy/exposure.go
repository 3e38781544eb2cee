package policy

import (
	"slices"
	"strings"
)

// Key policy exposure: whom a key policy lets in from outside its account.
// This is the one implementation behind the KMS.5 and KMSGUARD-XA-1
// controls and the detection rules' kmsguard.policy.public/crossAccount
// fields, so that posture checks and detection agree.

// Exposure says whom a key policy lets in from outside its account.
type Exposure struct {
	// Public: an Allow statement's principal is everyone ("*", {"AWS": "*"},
	// arn:aws:iam::*:root, or NotPrincipal) and no condition pins it to the
	// owner's account, a trusted account or an own organisation.
	Public bool
	// CrossAccount: an Allow statement names a principal of another
	// account, or restricts an open principal to another account.
	CrossAccount bool
	// Reasons describe each finding, naming the statement, for evidence.
	Reasons []string
}

// ExposureOptions say who counts as "own" for KeyPolicyExposure.
type ExposureOptions struct {
	// Owner is the key's account id.
	Owner string
	// OrgIDs are organisation ids (o-...) an aws:PrincipalOrgID pin may
	// name.
	OrgIDs []string
	// Trusted are further account ids treated like the owner.
	Trusted []string
}

func (o ExposureOptions) own(acct string) bool {
	return acct == o.Owner || slices.Contains(o.Trusted, acct)
}

// StatementExposure is how one Allow statement lets callers in from
// outside the key's account.
type StatementExposure struct {
	// Open says why the statement's principal is everyone ("" when it
	// names its principals).
	Open string
	// Pin describes the first condition that pins an open statement to
	// the owner, a trusted account or an own organisation ("" when none
	// does), e.g. "StringEquals kms:CallerAccount = 111122223333".
	Pin string
	// Foreign are the accounts outside the owner and the trusted ones the
	// statement lets in: those its conditions restrict an open principal
	// to, or those of the AWS principals it names.
	Foreign []string
	// ForeignPrincipals are the named AWS principals in Foreign accounts
	// (none for an open statement).
	ForeignPrincipals []string
}

// Public reports whether the statement lets every account in: its
// principal is open and no condition pins it to own or named accounts.
func (s StatementExposure) Public() bool { return s.Open != "" && s.Pin == "" && len(s.Foreign) == 0 }

// CrossAccount reports whether the statement lets an account outside the
// owner and the trusted ones in.
func (s StatementExposure) CrossAccount() bool { return len(s.Foreign) > 0 }

// StatementExposureOf judges one statement. Deny statements and statements
// without a Principal element expose nothing.
//
// An Allow statement is open when its principal is everyone. It is pinned
// when a condition restricts the caller to the owner (or a trusted
// account, or an own organisation): kms:CallerAccount,
// aws:PrincipalAccount, aws:SourceAccount or aws:PrincipalArn naming only
// such accounts, or aws:PrincipalOrgID naming only opts.OrgIDs, with a
// positive operator (StringEquals, StringLike, StringEqualsIgnoreCase,
// ArnEquals, ArnLike; not ...IfExists, not ForAllValues, which hold when
// the key is absent). kms:ViaService alone pins nothing.
//
// Accounts outside the owner and the trusted ones that such conditions
// name are let in (the statement is cross-account), unless a condition on
// the caller's own account (kms:CallerAccount, aws:PrincipalAccount or
// aws:PrincipalArn) names only own accounts: conditions are ANDed, so then
// no caller of another account satisfies the statement. An aws:PrincipalOrgID
// or aws:SourceAccount pin does not confine the caller's account, so the
// other accounts named beside it stay let in.
func StatementExposureOf(st *Statement, opts ExposureOptions) StatementExposure {
	var e StatementExposure
	if st.Effect != Allow || st.Principals == nil {
		return e
	}
	if e.Open = openPrincipalOf(st); e.Open == "" {
		for _, a := range st.Principals.AWS {
			if acct := principalAccountOf(a); IsAccountID(acct) && !opts.own(acct) {
				e.ForeignPrincipals = append(e.ForeignPrincipals, a)
				e.Foreign = appendNew(e.Foreign, acct)
			}
		}
		return e
	}
	callerConfined := false
	for _, c := range st.Conditions {
		kind := pinKindOfKey(c.Key)
		if kind == "" || !positivePin(c) {
			continue
		}
		own := true
		for _, v := range c.Values {
			acct := v
			switch kind {
			case "org":
				if !slices.Contains(opts.OrgIDs, v) {
					own = false
				}
				continue
			case "arn":
				acct = principalAccountOf(v)
			}
			switch {
			case opts.own(acct):
			case IsAccountID(acct):
				own = false
				e.Foreign = appendNew(e.Foreign, acct)
			default: // a wildcard or malformed value pins nothing
				own = false
			}
		}
		if !own {
			continue
		}
		if e.Pin == "" {
			e.Pin = c.Operator + " " + c.Key + " = " + strings.Join(c.Values, ", ")
		}
		if callerAccountKey(c.Key) {
			callerConfined = true
		}
	}
	if callerConfined {
		e.Foreign = nil
	}
	return e
}

// KeyPolicyExposure judges every statement of a key policy with
// StatementExposureOf and sums up.
func KeyPolicyExposure(p *Policy, opts ExposureOptions) Exposure {
	var e Exposure
	for i := range p.Statements {
		st := &p.Statements[i]
		se := StatementExposureOf(st, opts)
		switch {
		case se.Public():
			e.Public = true
			e.Reasons = append(e.Reasons, "statement "+st.Ref()+": "+se.Open+" with no condition pinning it to the account or organisation")
		case se.Open != "" && se.CrossAccount():
			e.CrossAccount = true
			e.Reasons = append(e.Reasons, "statement "+st.Ref()+": "+se.Open+" restricted to other account(s) "+strings.Join(se.Foreign, ", "))
		case se.CrossAccount():
			e.CrossAccount = true
			for _, a := range se.ForeignPrincipals {
				e.Reasons = append(e.Reasons, "statement "+st.Ref()+": principal "+a+" is in another account")
			}
		}
	}
	return e
}

// openPrincipalOf describes why an Allow statement's principal is
// everyone, or returns "".
func openPrincipalOf(st *Statement) string {
	pr := st.Principals
	switch {
	case st.NotPrincipal:
		return "Allow with NotPrincipal (everyone except the principals it names)"
	case pr.Wildcard:
		return `principal "*" (everyone)`
	}
	for _, a := range pr.AWS {
		if a == "*" {
			return `principal "*" (everyone)`
		}
		if strings.ContainsAny(principalAccountOf(a), "*?") {
			return "principal " + a + " (every account)"
		}
	}
	return ""
}

// pinKindOfKey says what a condition key restricts the caller to: "account",
// "org", "arn" (a principal ARN holding an account id), or "".
func pinKindOfKey(key string) string {
	switch strings.ToLower(key) {
	case "kms:calleraccount", "aws:principalaccount", "aws:sourceaccount":
		return "account"
	case "aws:principalorgid":
		return "org"
	case "aws:principalarn":
		return "arn"
	}
	return ""
}

// callerAccountKey reports whether a pin key names the calling principal's
// own account (aws:SourceAccount names the account of the resource a
// service acts for; aws:PrincipalOrgID an organisation).
func callerAccountKey(key string) bool {
	switch strings.ToLower(key) {
	case "kms:calleraccount", "aws:principalaccount", "aws:principalarn":
		return true
	}
	return false
}

// positivePin reports whether the condition holds only for the values it
// lists.
func positivePin(c Condition) bool {
	switch c.Base {
	case "StringEquals", "StringLike", "StringEqualsIgnoreCase", "ArnEquals", "ArnLike":
		return !c.IfExists && c.Set != SetForAllValues && len(c.Values) > 0
	}
	return false
}

// principalAccountOf returns the account field of a principal ARN, or the
// value itself when it is not an ARN.
func principalAccountOf(s string) string {
	if parts := strings.SplitN(s, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return s
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// ExposureAnalyzer parses key policy documents and judges them with
// KeyPolicyExposure. It satisfies detect.PolicyAnalyzer, which the
// detection rules use on PutKeyPolicy events.
type ExposureAnalyzer struct {
	OrgIDs  []string // organisation ids that count as own
	Trusted []string // account ids that count as own
}

// Exposure parses policyJSON (a JSON document, or a JSON string holding
// one) and reports whether it opens the key to everyone or to another
// account than ownerAccount.
func (a ExposureAnalyzer) Exposure(policyJSON, ownerAccount string) (public, crossAccount bool, err error) {
	p, err := Parse([]byte(policyJSON))
	if err != nil {
		return false, false, err
	}
	e := KeyPolicyExposure(p, ExposureOptions{Owner: ownerAccount, OrgIDs: a.OrgIDs, Trusted: a.Trusted})
	return e.Public, e.CrossAccount, nil
}
