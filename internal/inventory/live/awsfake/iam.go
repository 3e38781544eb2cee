package awsfake

import (
	"net/http"
	"strconv"
	"time"
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
	arn := "arn:aws:iam::" + c.account.ID + ":"
	var d xmlDoc
	d.text("IsTruncated", strconv.FormatBool(next != ""))
	if next != "" {
		d.text("Marker", next)
	}
	users := inPage(m.Users, 0, start, end)
	d.list("UserDetailList", len(users), func(i int) {
		u := users[i]
		entityHead(&d, "User", "AIDAFAKE", arn+"user/", u.Name, u.Created)
		if len(u.Inline) > 0 {
			inline(&d, "UserPolicyList", u.Inline)
		}
		d.list("GroupList", len(u.Groups), func(j int) { d.escaped(u.Groups[j]) })
		attached(&d, u.Attached)
		d.list("Tags", 0, nil)
	})
	base := len(m.Users)
	groups := inPage(m.Groups, base, start, end)
	d.list("GroupDetailList", len(groups), func(i int) {
		g := groups[i]
		entityHead(&d, "Group", "AGPAFAKE", arn+"group/", g.Name, g.Created)
		inline(&d, "GroupPolicyList", g.Inline)
		attached(&d, g.Attached)
	})
	base += len(m.Groups)
	roles := inPage(m.Roles, base, start, end)
	d.list("RoleDetailList", len(roles), func(i int) {
		r := roles[i]
		entityHead(&d, "Role", "AROAFAKE", arn+"role/", r.Name, r.Created)
		d.text("AssumeRolePolicyDocument", encodeDocument(r.Trust))
		d.list("InstanceProfileList", 0, nil)
		inline(&d, "RolePolicyList", r.Inline)
		attached(&d, r.Attached)
		d.list("Tags", 0, nil)
		d.open("RoleLastUsed")
		d.close("RoleLastUsed")
	})
	base += len(m.Roles)
	policies := inPage(m.Policies, base, start, end)
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

// inPage returns the items, which stand from position base in the list of
// all entities, that fall inside the page [start, end).
func inPage[T any](items []T, base, start, end int) []T {
	return items[min(max(start-base, 0), len(items)):min(max(end-base, 0), len(items))]
}

// entityHead writes the members a user, group and role detail all start with.
func entityHead(d *xmlDoc, kind, idPrefix, arnPrefix, name string, created time.Time) {
	d.text("Path", "/")
	d.text(kind+"Name", name)
	d.text(kind+"Id", idPrefix+name)
	d.text("Arn", arnPrefix+name)
	d.time("CreateDate", created)
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
