package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// AWS CLI output shape of iam get-account-authorization-details.

type authDetailsOut struct {
	UserDetailList  []userOut
	GroupDetailList []groupOut
	RoleDetailList  []roleOut
	Policies        []policyOut
}

type inlineOut struct {
	PolicyName     string
	PolicyDocument jsontext.Value
}

type attachedOut struct{ PolicyName, PolicyArn string }

type boundaryOut struct{ PermissionsBoundaryType, PermissionsBoundaryArn string }

type tagOut struct{ Key, Value string }

type userOut struct {
	Path, UserName, Arn     string
	UserID                  string `json:"UserId"`
	CreateDate              awsTime
	UserPolicyList          []inlineOut
	GroupList               []string
	AttachedManagedPolicies []attachedOut
	PermissionsBoundary     *boundaryOut
	Tags                    []tagOut
}

type groupOut struct {
	Path, GroupName, Arn    string
	GroupID                 string `json:"GroupId"`
	CreateDate              awsTime
	GroupPolicyList         []inlineOut
	AttachedManagedPolicies []attachedOut
}

type roleOut struct {
	Path, RoleName, Arn      string
	RoleID                   string `json:"RoleId"`
	CreateDate               awsTime
	AssumeRolePolicyDocument jsontext.Value
	RolePolicyList           []inlineOut
	AttachedManagedPolicies  []attachedOut
	PermissionsBoundary      *boundaryOut
	Tags                     []tagOut
	RoleLastUsed             *struct {
		LastUsedDate *awsTime
		Region       string
	}
}

type policyOut struct {
	PolicyName, PolicyID, Arn, Path string
	DefaultVersionID                string `json:"DefaultVersionId"`
	AttachmentCount                 int
	PermissionsBoundaryUsageCount   int
	IsAttachable                    bool
	CreateDate                      awsTime
	PolicyVersionList               []struct {
		Document         jsontext.Value
		VersionID        string `json:"VersionId"`
		IsDefaultVersion bool
		CreateDate       awsTime
	}
}

const iamFile = "iam/account-authorization-details.json"
const iamCall = "iam:GetAccountAuthorizationDetails"

// loadIAM reads the authorization details. The file may hold one merged
// response or several page objects one after another (as `--no-paginate`
// loops print them); their lists are concatenated.
func loadIAM(l *loader, prefix string) Fact[*IAM] {
	file := joinPrefix(prefix, iamFile)
	data, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		var out authDetailsOut
		return Unknown[*IAM](readCall(l.fsys, file, iamCall, &out, l.report))
	}
	merged, err := decodeAuthDetails(data, l.limit)
	if err != nil {
		reason := err.Error()
		l.report(Problem{File: file, Reason: reason})
		return Unknown[*IAM](&ReadError{Call: iamCall, File: file, Code: CodeParseError, Message: reason})
	}
	iam, problems := buildIAM(merged)
	for _, p := range problems {
		l.report(Problem{File: file, Reason: p})
	}
	return Known(iam)
}

// buildIAM converts the CLI shape. A document that is missing or neither an
// object nor a string is unknown (and reported): it must not look like an
// empty policy.
func buildIAM(out *authDetailsOut) (*IAM, []string) {
	var problems []string
	doc := func(where string, raw jsontext.Value) Fact[Document] {
		msg := ""
		if len(raw) == 0 || string(raw) == "null" {
			msg = where + ": document missing"
		} else if d, err := documentFromJSON(raw, unquoteJSON); err != nil {
			msg = fmt.Sprintf("%s: %v", where, err)
		} else {
			return Known(d)
		}
		problems = append(problems, msg)
		return Unknown[Document](&ReadError{Call: iamCall, File: iamFile, Code: CodeIncomplete, Message: msg})
	}
	inline := func(owner string, list []inlineOut) []InlinePolicy {
		out := make([]InlinePolicy, 0, len(list))
		for _, p := range list {
			out = append(out, InlinePolicy{Name: p.PolicyName, Document: doc(owner+" inline policy "+p.PolicyName, p.PolicyDocument)})
		}
		return out
	}
	attached := func(list []attachedOut) []string {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, a.PolicyArn)
		}
		return out
	}
	iam := &IAM{
		Users:    make([]*User, 0, len(out.UserDetailList)),
		Groups:   make([]*Group, 0, len(out.GroupDetailList)),
		Roles:    make([]*Role, 0, len(out.RoleDetailList)),
		Policies: make([]*ManagedPolicy, 0, len(out.Policies)),
	}
	for _, u := range out.UserDetailList {
		user := &User{Principal: Principal{ARN: u.Arn, Name: u.UserName, Path: u.Path, ID: u.UserID, CreateDate: u.CreateDate.Time,
			InlinePolicies: inline(u.Arn, u.UserPolicyList), AttachedPolicyARNs: attached(u.AttachedManagedPolicies)},
			Groups: u.GroupList, Tags: tagMap(u.Tags)}
		if u.PermissionsBoundary != nil {
			user.PermissionsBoundaryARN = u.PermissionsBoundary.PermissionsBoundaryArn
		}
		iam.Users = append(iam.Users, user)
	}
	for _, g := range out.GroupDetailList {
		iam.Groups = append(iam.Groups, &Group{Principal: Principal{ARN: g.Arn, Name: g.GroupName, Path: g.Path, ID: g.GroupID,
			CreateDate: g.CreateDate.Time, InlinePolicies: inline(g.Arn, g.GroupPolicyList), AttachedPolicyARNs: attached(g.AttachedManagedPolicies)}})
	}
	for _, r := range out.RoleDetailList {
		role := &Role{Principal: Principal{ARN: r.Arn, Name: r.RoleName, Path: r.Path, ID: r.RoleID, CreateDate: r.CreateDate.Time,
			InlinePolicies: inline(r.Arn, r.RolePolicyList), AttachedPolicyARNs: attached(r.AttachedManagedPolicies)},
			TrustPolicy: doc(r.Arn+" trust policy", r.AssumeRolePolicyDocument), Tags: tagMap(r.Tags)}
		if r.PermissionsBoundary != nil {
			role.PermissionsBoundaryARN = r.PermissionsBoundary.PermissionsBoundaryArn
		}
		if r.RoleLastUsed != nil {
			role.LastUsed, role.LastUsedRegion = r.RoleLastUsed.LastUsedDate.ptr(), r.RoleLastUsed.Region
		}
		iam.Roles = append(iam.Roles, role)
	}
	for _, p := range out.Policies {
		mp := &ManagedPolicy{ARN: p.Arn, Name: p.PolicyName, Path: p.Path, ID: p.PolicyID,
			AWSManaged:       strings.HasPrefix(p.Arn, "arn:") && strings.Contains(p.Arn, ":iam::aws:policy/"),
			DefaultVersionID: p.DefaultVersionID, AttachmentCount: p.AttachmentCount,
			PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount, IsAttachable: p.IsAttachable, CreateDate: p.CreateDate.Time}
		found := false
		for _, v := range p.PolicyVersionList {
			pv := PolicyVersion{ID: v.VersionID, IsDefault: v.IsDefaultVersion, CreateDate: v.CreateDate.Time,
				Document: doc(p.Arn+" version "+v.VersionID, v.Document)}
			mp.Versions = append(mp.Versions, pv)
			if pv.IsDefault || (pv.ID == p.DefaultVersionID && !found) {
				mp.Default, found = pv.Document, true
			}
		}
		if !found {
			mp.Default = Unknown[Document](&ReadError{Call: iamCall, File: iamFile, Code: CodeIncomplete,
				Message: "policy " + p.Arn + ": default version " + p.DefaultVersionID + " not in PolicyVersionList"})
		}
		iam.Policies = append(iam.Policies, mp)
	}
	linkAttachments(iam)
	return iam, problems
}

func tagMap(tags []tagOut) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// linkAttachments fills the AttachedTo* and BoundaryOf lists of every policy.
func linkAttachments(iam *IAM) {
	byARN := make(map[string]*ManagedPolicy, len(iam.Policies))
	for _, p := range iam.Policies {
		byARN[p.ARN] = p
	}
	for _, u := range iam.Users {
		for _, a := range u.AttachedPolicyARNs {
			if p := byARN[a]; p != nil {
				p.AttachedToUsers = append(p.AttachedToUsers, u.ARN)
			}
		}
		if p := byARN[u.PermissionsBoundaryARN]; p != nil {
			p.BoundaryOf = append(p.BoundaryOf, u.ARN)
		}
	}
	for _, g := range iam.Groups {
		for _, a := range g.AttachedPolicyARNs {
			if p := byARN[a]; p != nil {
				p.AttachedToGroups = append(p.AttachedToGroups, g.ARN)
			}
		}
	}
	for _, r := range iam.Roles {
		for _, a := range r.AttachedPolicyARNs {
			if p := byARN[a]; p != nil {
				p.AttachedToRoles = append(p.AttachedToRoles, r.ARN)
			}
		}
		if p := byARN[r.PermissionsBoundaryARN]; p != nil {
			p.BoundaryOf = append(p.BoundaryOf, r.ARN)
		}
	}
	for _, p := range iam.Policies {
		sort.Strings(p.BoundaryOf)
	}
}

// decodeAuthDetailsSerial decodes one merged response or several page
// objects one after another, concatenating their lists.
func decodeAuthDetailsSerial(data []byte) (*authDetailsOut, error) {
	var merged authDetailsOut
	dec := jsontext.NewDecoder(bytes.NewReader(data), decodeOpts)
	for pages := 0; ; pages++ {
		var page authDetailsOut
		err := json.UnmarshalDecode(dec, &page, decodeOpts)
		if errors.Is(err, io.EOF) && pages > 0 {
			return &merged, nil
		}
		if err != nil {
			if pages == 0 && len(bytes.TrimSpace(data)) == 0 {
				return nil, errors.New("empty or truncated JSON")
			}
			return nil, jsonErrorAt(data, 0, "", err)
		}
		merged.UserDetailList = append(merged.UserDetailList, page.UserDetailList...)
		merged.GroupDetailList = append(merged.GroupDetailList, page.GroupDetailList...)
		merged.RoleDetailList = append(merged.RoleDetailList, page.RoleDetailList...)
		merged.Policies = append(merged.Policies, page.Policies...)
	}
}
