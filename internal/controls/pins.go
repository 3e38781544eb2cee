package controls

import (
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// How a key policy statement's conditions pin an open principal to the
// owner's account or organisation (KMS.5) or name other accounts (XA-1).

// pinKind is what a condition key can pin.
type pinKind int

const (
	pinAccount pinKind = iota + 1 // the value is an account id
	pinOrg                        // the value is an organisation id
	pinARN                        // the value is a principal ARN holding an account id
)

// pinKindOf says what a condition key can pin: the keys that restrict the
// caller to an account or organisation (compared case-insensitively).
func pinKindOf(key string) (pinKind, bool) {
	switch strings.ToLower(key) {
	case "kms:calleraccount", "aws:principalaccount", "aws:sourceaccount":
		return pinAccount, true
	case "aws:principalorgid":
		return pinOrg, true
	case "aws:principalarn":
		return pinARN, true
	}
	return 0, false
}

// pinOperator reports whether every value of the operator must match: a
// negated operator, ...IfExists (true when the key is absent) or
// ForAllValues (true on an empty set) pins nothing.
func pinOperator(c policy.Condition) bool {
	switch c.Base {
	case "StringEquals", "StringLike", "StringEqualsIgnoreCase", "ArnEquals", "ArnLike":
		return !c.IfExists && c.Set != policy.SetForAllValues && len(c.Values) > 0
	}
	return false
}

// statementPin says how st's conditions restrict its callers: pinned is a
// description of the first condition that pins the statement to the owner
// (or a trusted account, or an own organisation); foreign lists other
// accounts the conditions name instead.
func statementPin(st *policy.Statement, owner string, orgIDs []string, cc CheckContext) (pinned string, foreign []string) {
	for _, c := range st.Conditions {
		kind, ok := pinKindOf(c.Key)
		if !ok || !pinOperator(c) {
			continue
		}
		own := true
		for _, v := range c.Values {
			acct := ""
			switch kind {
			case pinAccount:
				acct = v
			case pinARN:
				acct = principalAccount(v)
			case pinOrg:
				if !slices.Contains(orgIDs, v) {
					own = false
				}
				continue
			}
			switch {
			case acct == owner || cc.Config.IsTrustedAccount(acct):
			case isAccountID(acct):
				own = false
				foreign = appendUnique(foreign, acct)
			default: // a wildcard or a malformed value pins nothing
				own = false
			}
		}
		if own && pinned == "" {
			pinned = c.Operator + " " + c.Key + " = " + strings.Join(c.Values, ", ")
		}
	}
	return pinned, foreign
}

// ownOrganizations are the organisation ids a PrincipalOrgID pin may name:
// organization.organizationIds from kmsguard.yaml, and the organisation the
// snapshot's SCPs belong to (their ARNs hold its id:
// arn:aws:organizations::MASTER:policy/o-xxxx/service_control_policy/p-yyyy).
func ownOrganizations(cc CheckContext, acct *inventory.Account) []string {
	out := append([]string(nil), cc.Config.Organization.OrganizationIDs...)
	if scps, err := acct.SCPs.Get(); err == nil {
		for _, s := range scps {
			if _, rest, ok := strings.Cut(s.ARN, ":policy/"); ok {
				if org, _, ok := strings.Cut(rest, "/"); ok && strings.HasPrefix(org, "o-") {
					out = appendUnique(out, org)
				}
			}
		}
	}
	return out
}

// openPrincipal describes why an Allow statement's principal is everyone,
// or returns "".
func openPrincipal(st *policy.Statement) string {
	pr := st.Principals
	if pr == nil {
		return ""
	}
	if st.NotPrincipal {
		return "Allow with NotPrincipal (everyone except the principals it names)"
	}
	if pr.Wildcard {
		return "principal \"*\" (everyone)"
	}
	for _, a := range pr.AWS {
		if acct := principalAccount(a); strings.ContainsAny(acct, "*?") {
			return "principal " + a + " (every account)"
		}
	}
	return ""
}

// foreignPrincipals lists the AWS principals of an Allow statement in
// accounts other than the owner and the trusted ones.
func foreignPrincipals(st *policy.Statement, owner string, cc CheckContext) (principals, accounts []string) {
	if st.Principals == nil || st.NotPrincipal {
		return nil, nil
	}
	for _, a := range st.Principals.AWS {
		acct := principalAccount(a)
		if isAccountID(acct) && acct != owner && !cc.Config.IsTrustedAccount(acct) {
			principals = append(principals, a)
			accounts = appendUnique(accounts, acct)
		}
	}
	return principals, accounts
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
