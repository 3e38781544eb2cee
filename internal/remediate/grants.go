package remediate

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// offendingGrants re-evaluates the live grants with KMS.GRANT.1's rule: a
// grant that passes on CreateGrant or whose grantee is outside the key's
// account and the trusted accounts, unless it is an AWS service's own grant.
func offendingGrants(grants []GrantInfo, owner string, trusted func(string) bool) []GrantInfo {
	var out []GrantInfo
	for _, g := range grants {
		if serviceGrant(g.Grantee) {
			continue
		}
		acct := accountOf(g.Grantee)
		foreign := acct == "" || (acct != owner && !trusted(acct))
		if slices.Contains(g.Operations, "CreateGrant") || foreign {
			out = append(out, g)
		}
	}
	return out
}

func serviceGrant(p string) bool {
	if !strings.HasPrefix(p, "arn:") && (strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn")) {
		return true
	}
	return strings.HasPrefix(p, "arn:") && strings.Contains(p, ":sts::") && strings.Contains(p, ":assumed-role/aws:")
}

func planGrants(ctx context.Context, c KMS, a *Action, info KeyInfo, opts Options) {
	if info.Manager == "AWS" {
		a.Status, a.Reason = StatusRefused, "AWS-managed key: its grants belong to AWS services"
		return
	}
	grants, err := c.ListGrants(ctx, a.KeyARN)
	if err != nil {
		a.Status, a.Reason = StatusRefused, "cannot read the grants (ListGrants): "+err.Error()
		return
	}
	bad := offendingGrants(grants, a.AccountID, opts.cfg().IsTrustedAccount)
	if len(bad) == 0 {
		a.Status, a.Reason = StatusAlreadyDone, fmt.Sprintf("re-evaluated the %d live grant(s): none passes on CreateGrant or leaves the account", len(grants))
		return
	}
	var what []string
	for _, g := range bad {
		a.Grants = append(a.Grants, g.ID)
		a.Calls = append(a.Calls, Call{Operation: "RevokeGrant", KeyID: a.KeyARN, GrantID: g.ID})
		what = append(what, fmt.Sprintf("%s (grantee %s, operations %s)", g.ID, g.Grantee, strings.Join(g.Operations, ",")))
	}
	a.Status, a.Reason = StatusPlanned, "revoke grant(s) "+strings.Join(what, "; ")
}
