package policy

import "strings"

// PrincipalType is the kind of caller in a request.
type PrincipalType string

// Principal types, named as in the Principal element.
const (
	PrincipalAWS           PrincipalType = "AWS"           // IAM users, roles, role sessions, account roots
	PrincipalService       PrincipalType = "Service"       // AWS service principals
	PrincipalFederated     PrincipalType = "Federated"     // web identity or SAML federated callers
	PrincipalCanonicalUser PrincipalType = "CanonicalUser" // S3 canonical users
	PrincipalAnonymous     PrincipalType = "Anonymous"     // unauthenticated callers
)

// RequestPrincipal is the caller of a request.
type RequestPrincipal struct {
	Type PrincipalType // empty means PrincipalAWS
	// ID is the caller's ARN for AWS principals (including
	// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION), the service name for
	// service principals, the provider for federated callers.
	ID string
	// Account is the caller's 12-digit account id; derived from an AWS ARN
	// when empty.
	Account string
}

func (p RequestPrincipal) typ() PrincipalType {
	if p.Type == "" {
		return PrincipalAWS
	}
	return p.Type
}

func (p RequestPrincipal) account() string {
	if p.Account != "" {
		return p.Account
	}
	if parts := strings.SplitN(p.ID, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// MatchKind says how a Principal element designates a caller. The
// difference matters for key policies: naming an account delegates to that
// account's IAM policies, which must then allow the request too.
type MatchKind int

const (
	// MatchNone: the element does not designate the caller.
	MatchNone MatchKind = iota
	// MatchViaAccount: the element names the caller's account (its root
	// ARN or account id); the caller gets access only if its own IAM
	// policies also allow the request.
	MatchViaAccount
	// MatchDirect: the element names the caller itself, its role (for a
	// role session) or "*".
	MatchDirect
)

func (k MatchKind) String() string {
	if names := [...]string{"none", "via_account", "direct"}; k >= 0 && int(k) < len(names) {
		return names[k]
	}
	return "unknown"
}

// MatchPrincipal reports how the Principal element pr designates the caller.
func MatchPrincipal(pr *Principals, caller RequestPrincipal) MatchKind {
	if pr == nil {
		return MatchNone
	}
	if pr.Wildcard {
		return MatchDirect
	}
	best := MatchNone
	switch caller.typ() {
	case PrincipalAWS:
		for _, arn := range pr.AWS {
			best = max(best, matchAWSPrincipal(arn, caller))
		}
	case PrincipalService:
		best = matchName(pr.Service, caller.ID, true)
	case PrincipalFederated:
		best = matchName(pr.Federated, caller.ID, false)
	case PrincipalCanonicalUser:
		best = matchName(pr.CanonicalUser, caller.ID, false)
	}
	return best
}

func matchName(names []string, id string, fold bool) MatchKind {
	for _, n := range names {
		if n == id || (fold && strings.EqualFold(n, id)) {
			return MatchDirect
		}
	}
	return MatchNone
}

// matchAWSPrincipal compares one AWS principal ARN from a policy with the
// caller.
func matchAWSPrincipal(arn string, caller RequestPrincipal) MatchKind {
	if arn == caller.ID {
		return MatchDirect
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return MatchNone
	}
	acct, res := parts[4], parts[5]
	if res == "root" {
		if acct == caller.account() {
			return MatchViaAccount
		}
		return MatchNone
	}
	// A role designates its sessions: arn:P:sts::ACCT:assumed-role/NAME/SESSION.
	// The session ARN carries the role name without its path.
	if rolePath, ok := strings.CutPrefix(res, "role/"); ok {
		name := rolePath[strings.LastIndexByte(rolePath, '/')+1:]
		cp := strings.SplitN(caller.ID, ":", 6)
		if len(cp) == 6 && cp[0] == "arn" && cp[1] == parts[1] && cp[2] == "sts" && cp[4] == acct {
			if rest, ok := strings.CutPrefix(cp[5], "assumed-role/"+name+"/"); ok && rest != "" && !strings.Contains(rest, "/") {
				return MatchDirect
			}
		}
	}
	return MatchNone
}
