package awsfake

import (
	"net/http"
	"strconv"
)

// serveIAM answers GetAccountAuthorizationDetails, paginating over all
// entities (users, then groups, roles and managed policies) with Marker and
// IsTruncated; MaxItems counts entities of every kind, as IAM does.
func (s *Server) serveIAM(w http.ResponseWriter, c call) {
	action := c.params.Get("Action")
	if s.denied(c, action, "") {
		writeQueryError(w, "iam", http.StatusForbidden, "AccessDenied", deniedMessage(c.account.ID, "iam:"+action))
		return
	}
	if action != "GetAccountAuthorizationDetails" {
		writeQueryError(w, "iam", http.StatusBadRequest, "InvalidAction", "action "+action+" is not faked")
		return
	}
	m := c.account.IAM
	total := len(m.Users) + len(m.Groups) + len(m.Roles) + len(m.Policies)
	limit, _ := strconv.Atoi(c.params.Get("MaxItems"))
	start, end, next, err := s.page(total, c.params.Get("Marker"), limit)
	if err != nil {
		writeQueryError(w, "iam", http.StatusBadRequest, "InvalidInput", err.Error())
		return
	}
	in := func(i int) bool { return i >= start && i < end }
	arn := "arn:aws:iam::" + c.account.ID + ":"
	var d xmlDoc
	d.text("IsTruncated", strconv.FormatBool(next != ""))
	if next != "" {
		d.text("Marker", next)
	}
	var users []User
	for i, u := range m.Users {
		if in(i) {
			users = append(users, u)
		}
	}
	d.list("UserDetailList", len(users), func(i int) {
		u := users[i]
		d.text("Path", "/")
		d.text("UserName", u.Name)
		d.text("UserId", "AIDAFAKE"+u.Name)
		d.text("Arn", arn+"user/"+u.Name)
		d.time("CreateDate", u.Created)
		if len(u.Inline) > 0 {
			inline(&d, "UserPolicyList", u.Inline)
		}
		d.list("GroupList", len(u.Groups), func(j int) { d.escaped(u.Groups[j]) })
		attached(&d, u.Attached)
		d.list("Tags", 0, nil)
	})
	base := len(m.Users)
	var groups []Group
	for i, g := range m.Groups {
		if in(base + i) {
			groups = append(groups, g)
		}
	}
	d.list("GroupDetailList", len(groups), func(i int) {
		g := groups[i]
		d.text("Path", "/")
		d.text("GroupName", g.Name)
		d.text("GroupId", "AGPAFAKE"+g.Name)
		d.text("Arn", arn+"group/"+g.Name)
		d.time("CreateDate", g.Created)
		inline(&d, "GroupPolicyList", g.Inline)
		attached(&d, g.Attached)
	})
	base += len(m.Groups)
	var roles []Role
	for i, r := range m.Roles {
		if in(base + i) {
			roles = append(roles, r)
		}
	}
	d.list("RoleDetailList", len(roles), func(i int) {
		r := roles[i]
		d.text("Path", "/")
		d.text("RoleName", r.Name)
		d.text("RoleId", "AROAFAKE"+r.Name)
		d.text("Arn", arn+"role/"+r.Name)
		d.time("CreateDate", r.Created)
		d.text("AssumeRolePolicyDocument", encodeDocument(r.Trust))
		d.list("InstanceProfileList", 0, nil)
		inline(&d, "RolePolicyList", r.Inline)
		attached(&d, r.Attached)
		d.list("Tags", 0, nil)
		d.open("RoleLastUsed")
		d.close("RoleLastUsed")
	})
	base += len(m.Roles)
	var policies []ManagedPolicy
	for i, p := range m.Policies {
		if in(base + i) {
			policies = append(policies, p)
		}
	}
	d.list("Policies", len(policies), func(i int) {
		p := policies[i]
		d.text("PolicyName", p.Name)
		d.text("PolicyId", "ANPAFAKE"+p.Name)
		d.text("Arn", arn+"policy/"+p.Name)
		d.text("Path", "/")
		d.text("DefaultVersionId", "v1")
		d.text("AttachmentCount", "1")
		d.text("PermissionsBoundaryUsageCount", "0")
		d.text("IsAttachable", "true")
		d.time("CreateDate", p.Created)
		d.time("UpdateDate", p.Created)
		d.list("PolicyVersionList", 1, func(int) {
			d.text("Document", encodeDocument(p.Document))
			d.text("VersionId", "v1")
			d.text("IsDefaultVersion", "true")
			d.time("CreateDate", p.Created)
		})
	})
	writeQuery(w, "iam", action, d.b.String())
}

func inline(d *xmlDoc, name string, policies []InlinePolicy) {
	d.list(name, len(policies), func(i int) {
		d.text("PolicyName", policies[i].Name)
		d.text("PolicyDocument", encodeDocument(policies[i].Document))
	})
}

func attached(d *xmlDoc, arns []string) {
	d.list("AttachedManagedPolicies", len(arns), func(i int) {
		a := arns[i]
		d.text("PolicyName", a[lastSlash(a)+1:])
		d.text("PolicyArn", a)
	})
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}
