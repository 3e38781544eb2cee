package controls

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// Iteration over the IAM policies KMS.1, KMS.2 and KMSGUARD-IAM-1 check.

// Resource types of IAM findings.
const (
	policyResourceType = "AWS::IAM::Policy"
	userResourceType   = "AWS::IAM::User"
	groupResourceType  = "AWS::IAM::Group"
	roleResourceType   = "AWS::IAM::Role"
)

// askPolicy answers a blocked-action question about one parsed policy.
type askPolicy func(p *policy.Policy) blockedVerdict

// iamUnknown is the single finding of an account whose IAM details could
// not be read: the account root stands for every policy we could not see.
func iamUnknown(acct *inventory.Account, rerr *inventory.ReadError) []Finding {
	f := Unknown(rootARN(partitionOf(acct), acct.ID), "", "IAM authorization details (GetAccountAuthorizationDetails)", rerr)
	f.ResourceType = "AWS::::Account"
	return []Finding{f}
}

// managedPolicyFindings checks the default version of every
// customer-managed policy, attached or not. AWS-managed policies are not
// checked (as in Security Hub); policies used only as permissions
// boundaries are NOT_APPLICABLE unless excludePermissionBoundaryPolicy is
// false.
func managedPolicyFindings(cc CheckContext, acct *inventory.Account, ask askPolicy) []Finding {
	iam, rerr := acct.IAM.Get()
	if rerr != nil {
		return iamUnknown(acct, rerr)
	}
	exclude := cc.Config.Parameters.KMS1.ExcludePermissionBoundaryPolicy == nil || *cc.Config.Parameters.KMS1.ExcludePermissionBoundaryPolicy
	var customer []*inventory.ManagedPolicy
	for _, mp := range iam.Policies {
		if !mp.AWSManaged {
			customer = append(customer, mp)
		}
	}
	partition := partitionOf(acct)
	return parallelFindings(customer, func(mp *inventory.ManagedPolicy) []Finding {
		f := Finding{ResourceID: mp.ARN, ResourceType: policyResourceType}
		where := fmt.Sprintf("default version %s (%s)", mp.DefaultVersionID, attachmentNote(mp))
		if exclude && mp.OnlyPermissionsBoundary() {
			f.Status = StatusNotApplicable
			f.Reason = "used only as a permissions boundary, which grants nothing by itself (excludePermissionBoundaryPolicy: true)"
			return []Finding{f}
		}
		doc, rerr := mp.Default.Get()
		if rerr != nil {
			u := Unknown(mp.ARN, "", "default policy version", rerr)
			u.ResourceType = policyResourceType
			return []Finding{u}
		}
		p, err := parseDocument(doc, partition)
		if err != nil {
			f.Status, f.Reason = StatusUnknown, where+" could not be parsed: "+err.Error()
			return []Finding{f}
		}
		v := ask(p)
		f.Status, f.Reason, f.Evidence = v.status, where+" "+v.reason, v.evidence
		return []Finding{f}
	})
}

func attachmentNote(mp *inventory.ManagedPolicy) string {
	n := len(mp.AttachedToUsers) + len(mp.AttachedToGroups) + len(mp.AttachedToRoles)
	if n == 0 {
		n = mp.AttachmentCount
	}
	if n == 0 {
		return "not attached"
	}
	return fmt.Sprintf("attached to %d principal(s)", n)
}

// inlineOwner is a user, group or role with inline policies.
type inlineOwner struct {
	arn, kind string
	policies  []inventory.InlinePolicy
}

func inlineOwners(iam *inventory.IAM) []inlineOwner {
	var out []inlineOwner
	add := func(p *inventory.Principal, kind string) {
		if len(p.InlinePolicies) > 0 {
			out = append(out, inlineOwner{arn: p.ARN, kind: kind, policies: p.InlinePolicies})
		}
	}
	for _, u := range iam.Users {
		add(&u.Principal, userResourceType)
	}
	for _, g := range iam.Groups {
		add(&g.Principal, groupResourceType)
	}
	for _, r := range iam.Roles {
		add(&r.Principal, roleResourceType)
	}
	return out
}

// inlinePolicyFindings checks the inline policies of every user, group and
// role: one finding per principal, failing when any of its inline policies
// fails.
func inlinePolicyFindings(acct *inventory.Account, ask askPolicy) []Finding {
	iam, rerr := acct.IAM.Get()
	if rerr != nil {
		return iamUnknown(acct, rerr)
	}
	partition := partitionOf(acct)
	return parallelFindings(inlineOwners(iam), func(o inlineOwner) []Finding {
		var failing, unknown, passing, evidence []string
		for _, ip := range o.policies {
			doc, rerr := ip.Document.Get()
			if rerr != nil {
				unknown = append(unknown, "inline policy "+ip.Name+" could not be read: "+rerr.Error())
				continue
			}
			p, err := parseDocument(doc, partition)
			if err != nil {
				unknown = append(unknown, "inline policy "+ip.Name+" could not be parsed: "+err.Error())
				continue
			}
			v := ask(p)
			switch v.status {
			case StatusFail:
				failing = append(failing, "inline policy "+ip.Name+" "+v.reason)
				for _, e := range v.evidence {
					evidence = append(evidence, ip.Name+": "+e)
				}
			case StatusUnknown:
				unknown = append(unknown, "inline policy "+ip.Name+": "+v.reason)
			default:
				passing = append(passing, ip.Name)
			}
		}
		f := Finding{ResourceID: o.arn, ResourceType: o.kind}
		switch {
		case len(failing) > 0:
			f.Status, f.Reason, f.Evidence = StatusFail, strings.Join(failing, "; "), slices.Concat(evidence, unknown)
		case len(unknown) > 0:
			f.Status, f.Reason = StatusUnknown, strings.Join(unknown, "; ")
		default:
			f.Status, f.Reason = StatusPass, "no inline policy allows the blocked actions ("+strings.Join(passing, ", ")+")"
		}
		return []Finding{f}
	})
}
