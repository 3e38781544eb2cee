package controls

import (
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// Who counts as "own" when KMS.5 and KMSGUARD-XA-1 judge a key policy with
// policy.StatementExposureOf (the semantics the detection rules share).

// exposureOptions are the owner, trusted accounts and own organisations of
// acct for policy.StatementExposureOf.
func exposureOptions(cc CheckContext, acct *inventory.Account) policy.ExposureOptions {
	return policy.ExposureOptions{Owner: acct.ID, OrgIDs: ownOrganizations(cc, acct), Trusted: cc.Config.Organization.TrustedAccounts}
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

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
