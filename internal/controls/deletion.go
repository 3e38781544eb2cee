package controls

import (
	"fmt"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// KMSGUARD-DP-1: deletion protection built from an explicit Deny, since KMS
// has no deletion-protection flag.

// probeRoleName is the synthetic principal the deletion and lockout checks
// ask about: an ordinary role of the account that no allowlist names.
const probeRoleName = "kmsguard-probe"

func deletionProtection() Control {
	return Control{
		ID:           "KMSGUARD-DP-1",
		Title:        "Customer managed keys should be protected from deletion by an explicit Deny",
		Severity:     severity.High,
		ResourceType: keyResourceType,
		Mappings: Mappings{
			Guardrails: []string{"IAM-KMS-3"},
			NIST80053:  []string{"AC-3", "AC-6", "CP-9", "SC-12"},
		},
		Rationale: "Deleting a key makes everything encrypted under it unrecoverable. AWS KMS has no \"deletion " +
			"protection\" flag or setting (some vendor material claims one; it does not exist): the waiting period of " +
			"7 to 30 days is the only built-in delay. Protection comes from an explicit Deny of kms:ScheduleKeyDeletion, " +
			"in the key policy or in a service control policy that applies to the account, that exempts only named " +
			"break-glass principals. kmsguard decides it with the policy engine's concrete evaluation: an ordinary role " +
			"of the account (arn:<partition>:iam::<account>:role/kmsguard-probe, with the key's tags as " +
			"aws:ResourceTag/<key> and the account as aws:PrincipalAccount and kms:CallerAccount) asking to schedule " +
			"the key's deletion must be explicitly denied, by a Deny whose conditions are only about the caller " +
			"(aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID, principal tags, kms:CallerAccount) or the key's " +
			"tags: a Deny the caller can lift, such as one conditional on aws:MultiFactorAuthPresent, does not count. When allowlist.breakGlass is set in kmsguard.yaml, every " +
			"principal ARN the deciding Deny exempts must be a break-glass principal. Keys already pending deletion " +
			"are still checked (cancel the deletion first, see KMS.3). AWS-managed keys cannot be scheduled for " +
			"deletion and are NOT_APPLICABLE. An SCP attached to an OU whose path is unknown, a key policy that " +
			"could not be read and unreadable tags make the answer UNKNOWN unless another Deny already protects the key.",
		Remediation: Remediation{
			Summary: "There is no deletion-protection flag to turn on in KMS (whatever some vendor pages say): add a Deny of kms:ScheduleKeyDeletion for every principal except the break-glass roles to the key policy, or attach the equivalent SCP; `kmsguard guardrails key-policy` and `kmsguard guardrails scp` generate them (docs/guardrails.md).",
			Console: []string{
				"Generate the statement: kmsguard guardrails key-policy --break-glass arn:aws:iam::<account-id>:role/<break-glass-role>.",
				"Open the AWS KMS console at https://console.aws.amazon.com/kms, select the key, choose the Key policy tab, Switch to policy view and Edit.",
				"Add the generated Deny statement and choose Save changes.",
				"Or, for many keys: in the AWS Organizations console, create the SCP from `kmsguard guardrails scp` and attach it to the OU or account.",
			},
			CLI: []string{
				"aws kms get-key-policy --key-id <key-id> --policy-name default --output text --region <region> > policy.json",
				"aws kms put-key-policy --key-id <key-id> --policy-name default --policy file://policy-with-deny.json --region <region>",
				"aws organizations create-policy --type SERVICE_CONTROL_POLICY --name DenyKmsKeyDeletion --description 'Only break-glass may delete KMS keys' --content file://scp.json",
				"aws organizations attach-policy --policy-id <policy-id> --target-id <ou-or-account-id>",
			},
		},
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-adding-permission.html",
			"https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html",
			"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
			"docs/guardrails.md",
		},
		Check: checkDeletionProtection,
	}
}

// probeRequest is the request of an ordinary, non-break-glass role of the
// account calling action on the key.
func probeRequest(cc CheckContext, acct *inventory.Account, k *inventory.Key, action string, principalARN string) policy.Request {
	ctx := policy.Context{
		"aws:PrincipalArn":     {principalARN},
		"aws:PrincipalAccount": {acct.ID},
		"kms:CallerAccount":    {acct.ID},
		"aws:PrincipalType":    {principalType(principalARN)},
	}
	if orgs := cc.Config.Organization.OrganizationIDs; len(orgs) > 0 {
		ctx["aws:PrincipalOrgID"] = []string{orgs[0]}
	}
	if tags, err := k.Tags.Get(); err == nil {
		for tk, tv := range tags {
			ctx["aws:ResourceTag/"+tk] = []string{tv}
		}
	}
	return policy.Request{Principal: policy.RequestPrincipal{ID: principalARN, Account: acct.ID},
		Action: action, Resource: k.ARN, Context: ctx}
}

// principalType is aws:PrincipalType for a principal ARN.
func principalType(arn string) string {
	switch {
	case strings.HasSuffix(arn, ":root"):
		return "Account"
	case strings.Contains(arn, ":user/"):
		return "User"
	}
	return "AssumedRole"
}

func checkDeletionProtection(cc CheckContext, acct *inventory.Account) []Finding {
	partition := partitionOf(acct)
	probe := "arn:" + partition + ":iam::" + acct.ID + ":role/" + probeRoleName
	scps, scpErr := parsedSCPs(acct, partition)
	return parallelFindings(acct.Keys, func(k *inventory.Key) []Finding {
		md, unknown := keyMetadata(k)
		if unknown != nil {
			return []Finding{*unknown}
		}
		if md.Manager == inventory.ManagerAWS {
			return []Finding{NotApplicable(k.ARN, k.Region, "AWS-managed key: it cannot be scheduled for deletion")}
		}
		req := probeRequest(cc, acct, k, "kms:ScheduleKeyDeletion", probe)
		var protectors, evidence, gaps []string
		var exempted []string
		if p, unknown := keyPolicy(k, partition); unknown != nil {
			gaps = append(gaps, unknown.Reason)
		} else if d := p.Evaluate(req); d.Outcome == policy.ExplicitDeny {
			for _, r := range d.Deciding {
				st := &p.Statements[r.Index]
				if key := requestCondition(st); key != "" {
					evidence = append(evidence, "key policy statement "+r.Ref+" denies only while "+key+" says so: not counted")
					continue
				}
				protectors = append(protectors, "key policy statement "+r.Ref)
				exempted = append(exempted, exemptedPrincipals(st)...)
			}
		}
		for _, s := range scps {
			if d := s.policy.Evaluate(req); d.Outcome == policy.ExplicitDeny {
				for _, r := range d.Deciding {
					st := &s.policy.Statements[r.Index]
					if key := requestCondition(st); key != "" {
						evidence = append(evidence, "SCP "+s.name+" statement "+r.Ref+" denies only while "+key+" says so: not counted")
						continue
					}
					protectors = append(protectors, "SCP "+s.name+" statement "+r.Ref)
					exempted = append(exempted, exemptedPrincipals(st)...)
				}
			}
		}
		if scpErr != "" {
			gaps = append(gaps, scpErr)
		}
		if _, rerr := k.Tags.Get(); rerr != nil {
			gaps = append(gaps, "tags could not be read: "+rerr.Error())
		}
		if len(protectors) == 0 {
			if len(gaps) > 0 {
				return []Finding{{Status: StatusUnknown, ResourceID: k.ARN, Region: k.Region,
					Reason: "no Deny found that protects the key from deletion, but " + strings.Join(gaps, "; ")}}
			}
			return []Finding{Fail(k.ARN, k.Region, "no key policy statement or applicable SCP denies kms:ScheduleKeyDeletion to an ordinary role of the account ("+probe+")",
				append(evidence, "add a Deny with `kmsguard guardrails key-policy --break-glass <role-arn>` (docs/guardrails.md)")...)}
		}
		evidence = append(evidence, "denied to "+probe+" by "+strings.Join(protectors, ", "))
		if len(exempted) > 0 {
			evidence = append(evidence, "exempted: "+strings.Join(exempted, ", "))
		}
		if notBreakGlass := unlistedExemptions(cc, acct.ID, exempted); len(notBreakGlass) > 0 {
			return []Finding{Fail(k.ARN, k.Region, "the Deny of kms:ScheduleKeyDeletion exempts "+strings.Join(notBreakGlass, ", ")+
				", which allowlist.breakGlass does not name", evidence...)}
		}
		if len(cc.Config.Allowlist.BreakGlass) == 0 && len(exempted) > 0 {
			evidence = append(evidence, "set allowlist.breakGlass in kmsguard.yaml to verify the exempted principals")
		}
		return []Finding{Pass(k.ARN, k.Region, "protected from deletion by "+strings.Join(protectors, ", "), evidence...)}
	})
}

type parsedSCP struct {
	name   string
	policy *policy.Policy
}

// parsedSCPs parses the SCPs that apply to the account. The string is why
// they are (partly) unknown, "" when everything is known. An organisation
// that was not collected contributes no SCPs.
func parsedSCPs(acct *inventory.Account, partition string) ([]parsedSCP, string) {
	scps, rerr := acct.ApplicableSCPs().Get()
	if rerr != nil {
		if rerr.Code == inventory.CodeNotCollected || rerr.Code == "AWSOrganizationsNotInUseException" {
			return nil, ""
		}
		return nil, "the applicable SCPs are unknown: " + rerr.Error()
	}
	var out []parsedSCP
	var bad []string
	for _, s := range scps {
		p, err := parseDocument(s.Document, partition)
		if err != nil {
			bad = append(bad, fmt.Sprintf("SCP %s could not be parsed: %v", s.ID, err))
			continue
		}
		out = append(out, parsedSCP{name: s.ID + " (" + s.Name + ")", policy: p})
	}
	return out, strings.Join(bad, "; ")
}

// requestCondition returns the first condition key of a Deny statement that
// depends on the request rather than on who calls or which key is named
// (for example aws:MultiFactorAuthPresent or aws:SourceIp): such a Deny can
// be lifted by the caller, so it does not protect the key. "" when every
// condition is about the principal or the key's tags.
func requestCondition(st *policy.Statement) string {
	for _, c := range st.Conditions {
		k := strings.ToLower(c.Key)
		switch {
		case k == "aws:principalarn", k == "aws:principalaccount", k == "aws:principalorgid", k == "aws:principalorgpaths",
			k == "aws:principaltype", k == "aws:userid", k == "aws:username", k == "kms:calleraccount",
			strings.HasPrefix(k, "aws:principaltag/"), strings.HasPrefix(k, "aws:resourcetag/"):
		default:
			return c.Key
		}
	}
	return ""
}

// exemptedPrincipals lists the aws:PrincipalArn values a Deny statement's
// negated conditions exempt.
func exemptedPrincipals(st *policy.Statement) []string {
	var out []string
	for _, c := range st.Conditions {
		if !strings.EqualFold(c.Key, "aws:PrincipalArn") {
			continue
		}
		switch c.Base {
		case "ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase":
			out = append(out, c.Values...)
		}
	}
	return out
}

// unlistedExemptions returns the exempted principal patterns that are not
// break-glass principals. A wildcard account is read as the owner's.
func unlistedExemptions(cc CheckContext, owner string, exempted []string) []string {
	if len(cc.Config.Allowlist.BreakGlass) == 0 {
		return nil
	}
	var out []string
	for _, e := range exempted {
		concrete := e
		if parts := strings.SplitN(e, ":", 6); len(parts) == 6 && parts[4] == "*" {
			parts[4] = owner
			concrete = strings.Join(parts, ":")
		}
		if !cc.Config.IsBreakGlass(concrete) {
			out = appendUnique(out, e)
		}
	}
	return out
}
