package live

import (
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kmsguard/kmsguard/internal/inventory/live/clijson"
)

// IAM output shapes in the service model's member order. The merged
// get-account-authorization-details document has the paginator's result
// keys only (botocore's build_full_result drops IsTruncated and Marker).

type authorizationDetails struct {
	UserDetailList  []userDetail          `json:"UserDetailList"`
	GroupDetailList []groupDetail         `json:"GroupDetailList"`
	RoleDetailList  []roleDetail          `json:"RoleDetailList"`
	Policies        []managedPolicyDetail `json:"Policies"`
}

type userDetail struct {
	Path                    *string                      `json:"Path,omitzero"`
	UserName                *string                      `json:"UserName,omitzero"`
	UserId                  *string                      `json:"UserId,omitzero"`
	Arn                     *string                      `json:"Arn,omitzero"`
	CreateDate              *clijson.Timestamp           `json:"CreateDate,omitzero"`
	UserPolicyList          []policyDetail               `json:"UserPolicyList,omitzero"`
	GroupList               []string                     `json:"GroupList,omitzero"`
	AttachedManagedPolicies []attachedPolicy             `json:"AttachedManagedPolicies,omitzero"`
	PermissionsBoundary     *attachedPermissionsBoundary `json:"PermissionsBoundary,omitzero"`
	Tags                    []iamTag                     `json:"Tags,omitzero"`
}

type groupDetail struct {
	Path                    *string            `json:"Path,omitzero"`
	GroupName               *string            `json:"GroupName,omitzero"`
	GroupId                 *string            `json:"GroupId,omitzero"`
	Arn                     *string            `json:"Arn,omitzero"`
	CreateDate              *clijson.Timestamp `json:"CreateDate,omitzero"`
	GroupPolicyList         []policyDetail     `json:"GroupPolicyList,omitzero"`
	AttachedManagedPolicies []attachedPolicy   `json:"AttachedManagedPolicies,omitzero"`
}

type roleDetail struct {
	Path                     *string                      `json:"Path,omitzero"`
	RoleName                 *string                      `json:"RoleName,omitzero"`
	RoleId                   *string                      `json:"RoleId,omitzero"`
	Arn                      *string                      `json:"Arn,omitzero"`
	CreateDate               *clijson.Timestamp           `json:"CreateDate,omitzero"`
	AssumeRolePolicyDocument *clijson.PolicyDocument      `json:"AssumeRolePolicyDocument,omitzero"`
	InstanceProfileList      []instanceProfile            `json:"InstanceProfileList,omitzero"`
	RolePolicyList           []policyDetail               `json:"RolePolicyList,omitzero"`
	AttachedManagedPolicies  []attachedPolicy             `json:"AttachedManagedPolicies,omitzero"`
	PermissionsBoundary      *attachedPermissionsBoundary `json:"PermissionsBoundary,omitzero"`
	Tags                     []iamTag                     `json:"Tags,omitzero"`
	RoleLastUsed             *roleLastUsed                `json:"RoleLastUsed,omitzero"`
}

type managedPolicyDetail struct {
	PolicyName                    *string            `json:"PolicyName,omitzero"`
	PolicyId                      *string            `json:"PolicyId,omitzero"`
	Arn                           *string            `json:"Arn,omitzero"`
	Path                          *string            `json:"Path,omitzero"`
	DefaultVersionId              *string            `json:"DefaultVersionId,omitzero"`
	AttachmentCount               *int32             `json:"AttachmentCount,omitzero"`
	PermissionsBoundaryUsageCount *int32             `json:"PermissionsBoundaryUsageCount,omitzero"`
	IsAttachable                  bool               `json:"IsAttachable"`
	Description                   *string            `json:"Description,omitzero"`
	CreateDate                    *clijson.Timestamp `json:"CreateDate,omitzero"`
	UpdateDate                    *clijson.Timestamp `json:"UpdateDate,omitzero"`
	PolicyVersionList             []policyVersion    `json:"PolicyVersionList,omitzero"`
}

type policyDetail struct {
	PolicyName     *string                 `json:"PolicyName,omitzero"`
	PolicyDocument *clijson.PolicyDocument `json:"PolicyDocument,omitzero"`
}

type policyVersion struct {
	Document         *clijson.PolicyDocument `json:"Document,omitzero"`
	VersionId        *string                 `json:"VersionId,omitzero"`
	IsDefaultVersion bool                    `json:"IsDefaultVersion"`
	CreateDate       *clijson.Timestamp      `json:"CreateDate,omitzero"`
}

type attachedPolicy struct {
	PolicyName *string `json:"PolicyName,omitzero"`
	PolicyArn  *string `json:"PolicyArn,omitzero"`
}

type attachedPermissionsBoundary struct {
	PermissionsBoundaryType string  `json:"PermissionsBoundaryType,omitzero"`
	PermissionsBoundaryArn  *string `json:"PermissionsBoundaryArn,omitzero"`
}

type iamTag struct {
	Key   *string `json:"Key,omitzero"`
	Value *string `json:"Value,omitzero"`
}

type instanceProfile struct {
	Path                *string            `json:"Path,omitzero"`
	InstanceProfileName *string            `json:"InstanceProfileName,omitzero"`
	InstanceProfileId   *string            `json:"InstanceProfileId,omitzero"`
	Arn                 *string            `json:"Arn,omitzero"`
	CreateDate          *clijson.Timestamp `json:"CreateDate,omitzero"`
	Roles               []iamRole          `json:"Roles"`
	Tags                []iamTag           `json:"Tags,omitzero"`
}

type iamRole struct {
	Path                     *string                      `json:"Path,omitzero"`
	RoleName                 *string                      `json:"RoleName,omitzero"`
	RoleId                   *string                      `json:"RoleId,omitzero"`
	Arn                      *string                      `json:"Arn,omitzero"`
	CreateDate               *clijson.Timestamp           `json:"CreateDate,omitzero"`
	AssumeRolePolicyDocument *clijson.PolicyDocument      `json:"AssumeRolePolicyDocument,omitzero"`
	Description              *string                      `json:"Description,omitzero"`
	MaxSessionDuration       *int32                       `json:"MaxSessionDuration,omitzero"`
	PermissionsBoundary      *attachedPermissionsBoundary `json:"PermissionsBoundary,omitzero"`
	Tags                     []iamTag                     `json:"Tags,omitzero"`
	RoleLastUsed             *roleLastUsed                `json:"RoleLastUsed,omitzero"`
}

type roleLastUsed struct {
	LastUsedDate *clijson.Timestamp `json:"LastUsedDate,omitzero"`
	Region       *string            `json:"Region,omitzero"`
}

func fromPolicyDetails(in []iamtypes.PolicyDetail) []policyDetail {
	if in == nil {
		return nil
	}
	out := make([]policyDetail, 0, len(in))
	for _, p := range in {
		out = append(out, policyDetail{PolicyName: p.PolicyName, PolicyDocument: clijson.DecodePolicyDocument(p.PolicyDocument)})
	}
	return out
}

func fromAttached(in []iamtypes.AttachedPolicy) []attachedPolicy {
	if in == nil {
		return nil
	}
	out := make([]attachedPolicy, 0, len(in))
	for _, p := range in {
		out = append(out, attachedPolicy{PolicyName: p.PolicyName, PolicyArn: p.PolicyArn})
	}
	return out
}

func fromBoundary(b *iamtypes.AttachedPermissionsBoundary) *attachedPermissionsBoundary {
	if b == nil {
		return nil
	}
	return &attachedPermissionsBoundary{PermissionsBoundaryType: string(b.PermissionsBoundaryType), PermissionsBoundaryArn: b.PermissionsBoundaryArn}
}

func fromTags(in []iamtypes.Tag) []iamTag {
	if in == nil {
		return nil
	}
	out := make([]iamTag, 0, len(in))
	for _, t := range in {
		out = append(out, iamTag{Key: t.Key, Value: t.Value})
	}
	return out
}

func fromLastUsed(r *iamtypes.RoleLastUsed) *roleLastUsed {
	if r == nil {
		return nil
	}
	return &roleLastUsed{LastUsedDate: ts(r.LastUsedDate), Region: r.Region}
}

func fromUser(u iamtypes.UserDetail) userDetail {
	return userDetail{
		Path: u.Path, UserName: u.UserName, UserId: u.UserId, Arn: u.Arn, CreateDate: ts(u.CreateDate),
		UserPolicyList: fromPolicyDetails(u.UserPolicyList), GroupList: u.GroupList,
		AttachedManagedPolicies: fromAttached(u.AttachedManagedPolicies),
		PermissionsBoundary:     fromBoundary(u.PermissionsBoundary), Tags: fromTags(u.Tags),
	}
}

func fromGroup(g iamtypes.GroupDetail) groupDetail {
	return groupDetail{
		Path: g.Path, GroupName: g.GroupName, GroupId: g.GroupId, Arn: g.Arn, CreateDate: ts(g.CreateDate),
		GroupPolicyList:         fromPolicyDetails(g.GroupPolicyList),
		AttachedManagedPolicies: fromAttached(g.AttachedManagedPolicies),
	}
}

func fromRoleDetail(r iamtypes.RoleDetail) roleDetail {
	out := roleDetail{
		Path: r.Path, RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, CreateDate: ts(r.CreateDate),
		AssumeRolePolicyDocument: clijson.DecodePolicyDocument(r.AssumeRolePolicyDocument),
		RolePolicyList:           fromPolicyDetails(r.RolePolicyList),
		AttachedManagedPolicies:  fromAttached(r.AttachedManagedPolicies),
		PermissionsBoundary:      fromBoundary(r.PermissionsBoundary), Tags: fromTags(r.Tags),
		RoleLastUsed: fromLastUsed(r.RoleLastUsed),
	}
	if r.InstanceProfileList != nil {
		out.InstanceProfileList = make([]instanceProfile, 0, len(r.InstanceProfileList))
	}
	for _, ip := range r.InstanceProfileList {
		p := instanceProfile{
			Path: ip.Path, InstanceProfileName: ip.InstanceProfileName, InstanceProfileId: ip.InstanceProfileId,
			Arn: ip.Arn, CreateDate: ts(ip.CreateDate), Roles: make([]iamRole, 0, len(ip.Roles)), Tags: fromTags(ip.Tags),
		}
		for _, role := range ip.Roles {
			p.Roles = append(p.Roles, iamRole{
				Path: role.Path, RoleName: role.RoleName, RoleId: role.RoleId, Arn: role.Arn,
				CreateDate:               ts(role.CreateDate),
				AssumeRolePolicyDocument: clijson.DecodePolicyDocument(role.AssumeRolePolicyDocument),
				Description:              role.Description, MaxSessionDuration: role.MaxSessionDuration,
				PermissionsBoundary: fromBoundary(role.PermissionsBoundary), Tags: fromTags(role.Tags),
				RoleLastUsed: fromLastUsed(role.RoleLastUsed),
			})
		}
		out.InstanceProfileList = append(out.InstanceProfileList, p)
	}
	return out
}

func fromManagedPolicy(p iamtypes.ManagedPolicyDetail) managedPolicyDetail {
	out := managedPolicyDetail{
		PolicyName: p.PolicyName, PolicyId: p.PolicyId, Arn: p.Arn, Path: p.Path,
		DefaultVersionId: p.DefaultVersionId, AttachmentCount: p.AttachmentCount,
		PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount, IsAttachable: p.IsAttachable,
		Description: p.Description, CreateDate: ts(p.CreateDate), UpdateDate: ts(p.UpdateDate),
	}
	if p.PolicyVersionList != nil {
		out.PolicyVersionList = make([]policyVersion, 0, len(p.PolicyVersionList))
	}
	for _, v := range p.PolicyVersionList {
		out.PolicyVersionList = append(out.PolicyVersionList, policyVersion{
			Document: clijson.DecodePolicyDocument(v.Document), VersionId: v.VersionId,
			IsDefaultVersion: v.IsDefaultVersion, CreateDate: ts(v.CreateDate),
		})
	}
	return out
}
