package controls

import (
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// IAM-KMS-1: the key policy lets the account root principal in, so that the
// account can always recover control of the key.

// recoveryActions are what the root principal must be allowed for IAM-KMS-1:
// read and replace the key policy, and undo the two ways a key stops
// working (disabling and scheduled deletion). kms:* covers them; the
// console's default statement does too.
func recoveryActions() []string {
	return []string{"kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey", "kms:EnableKey", "kms:CancelKeyDeletion"}
}

func rootAccess() Control {
	return Control{
		ID:           "IAM-KMS-1",
		Title:        "Key policies should give the account root principal access",
		Severity:     severity.Medium,
		ResourceType: keyResourceType,
		Mappings: Mappings{
			Guardrails: []string{"IAM-KMS-1"},
			NIST80053:  []string{"AC-2", "AC-3", "CP-9"},
		},
		Rationale: "If a key policy names only IAM users or roles and those are deleted or removed from the policy, no " +
			"principal can change the policy any more and AWS Support must be involved. A statement that allows the " +
			"account root principal (arn:<partition>:iam::<account>:root or the account id) lets the account recover " +
			"through IAM. kmsguard requires an unconditional Allow for the account root of at least the recovery " +
			"actions kms:PutKeyPolicy, kms:GetKeyPolicy, kms:DescribeKey, kms:EnableKey and kms:CancelKeyDeletion " +
			"(kms:* covers them) on the key; it decides the match with the policy engine (account-id shorthand, " +
			"wildcards and NotAction included). Deny statements are not subtracted: a deliberate guardrail such as a " +
			"deletion-protection Deny is not a lockout. AWS-managed keys are NOT_APPLICABLE (AWS owns their policy).",
		Remediation: Remediation{
			Summary: "Add the default \"Enable IAM User Permissions\" statement: Allow kms:* for arn:<partition>:iam::<account>:root (see `kmsguard guardrails key-policy`).",
			Console: []string{
				"Open the AWS KMS console at https://console.aws.amazon.com/kms and choose the key's Region.",
				"Select the key, choose the Key policy tab, Switch to policy view and Edit.",
				"Add {\"Sid\": \"Enable IAM User Permissions\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::<account-id>:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}.",
				"Choose Save changes (a principal still allowed kms:PutKeyPolicy must do this; otherwise contact AWS Support).",
			},
			CLI: editKeyPolicyCLI(),
		},
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam",
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
			"docs/guardrails.md",
		},
		Check: checkRootAccess,
	}
}

func checkRootAccess(_ CheckContext, acct *inventory.Account) []Finding {
	partition := partitionOf(acct)
	root := policy.RequestPrincipal{ID: rootARN(partition, acct.ID), Account: acct.ID}
	return parallelFindings(acct.Keys, func(k *inventory.Key) []Finding {
		p, instead := customerKeyPolicy(k, partition)
		if instead != nil {
			return []Finding{*instead}
		}
		// Only unconditional Allow statements count: the root must get in
		// whatever the request context.
		unconditional := &policy.Policy{Version: p.Version}
		for _, st := range p.Statements {
			if st.Effect == policy.Allow && len(st.Conditions) == 0 {
				unconditional.Statements = append(unconditional.Statements, st)
			}
		}
		var missing, via []string
		for _, action := range recoveryActions() {
			d := unconditional.Evaluate(policy.Request{Principal: root, Action: action, Resource: k.ARN})
			if d.Outcome != policy.Allowed {
				missing = append(missing, action)
				continue
			}
			for _, r := range d.Deciding {
				via = appendUnique(via, "statement "+r.Ref)
			}
		}
		if len(missing) > 0 {
			return []Finding{Fail(k.ARN, k.Region, "the key policy does not unconditionally allow the account root "+root.ID+" "+
				strings.Join(missing, ", ")+" (lockout risk if the named principals disappear)",
				"unconditional Allow statements: "+refsOf(unconditional))}
		}
		return []Finding{Pass(k.ARN, k.Region, "the account root may manage the key policy through "+strings.Join(via, ", "))}
	})
}

func refsOf(p *policy.Policy) string {
	if len(p.Statements) == 0 {
		return "none"
	}
	refs := make([]string, 0, len(p.Statements))
	for i := range p.Statements {
		refs = append(refs, p.Statements[i].Ref())
	}
	return strings.Join(refs, ", ")
}
