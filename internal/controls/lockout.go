package controls

import (
	"strings"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// KMSGUARD-LOCK-1: a key policy that no existing principal can change, the
// state PutKeyPolicy's BypassPolicyLockoutSafetyCheck lets one create.

func lockoutRisk() Control {
	return Control{
		ID:           "KMSGUARD-LOCK-1",
		Title:        "Some existing principal should be able to change the key policy",
		Severity:     severity.High,
		ResourceType: keyResourceType,
		Mappings: Mappings{
			Guardrails: []string{"IAM-KMS-1", "IAM-KMS-5"},
			NIST80053:  []string{"AC-2", "AC-3", "CP-9"},
		},
		Rationale: "CreateKey and PutKeyPolicy refuse a policy that would stop the caller from changing it again, " +
			"unless BypassPolicyLockoutSafetyCheck is set. A key whose policy no principal can change is unmanageable " +
			"(only AWS Support can help). kmsguard evaluates kms:PutKeyPolicy on the key with the full key policy " +
			"(Denies included) for the account root (which reaches IAM identities through delegation), for every " +
			"principal the Allow statements name and every principal a Deny exempts through aws:PrincipalArn, and " +
			"for the break-glass principals of kmsguard.yaml. A named user or role counts only when it exists in the " +
			"IAM inventory (when IAM could not be read the answer is UNKNOWN); principals of other accounts cannot " +
			"be verified and make the answer UNKNOWN when nothing else can change the policy. The principal's own " +
			"IAM policies are not evaluated here (see the effective-access report).",
		Remediation: Remediation{
			Summary: "While some principal can still call PutKeyPolicy, add the account root statement (IAM-KMS-1); if none can, contact AWS Support.",
			Console: []string{
				"Open the AWS KMS console at https://console.aws.amazon.com/kms, select the key, choose the Key policy tab, Switch to policy view and Edit.",
				"Add the \"Enable IAM User Permissions\" statement for arn:aws:iam::<account-id>:root and choose Save changes.",
				"If no principal may call kms:PutKeyPolicy any more, open a case with AWS Support to regain access to the key.",
			},
			CLI: []string{
				"aws kms put-key-policy --key-id <key-id> --policy-name default --policy file://policy-with-root.json --region <region>",
			},
		},
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html",
			"https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html#KMS-PutKeyPolicy-request-BypassPolicyLockoutSafetyCheck",
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key",
		},
		Check: checkLockout,
	}
}

func checkLockout(cc CheckContext, acct *inventory.Account) []Finding {
	partition := partitionOf(acct)
	root := rootARN(partition, acct.ID)
	iam, iamErr := acct.IAM.Get()
	known := iamIndex(iam)
	return parallelFindings(acct.Keys, func(k *inventory.Key) []Finding {
		p, instead := customerKeyPolicy(k, partition)
		if instead != nil {
			return []Finding{*instead}
		}
		var unverified, missing []string
		for _, cand := range lockoutCandidates(p, root, cc.Config) {
			d := p.Evaluate(probeRequest(cc, acct, k, "kms:PutKeyPolicy", cand))
			if d.Outcome != policy.Allowed {
				continue
			}
			how := "statement " + d.Deciding[0].Ref
			switch exists, why := principalExists(cand, acct.ID, root, known, iamErr); {
			case exists:
				return []Finding{Pass(k.ARN, k.Region, cand+" can change the key policy ("+how+")")}
			case why != "":
				unverified = append(unverified, cand+" ("+why+")")
			default:
				missing = append(missing, cand)
			}
		}
		if len(unverified) > 0 {
			return []Finding{{Status: StatusUnknown, ResourceID: k.ARN, Region: k.Region,
				Reason: "only principals that could not be verified can change the key policy: " + strings.Join(unverified, "; ")}}
		}
		ev := []string{"principals with an Allow: " + strings.Join(allowedPrincipals(p), ", ")}
		if len(missing) > 0 {
			ev = append(ev, "allowed but not in IAM (deleted?): "+strings.Join(missing, ", "))
		}
		return []Finding{Fail(k.ARN, k.Region, "no existing principal can change the key policy (kms:PutKeyPolicy): the key is unmanageable without AWS Support", ev...)}
	})
}

// lockoutCandidates are the principals that might call PutKeyPolicy: the
// account root first, then every principal named in an Allow or exempted by
// a Deny's aws:PrincipalArn condition, and the literal break-glass ARNs.
func lockoutCandidates(p *policy.Policy, root string, cfg *config.Config) []string {
	out := []string{root}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect == policy.Allow && st.Principals != nil && !st.NotPrincipal {
			for _, a := range st.Principals.AWS {
				if !strings.ContainsAny(a, "*?") {
					out = appendUnique(out, a)
				}
			}
		}
		for _, e := range exemptedPrincipals(st) {
			if !strings.ContainsAny(e, "*?") {
				out = appendUnique(out, e)
			}
		}
	}
	for _, b := range cfg.Allowlist.BreakGlass {
		if !strings.ContainsAny(b, "*?") {
			out = appendUnique(out, b)
		}
	}
	return out
}

// iamIndex is the set of user and role ARNs, and of role names (for role
// sessions, named "role:NAME").
func iamIndex(iam *inventory.IAM) map[string]bool {
	out := map[string]bool{}
	if iam == nil {
		return out
	}
	for _, u := range iam.Users {
		out[u.ARN] = true
	}
	for _, r := range iam.Roles {
		out[r.ARN] = true
		out["role:"+r.Name] = true
	}
	return out
}

// principalExists reports whether the principal exists: the account root
// always does; users and roles of the account are looked up in IAM (a role
// session by its role). why is non-empty when existence cannot be decided.
func principalExists(arn, owner, root string, known map[string]bool, iamErr *inventory.ReadError) (bool, string) {
	acct := principalAccount(arn)
	if arn == root || (strings.HasSuffix(arn, ":root") && acct != "") {
		return true, ""
	}
	if acct != owner {
		return false, "in another account, existence not verifiable"
	}
	if iamErr != nil {
		return false, "IAM could not be read: " + iamErr.Error()
	}
	if _, rest, ok := strings.Cut(arn, ":assumed-role/"); ok {
		// arn:aws:sts::ACCT:assumed-role/NAME/SESSION -> the role NAME.
		name, _, _ := strings.Cut(rest, "/")
		if known["role:"+name] {
			return true, ""
		}
		return false, ""
	}
	if known[arn] {
		return true, ""
	}
	return false, ""
}

func allowedPrincipals(p *policy.Policy) []string {
	out := []string{}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect == policy.Allow && st.Principals != nil {
			out = append(out, st.Principals.AWS...)
			out = append(out, st.Principals.Service...)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}
