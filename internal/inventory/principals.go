package inventory

// Where a policy that applies to a principal comes from.
const (
	SourceInline       = "inline"
	SourceManaged      = "managed"
	SourceGroupInline  = "group-inline"
	SourceGroupManaged = "group-managed"
)

// PolicySource is one identity policy that applies to a user or role.
type PolicySource struct {
	Kind     string // one of the Source* constants
	Name     string // inline policy name, or managed policy ARN
	Group    string // group name for group sources
	Document Fact[Document]
}

// IdentityPolicies returns every identity-based policy that applies to the
// user or role with the ARN: its inline policies, its attached managed
// policies (default version), and for a user the inline and attached
// policies of its groups. A managed policy or group that the authorization
// details do not include is returned with an unknown document, never left
// out. ok is false when there is no such user or role.
func (i *IAM) IdentityPolicies(principalARN string) (sources []PolicySource, ok bool) {
	var p *Principal
	var groups []string
	for _, u := range i.Users {
		if u.ARN == principalARN {
			p, groups = &u.Principal, u.Groups
		}
	}
	for _, r := range i.Roles {
		if r.ARN == principalARN {
			p = &r.Principal
		}
	}
	if p == nil {
		return nil, false
	}
	sources = i.appendPolicies(sources, p, SourceInline, SourceManaged, "")
	for _, name := range groups {
		g := i.Group(name)
		if g == nil {
			sources = append(sources, PolicySource{Kind: SourceGroupInline, Group: name,
				Document: Unknown[Document](&ReadError{Call: iamCall, File: iamFile, Code: CodeIncomplete,
					Message: "group " + name + " of " + principalARN + " is not in GroupDetailList"})})
			continue
		}
		sources = i.appendPolicies(sources, &g.Principal, SourceGroupInline, SourceGroupManaged, name)
	}
	return sources, true
}

func (i *IAM) appendPolicies(out []PolicySource, p *Principal, inlineKind, managedKind, group string) []PolicySource {
	for _, ip := range p.InlinePolicies {
		out = append(out, PolicySource{Kind: inlineKind, Name: ip.Name, Group: group, Document: ip.Document})
	}
	for _, arn := range p.AttachedPolicyARNs {
		out = append(out, PolicySource{Kind: managedKind, Name: arn, Group: group, Document: i.managedDefault(arn)})
	}
	return out
}

// PermissionsBoundary returns the boundary policy document of a user or
// role; has is false when it has none (or there is no such principal).
func (i *IAM) PermissionsBoundary(principalARN string) (doc Fact[Document], has bool) {
	arn := ""
	for _, u := range i.Users {
		if u.ARN == principalARN {
			arn = u.PermissionsBoundaryARN
		}
	}
	for _, r := range i.Roles {
		if r.ARN == principalARN {
			arn = r.PermissionsBoundaryARN
		}
	}
	if arn == "" {
		return Fact[Document]{}, false
	}
	return i.managedDefault(arn), true
}

func (i *IAM) managedDefault(arn string) Fact[Document] {
	if mp := i.Policy(arn); mp != nil {
		return mp.Default
	}
	return Unknown[Document](&ReadError{Call: iamCall, File: iamFile, Code: CodeIncomplete,
		Message: "managed policy " + arn + " is not in the Policies list"})
}
