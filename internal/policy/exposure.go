package policy

import (
	"slices"
	"strings"
)

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

// KeyPolicyExposure judges a key policy the way Security Hub KMS.5 and
// kmsguard's cross-account control do, so that posture checks and
// detection rules agree.
//
// An Allow statement is open when its principal is everyone. It is pinned
// (not open) when a condition restricts the caller to the owner (or a
// trusted account, or an own organisation): kms:CallerAccount,
// aws:PrincipalAccount, aws:SourceAccount or aws:PrincipalArn naming such an
// account, or aws:PrincipalOrgID naming one of OrgIDs, with a positive
// operator (StringEquals, StringLike, StringEqualsIgnoreCase, ArnEquals,
// ArnLike; not ...IfExists, not ForAllValues, which hold when the key is
// absent). An open statement restricted to another account instead is
// cross-account, not public; kms:ViaService alone pins nothing. An Allow
// naming an AWS principal of another account is cross-account. Deny
// statements never expose anything.
func KeyPolicyExposure(p *Policy, opts ExposureOptions) Exposure {
	var e Exposure
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != Allow || st.Principals == nil {
			continue
		}
		if why := openPrincipalOf(st); why != "" {
			pinned, foreign := pinOf(st, opts)
			switch {
			case pinned:
			case len(foreign) > 0:
				e.CrossAccount = true
				e.Reasons = append(e.Reasons, "statement "+st.Ref()+": "+why+" restricted to other account(s) "+strings.Join(foreign, ", "))
			default:
				e.Public = true
				e.Reasons = append(e.Reasons, "statement "+st.Ref()+": "+why+" with no condition pinning it to the account or organisation")
			}
			continue
		}
		for _, a := range st.Principals.AWS {
			if acct := principalAccountOf(a); isAccountID(acct) && !opts.own(acct) {
				e.CrossAccount = true
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

// pinOf reports whether st's conditions pin its callers to own accounts or
// organisations, and which other accounts they name instead.
func pinOf(st *Statement, opts ExposureOptions) (pinned bool, foreign []string) {
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
			case isAccountID(acct):
				own = false
				if !slices.Contains(foreign, acct) {
					foreign = append(foreign, acct)
				}
			default: // a wildcard or malformed value pins nothing
				own = false
			}
		}
		if own {
			pinned = true
		}
	}
	return pinned, foreign
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
