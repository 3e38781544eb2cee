package controls

import (
	"fmt"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// KMS.5 (key policies open to everyone) and KMSGUARD-XA-1 (key policies
// that let other accounts in).

func kms5PublicKeys() Control {
	return Control{
		ID:           "KMS.5",
		Title:        "KMS keys should not be publicly accessible",
		Severity:     severity.Critical,
		ResourceType: keyResourceType,
		Mappings: Mappings{
			SecurityHub: []string{"KMS.5"},
			ConfigRules: []string{"kms-key-policy-no-public-access"},
			NIST80053:   []string{"AC-3", "AC-4", "AC-6", "AC-21", "SC-7", "SC-7(3)"},
		},
		Rationale: "A key policy Allow whose principal is everyone — \"*\", {\"AWS\": \"*\"}, arn:aws:iam::*:root, or " +
			"NotPrincipal — lets any AWS account use or manage the key unless a condition pins it to the owner: " +
			"kms:CallerAccount, aws:PrincipalAccount, aws:SourceAccount or aws:PrincipalArn naming this account (or an " +
			"account in organization.trustedAccounts), or aws:PrincipalOrgID naming one of organization.organizationIds (or the organisation the snapshot's SCPs " +
			"belong to), " +
			"with a positive operator (StringEquals, StringLike, ArnEquals, ArnLike; not ...IfExists, not ForAllValues). " +
			"A foreign account id in such a condition is cross-account access, not a pin, and kms:ViaService alone " +
			"pins nothing (any account's callers can use the service). Deny statements are never exposure. " +
			"CloudTrail's default key policy and AWS-managed keys' policies pass.",
		Remediation: Remediation{
			Summary: "Replace the open principal with the principals that need the key, or add a kms:CallerAccount (or aws:PrincipalOrgID) condition naming your account (organisation).",
			Console: []string{
				"Open the AWS KMS console at https://console.aws.amazon.com/kms and choose the key's Region.",
				"Select the key and, on the Key policy tab, choose Switch to policy view and Edit.",
				"In the statements named in the finding, replace \"*\" with specific principal ARNs, or add \"Condition\": {\"StringEquals\": {\"kms:CallerAccount\": \"<account-id>\"}}.",
				"Choose Save changes.",
			},
			CLI: editKeyPolicyCLI(),
		},
		References: []string{
			"https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-5",
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html",
		},
		Check: checkKMS5,
	}
}

func checkKMS5(cc CheckContext, acct *inventory.Account) []Finding {
	partition := partitionOf(acct)
	opts := exposureOptions(cc, acct)
	return parallelFindings(acct.Keys, func(k *inventory.Key) []Finding {
		p, unknown := keyPolicy(k, partition)
		if unknown != nil {
			return []Finding{*unknown}
		}
		var open, evidence, pinnedEv []string
		for i := range p.Statements {
			st := &p.Statements[i]
			e := policy.StatementExposureOf(st, opts)
			switch {
			case e.Open == "":
				continue
			case e.Pin != "":
				pinnedEv = append(pinnedEv, fmt.Sprintf("statement %s: %s, pinned by %s", st.Ref(), e.Open, e.Pin))
			case len(e.Foreign) > 0:
				open = append(open, fmt.Sprintf("statement %s: %s restricted to other account(s) %s (cross-account access, not a pin)",
					st.Ref(), e.Open, strings.Join(e.Foreign, ", ")))
				evidence = append(evidence, statementSummary(st))
			default:
				open = append(open, fmt.Sprintf("statement %s: %s with no condition pinning it to the account or organisation", st.Ref(), e.Open))
				evidence = append(evidence, statementSummary(st))
			}
		}
		if len(open) > 0 {
			return []Finding{Fail(k.ARN, k.Region, strings.Join(open, "; "), append(evidence, pinnedEv...)...)}
		}
		if len(pinnedEv) > 0 {
			return []Finding{Pass(k.ARN, k.Region, "every open principal is pinned to the account or organisation", pinnedEv...)}
		}
		return []Finding{Pass(k.ARN, k.Region, "no Allow statement is open to everyone")}
	})
}

// statementSummary renders a statement's actions and conditions for evidence.
func statementSummary(st *policy.Statement) string {
	acts := "Action"
	if st.NotAction {
		acts = "NotAction"
	}
	s := fmt.Sprintf("statement %s: %s %s %s", st.Ref(), st.Effect, acts, strings.Join(st.Actions, ","))
	var conds []string
	for _, c := range st.Conditions {
		conds = append(conds, c.Operator+" "+c.Key+"="+strings.Join(c.Values, "|"))
	}
	if len(conds) > 0 {
		s += "; conditions " + strings.Join(conds, " AND ")
	}
	return s
}

func crossAccountKeyPolicies() Control {
	return Control{
		ID:           "KMSGUARD-XA-1",
		Title:        "Key policies should not give access to accounts outside the trusted accounts",
		Severity:     severity.High,
		ResourceType: keyResourceType,
		Mappings: Mappings{
			NIST80053: []string{"AC-3", "AC-4", "AC-6", "AC-21"},
			PCIDSS:    []string{"PCI DSS v4.0.1/7.2.1"},
		},
		Rationale: "A key policy Allow that names a principal of another account (its root, a role or a user), or an " +
			"open principal restricted by kms:CallerAccount or a similar condition to another account, lets that " +
			"account use or manage the key under its own IAM policies, outside this account's control. Accounts " +
			"listed in organization.trustedAccounts are not outside. Principals open to everyone are KMS.5's " +
			"finding; grants to other accounts are KMS.GRANT.1's.",
		Remediation: Remediation{
			Summary: "Remove the other account from the key policy, or, if the sharing is intended, add the account to organization.trustedAccounts in kmsguard.yaml.",
			Console: []string{
				"Open the AWS KMS console at https://console.aws.amazon.com/kms and choose the key's Region.",
				"Select the key, choose the Key policy tab and, under Other AWS accounts, remove the account (or edit the policy view).",
				"Choose Save changes.",
			},
			CLI: editKeyPolicyCLI(),
		},
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/cross-account-console.html",
		},
		Check: checkCrossAccount,
	}
}

func checkCrossAccount(cc CheckContext, acct *inventory.Account) []Finding {
	partition := partitionOf(acct)
	opts := exposureOptions(cc, acct)
	return parallelFindings(acct.Keys, func(k *inventory.Key) []Finding {
		p, unknown := keyPolicy(k, partition)
		if unknown != nil {
			return []Finding{*unknown}
		}
		var problems, evidence, accounts []string
		for i := range p.Statements {
			st := &p.Statements[i]
			e := policy.StatementExposureOf(st, opts)
			if !e.CrossAccount() {
				continue
			}
			principals := e.ForeignPrincipals
			if e.Open != "" {
				principals = nil
				for _, a := range e.Foreign {
					principals = append(principals, "callers of account "+a)
				}
			}
			for _, a := range e.Foreign {
				accounts = appendUnique(accounts, a)
			}
			problems = append(problems, fmt.Sprintf("statement %s allows %s", st.Ref(), strings.Join(principals, ", ")))
			evidence = append(evidence, statementSummary(st))
		}
		if len(problems) > 0 {
			return []Finding{Fail(k.ARN, k.Region, "key policy gives account(s) "+strings.Join(accounts, ", ")+
				" access: "+strings.Join(problems, "; "), evidence...)}
		}
		return []Finding{Pass(k.ARN, k.Region, "no key policy Allow names an account outside this one and the trusted accounts")}
	})
}
