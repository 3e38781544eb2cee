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

func fromPolicyDetail(p iamtypes.PolicyDetail) policyDetail {
	return policyDetail{PolicyName: p.PolicyName, PolicyDocument: clijson.DecodePolicyDocument(p.PolicyDocument)}
}

func fromAttached(p iamtypes.AttachedPolicy) attachedPolicy {
	return attachedPolicy{PolicyName: p.PolicyName, PolicyArn: p.PolicyArn}
}

func fromBoundary(b *iamtypes.AttachedPermissionsBoundary) *attachedPermissionsBoundary {
	if b == nil {
		return nil
	}
	return &attachedPermissionsBoundary{PermissionsBoundaryType: string(b.PermissionsBoundaryType), PermissionsBoundaryArn: b.PermissionsBoundaryArn}
}

func fromTags(in []iamtypes.Tag) []iamTag {
	return convert(in, func(t iamtypes.Tag) iamTag { return iamTag{Key: t.Key, Value: t.Value} })
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
		UserPolicyList: convert(u.UserPolicyList, fromPolicyDetail), GroupList: u.GroupList,
		AttachedManagedPolicies: convert(u.AttachedManagedPolicies, fromAttached),
		PermissionsBoundary:     fromBoundary(u.PermissionsBoundary), Tags: fromTags(u.Tags),
	}
}

func fromGroup(g iamtypes.GroupDetail) groupDetail {
	return groupDetail{
		Path: g.Path, GroupName: g.GroupName, GroupId: g.GroupId, Arn: g.Arn, CreateDate: ts(g.CreateDate),
		GroupPolicyList:         convert(g.GroupPolicyList, fromPolicyDetail),
		AttachedManagedPolicies: convert(g.AttachedManagedPolicies, fromAttached),
	}
}

func fromRoleDetail(r iamtypes.RoleDetail) roleDetail {
	return roleDetail{
		Path: r.Path, RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, CreateDate: ts(r.CreateDate),
		AssumeRolePolicyDocument: clijson.DecodePolicyDocument(r.AssumeRolePolicyDocument),
		InstanceProfileList:      convert(r.InstanceProfileList, fromInstanceProfile),
		RolePolicyList:           convert(r.RolePolicyList, fromPolicyDetail),
		AttachedManagedPolicies:  convert(r.AttachedManagedPolicies, fromAttached),
		PermissionsBoundary:      fromBoundary(r.PermissionsBoundary), Tags: fromTags(r.Tags),
		RoleLastUsed: fromLastUsed(r.RoleLastUsed),
	}
}

func fromInstanceProfile(ip iamtypes.InstanceProfile) instanceProfile {
	p := instanceProfile{
		Path: ip.Path, InstanceProfileName: ip.InstanceProfileName, InstanceProfileId: ip.InstanceProfileId,
		Arn: ip.Arn, CreateDate: ts(ip.CreateDate), Roles: make([]iamRole, 0, len(ip.Roles)), Tags: fromTags(ip.Tags),
	}
	// Roles is required in the shape: the CLI prints [] even when the SDK has nil.
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
	return p
}

func fromManagedPolicy(p iamtypes.ManagedPolicyDetail) managedPolicyDetail {
	return managedPolicyDetail{
		PolicyName: p.PolicyName, PolicyId: p.PolicyId, Arn: p.Arn, Path: p.Path,
		DefaultVersionId: p.DefaultVersionId, AttachmentCount: p.AttachmentCount,
		PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount, IsAttachable: p.IsAttachable,
		Description: p.Description, CreateDate: ts(p.CreateDate), UpdateDate: ts(p.UpdateDate),
		PolicyVersionList: convert(p.PolicyVersionList, func(v iamtypes.PolicyVersion) policyVersion {
			return policyVersion{
				Document: clijson.DecodePolicyDocument(v.Document), VersionId: v.VersionId,
				IsDefaultVersion: v.IsDefaultVersion, CreateDate: ts(v.CreateDate),
			}
		}),
	}
}
