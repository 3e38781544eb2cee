package inventory

import "time"

// IAM is the account's IAM state from get-account-authorization-details.
type IAM struct {
	Users    []*User
	Groups   []*Group
	Roles    []*Role
	Policies []*ManagedPolicy // customer-managed and the AWS-managed ones in use
}

// Principal is what users, groups and roles share.
type Principal struct {
	ARN                string
	Name               string
	Path               string
	ID                 string
	CreateDate         time.Time
	InlinePolicies     []InlinePolicy
	AttachedPolicyARNs []string
}

// InlinePolicy is an embedded policy of a user, group or role.
type InlinePolicy struct {
	Name string
	// Document is unknown when the response had none or it was not a string
	// or object (the load problem says which).
	Document Fact[Document]
}

// User is an IAM user.
type User struct {
	Principal
	Groups                 []string // group names
	PermissionsBoundaryARN string
	Tags                   map[string]string
}

// Group is an IAM group.
type Group struct {
	Principal
}

// Role is an IAM role.
type Role struct {
	Principal
	TrustPolicy            Fact[Document] // AssumeRolePolicyDocument
	PermissionsBoundaryARN string
	Tags                   map[string]string
	LastUsed               *time.Time
	LastUsedRegion         string
}

// ManagedPolicy is an IAM managed policy with its versions.
type ManagedPolicy struct {
	ARN                           string
	Name                          string
	Path                          string
	ID                            string
	AWSManaged                    bool // ARN account is "aws"
	DefaultVersionID              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	CreateDate                    time.Time
	// Default is the document of the default version; unknown when the
	// version list did not include it.
	Default  Fact[Document]
	Versions []PolicyVersion

	// Filled by the loader from the principals' attachment lists.
	AttachedToUsers  []string // ARNs
	AttachedToGroups []string
	AttachedToRoles  []string
	BoundaryOf       []string // ARNs of users and roles using it as a permissions boundary
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID         string
	IsDefault  bool
	CreateDate time.Time
	Document   Fact[Document]
}

// Attached reports whether the policy is attached to any principal.
func (p *ManagedPolicy) Attached() bool {
	return p.AttachmentCount > 0 || len(p.AttachedToUsers)+len(p.AttachedToGroups)+len(p.AttachedToRoles) > 0
}

// OnlyPermissionsBoundary reports whether the policy is used as a permissions
// boundary and never attached as a permissions policy (the AWS Config rules'
// excludePermissionBoundaryPolicy).
func (p *ManagedPolicy) OnlyPermissionsBoundary() bool {
	return (p.PermissionsBoundaryUsageCount > 0 || len(p.BoundaryOf) > 0) && !p.Attached()
}

// Policy returns the managed policy with the ARN, or nil.
func (i *IAM) Policy(arn string) *ManagedPolicy {
	for _, p := range i.Policies {
		if p.ARN == arn {
			return p
		}
	}
	return nil
}

// Group returns the group with the name, or nil.
func (i *IAM) Group(name string) *Group {
	for _, g := range i.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}
