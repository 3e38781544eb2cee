package controls

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/severity"
)

func grantDelegation() Control {
	return Control{
		ID:           "KMS.GRANT.1",
		Title:        "KMS grants should not pass on CreateGrant or give keys to principals outside the account",
		Severity:     severity.High,
		ResourceType: keyResourceType,
		Mappings: Mappings{
			NIST80053: []string{"AC-3", "AC-6", "AC-6(3)"},
		},
		Rationale: "A grant gives its grantee permissions on a key without any change to the key policy, so it is " +
			"easy to overlook. A grant whose operations include CreateGrant lets the grantee hand the key on to " +
			"anyone, and a grant to a principal in another account exposes the key outside the account's IAM " +
			"controls. Grants that AWS services create for their own use (EBS, RDS and others) are expected and are " +
			"not counted: a grant is treated as an AWS service grant when its grantee is a service principal " +
			"(*.amazonaws.com), when its grantee is an AWS-reserved role session (a role name starting with \"aws:\", " +
			"which customers cannot create, such as aws:ec2-infrastructure), or when it is on an AWS-managed key " +
			"(whose key policy allows CreateGrant only through an AWS service). Accounts listed in " +
			"organization.trustedAccounts in kmsguard.yaml are not outside the account for this control.",
		Remediation: Remediation{
			Summary: "Retire or revoke the grant; recreate it without CreateGrant and for a principal in this account if it is still needed.",
			Console: []string{
				"Grants are not shown in the AWS KMS console: list them with the AWS CLI.",
				"Confirm with the grantee's owner whether the grant is still needed.",
			},
			CLI: []string{
				"aws kms list-grants --key-id <key-id> --region <region>",
				"aws kms revoke-grant --key-id <key-id> --grant-id <grant-id> --region <region>",
				"aws kms create-grant --key-id <key-id> --grantee-principal <principal-in-this-account> --operations Decrypt Encrypt --region <region>",
			},
		},
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/grants.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/grant-best-practices.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/grant-delegate.html",
		},
		Check: checkGrants,
	}
}

// serviceGrantReason says why a grant is an AWS service's own grant, or "".
func serviceGrantReason(g inventory.Grant) string {
	p := g.GranteePrincipal
	if !strings.HasPrefix(p, "arn:") && (strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn")) {
		return "grantee is the AWS service principal " + p
	}
	if _, rest, ok := strings.Cut(p, ":assumed-role/aws:"); ok && strings.HasPrefix(p, "arn:") && strings.Contains(p, ":sts::") {
		return "grantee is the AWS-reserved role session aws:" + rest
	}
	return ""
}

// principalAccount returns the account id in a principal ARN ("" if none).
func principalAccount(p string) string {
	if policy.IsAccountID(p) {
		return p
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

func checkGrants(cc CheckContext, acct *inventory.Account) []Finding {
	out := make([]Finding, 0, len(acct.Keys))
	for _, k := range acct.Keys {
		grants, rerr := k.Grants.Get()
		if rerr != nil {
			out = append(out, Unknown(k.ARN, k.Region, "grants (ListGrants)", rerr))
			continue
		}
		if md, err := k.Metadata.Get(); err == nil && md.Manager == inventory.ManagerAWS {
			out = append(out, Pass(k.ARN, k.Region, fmt.Sprintf("AWS-managed key: its %d grant(s) are made by AWS services", len(grants))))
			continue
		}
		var problems, evidence []string
		for _, g := range grants {
			if why := serviceGrantReason(g); why != "" {
				evidence = append(evidence, "grant "+g.ID+": AWS service grant ("+why+")")
				continue
			}
			var bad []string
			if slices.Contains(g.Operations, "CreateGrant") {
				bad = append(bad, "passes on CreateGrant")
			}
			switch acctID := principalAccount(g.GranteePrincipal); {
			case acctID == "":
				bad = append(bad, "grantee "+g.GranteePrincipal+" is not a principal of this account")
			case acctID != acct.ID && !cc.Config.IsTrustedAccount(acctID):
				bad = append(bad, "grantee "+g.GranteePrincipal+" is in account "+acctID)
			}
			if len(bad) > 0 {
				name := g.ID
				if g.Name != "" {
					name += " (" + g.Name + ")"
				}
				problems = append(problems, "grant "+name+" "+strings.Join(bad, " and "))
				evidence = append(evidence, fmt.Sprintf("grant %s: grantee %s, operations %s", g.ID, g.GranteePrincipal, strings.Join(g.Operations, ",")),
					"aws kms revoke-grant --key-id "+k.ID+" --grant-id "+g.ID+" --region "+k.Region)
			}
		}
		if len(problems) > 0 {
			out = append(out, Fail(k.ARN, k.Region, strings.Join(problems, "; "), evidence...))
			continue
		}
		out = append(out, Pass(k.ARN, k.Region, fmt.Sprintf("%d grant(s), none passes on CreateGrant or leaves the account", len(grants)), evidence...))
	}
	return out
}
