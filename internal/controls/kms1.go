package controls

import (
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// KMS.1, KMS.2 and KMSGUARD-IAM-1: identity policies that allow the blocked
// KMS actions too broadly.

const blockedRationale = "The blocked actions (default kms:Decrypt and kms:ReEncryptFrom; parameter " +
	"blockedActionsPatterns, which may hold wildcards such as kms:ReEncrypt*) read encrypted data. Allowing them " +
	"on every key breaks least privilege: the principal can decrypt anything the account or any other account " +
	"lets it. A policy fails when it allows a blocked action on every KMS key, or on every key of its own " +
	"account (arn:aws:kms:*:<account>:key/*: all the keys whose policies delegate to the account's IAM). kmsguard decides the question exactly with its policy engine (wildcards, NotAction, NotResource " +
	"and Deny statements included) and, as AWS's own check does, counts a conditional Allow as allowed (the " +
	"engine's upper bound); the finding shows the deciding statements, a witness key ARN and both bounds."

func kms1CustomerPolicies() Control {
	return Control{
		ID:           "KMS.1",
		Title:        "IAM customer managed policies should not allow decryption actions on all KMS keys",
		Severity:     severity.Medium,
		ResourceType: policyResourceType,
		Mappings: Mappings{
			SecurityHub: []string{"KMS.1"},
			ConfigRules: []string{"iam-customer-policy-blocked-kms-actions"},
			NIST80053:   []string{"AC-2", "AC-2(1)", "AC-3", "AC-3(15)", "AC-3(7)", "AC-5", "AC-6", "AC-6(3)"},
		},
		Rationale: blockedRationale + " Every customer-managed policy is checked, attached or not, on its default " +
			"version only. Policies used only as permissions boundaries grant nothing by themselves and are excluded " +
			"by default (parameter excludePermissionBoundaryPolicy, as in the AWS Config rule). AWS-managed " +
			"policies are not checked, as in Security Hub. A default version that cannot be parsed is UNKNOWN with " +
			"the located parse error.",
		Remediation: Remediation{
			Summary: "Scope the policy's KMS statements to the keys the principals need (key ARNs in Resource), and create a new default version.",
			Console: []string{
				"Open the IAM console at https://console.aws.amazon.com/iam and choose Policies.",
				"Select the policy and choose Edit.",
				"Replace \"Resource\": \"*\" (or arn:aws:kms:*:*:key/*) in the statements that allow the blocked actions with the ARNs of the keys needed.",
				"Choose Next and Save changes (this creates and sets a new default version).",
			},
			CLI: []string{
				"aws iam get-policy-version --policy-arn <policy-arn> --version-id <default-version-id>",
				"aws iam create-policy-version --policy-arn <policy-arn> --policy-document file://scoped-policy.json --set-as-default",
			},
		},
		References: []string{
			"https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-1",
			"https://docs.aws.amazon.com/config/latest/developerguide/iam-customer-policy-blocked-kms-actions.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html",
			"docs/policy-engine.md",
		},
		Parameters: []Parameter{
			{Name: "blockedActionsPatterns", Default: "[kms:Decrypt, kms:ReEncryptFrom]", Description: "KMS actions (wildcards allowed) that must not be allowed on all keys"},
			{Name: "excludePermissionBoundaryPolicy", Default: "true", Description: "skip policies used only as permissions boundaries"},
		},
		Check: func(cc CheckContext, acct *inventory.Account) []Finding {
			return managedPolicyFindings(cc, acct, askingAllKeys(cc, acct, cc.Config.Parameters.KMS1.BlockedActionsPatterns))
		},
	}
}

func kms2InlinePolicies() Control {
	return Control{
		ID:           "KMS.2",
		Title:        "IAM principals should not have IAM inline policies that allow decryption actions on all KMS keys",
		Severity:     severity.Medium,
		ResourceType: roleResourceType,
		Mappings: Mappings{
			SecurityHub: []string{"KMS.2"},
			ConfigRules: []string{"iam-inline-policy-blocked-kms-actions"},
			NIST80053:   []string{"AC-2", "AC-2(1)", "AC-3", "AC-3(15)", "AC-3(7)", "AC-5", "AC-6", "AC-6(3)"},
		},
		Rationale: blockedRationale + " Every inline policy of every user, group and role is checked; the finding " +
			"is per principal and names the failing inline policies. An inline policy that cannot be parsed makes " +
			"the principal UNKNOWN with the located parse error.",
		Remediation: Remediation{
			Summary: "Scope the inline policy's KMS statements to the keys needed, or replace it with a scoped managed policy.",
			Console: []string{
				"Open the IAM console at https://console.aws.amazon.com/iam and choose Users, User groups or Roles.",
				"Select the principal and, on the Permissions tab, expand the inline policy named in the finding.",
				"Choose Edit and replace the Resource of the statements that allow the blocked actions with the key ARNs needed.",
				"Choose Review policy and Save changes.",
			},
			CLI: []string{
				"aws iam get-role-policy --role-name <role> --policy-name <policy>",
				"aws iam put-role-policy --role-name <role> --policy-name <policy> --policy-document file://scoped-policy.json",
				"aws iam put-user-policy --user-name <user> --policy-name <policy> --policy-document file://scoped-policy.json",
				"aws iam put-group-policy --group-name <group> --policy-name <policy> --policy-document file://scoped-policy.json",
			},
		},
		References: []string{
			"https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-2",
			"https://docs.aws.amazon.com/config/latest/developerguide/iam-inline-policy-blocked-kms-actions.html",
			"docs/policy-engine.md",
		},
		Parameters: []Parameter{
			{Name: "blockedActionsPatterns", Default: "[kms:Decrypt, kms:ReEncryptFrom]", Description: "KMS actions (wildcards allowed) that must not be allowed on all keys"},
		},
		Check: func(cc CheckContext, acct *inventory.Account) []Finding {
			return inlinePolicyFindings(acct, askingAllKeys(cc, acct, cc.Config.Parameters.KMS2.BlockedActionsPatterns))
		},
	}
}

// askingAllKeys asks of each policy whether it allows the patterns on every
// KMS key (KMS.1 and KMS.2).
func askingAllKeys(cc CheckContext, acct *inventory.Account, patterns []string) askPolicy {
	partition, a := partitionOf(acct), analyzerOf(cc)
	return func(p *policy.Policy) blockedVerdict { return askAllKeys(a, p, patterns, partition, acct.ID) }
}

func iamOutsideTrusted() Control {
	return Control{
		ID:           "KMSGUARD-IAM-1",
		Title:        "IAM policies should not allow decryption actions on keys outside the trusted accounts",
		Severity:     severity.High,
		ResourceType: policyResourceType,
		Mappings: Mappings{
			NIST80053: []string{"AC-3", "AC-6"},
		},
		Rationale: "KMS.1 and KMS.2 ask whether a policy allows the blocked actions on all keys. That question has a " +
			"blind spot: \"NotResource\": \"<one key>\" does not allow all keys, so it passes, yet it allows every " +
			"other key of every account. This control asks the stronger question: is a blocked action allowed on " +
			"any key outside this account and organization.trustedAccounts? It checks the same policies (the default " +
			"version of customer-managed policies, with the KMS.1 parameters, and inline policies, with the KMS.2 " +
			"parameters) with the same exact engine and upper bound, so reports show both answers.",
		Remediation: Remediation{
			Summary: "Name the keys (or at least the account) in Resource instead of \"*\" or NotResource, so that keys of other accounts are not covered.",
			Console: []string{
				"Open the IAM console at https://console.aws.amazon.com/iam and find the policy or principal in the finding.",
				"Edit the statements that allow the blocked actions: use Resource with key ARNs of this account (arn:aws:kms:<region>:<account>:key/<id>), never NotResource.",
				"Save the policy (for a managed policy, as a new default version).",
			},
			CLI: []string{
				"aws iam create-policy-version --policy-arn <policy-arn> --policy-document file://scoped-policy.json --set-as-default",
				"aws iam put-role-policy --role-name <role> --policy-name <policy> --policy-document file://scoped-policy.json",
			},
		},
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html",
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html",
			"docs/policy-engine.md",
		},
		Check: func(cc CheckContext, acct *inventory.Account) []Finding {
			partition := partitionOf(acct)
			trusted := trustedAccounts(cc, acct.ID)
			if len(trusted) == 0 {
				return []Finding{{Status: StatusUnknown, ResourceID: rootARN(partition, acct.ID), ResourceType: "AWS::::Account",
					Reason: "the account id is unknown, so keys outside it cannot be told apart"}}
			}
			outside, a := policy.KMSKeysOutside(partition, trusted), analyzerOf(cc)
			ask := func(patterns []string) askPolicy {
				return func(p *policy.Policy) blockedVerdict {
					return askOutside(a, p, patterns, outside, trusted)
				}
			}
			out := managedPolicyFindings(cc, acct, ask(cc.Config.Parameters.KMS1.BlockedActionsPatterns))
			if !acct.IAM.IsKnown() {
				return out // one UNKNOWN for the account is enough
			}
			return append(out, inlinePolicyFindings(acct, ask(cc.Config.Parameters.KMS2.BlockedActionsPatterns))...)
		},
	}
}
