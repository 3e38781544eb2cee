package inventory

import (
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Organisation files (all optional), relative to the organisations
// directory (organizations/ at the snapshot root, or inside an account).
const (
	orgPolicies = "policies" // <policy-id>.json: organizations describe-policy
	orgTargets  = "targets"  // <policy-id>.json: organizations list-targets-for-policy
	orgParents  = "parents"  // <child-id>.json: organizations list-parents
	orgAccounts = "accounts.json"
)

type describePolicyOut struct {
	Policy *struct {
		PolicySummary struct {
			ID          string `json:"Id"`
			Arn         string
			Name        string
			Description string
			Type        string
			AwsManaged  bool
		}
		Content jsontext.Value
	}
}

type listTargetsOut struct {
	Targets []struct {
		TargetID string `json:"TargetId"`
		Arn      string
		Name     string
		Type     string
	}
}

type listParentsOut struct {
	Parents []struct {
		ID   string `json:"Id"`
		Type string
	}
}

type listAccountsOut struct {
	Accounts []struct {
		ID   string `json:"Id"`
		Name string
	}
}

// org is what an organizations/ directory provides.
type org struct {
	dir          string
	scps         Fact[[]*SCP]
	accountNames map[string]string
}

// loadOrg reads the SCPs and their targets under dir. A missing directory
// makes SCPs unknown (not collected); an SCP whose targets cannot be read
// makes them all unknown, because where that SCP applies is then unknown.
func loadOrg(l *loader, dir string) *org {
	o := &org{dir: dir, accountNames: map[string]string{}}
	polDir := path.Join(dir, orgPolicies)
	entries, err := fs.ReadDir(l.fsys, polDir)
	if err != nil {
		code, msg := CodeNotCollected, "no "+polDir+" directory in the snapshot"
		if !errors.Is(err, fs.ErrNotExist) {
			code, msg = "ReadError", err.Error()
			l.report(Problem{File: polDir, Reason: msg})
		}
		o.scps = Unknown[[]*SCP](&ReadError{Call: "organizations:DescribePolicy", File: polDir, Code: code, Message: msg})
		// policies.error.json stands in for the policies/ directory:
		// ListPolicies failed. An account outside any organisation has no
		// SCPs at all, which is a known (empty) answer.
		if rerr, ok := readErrorFile(l.fsys, polDir+".error.json", "organizations:ListPolicies", l.report); ok {
			o.scps = Unknown[[]*SCP](rerr)
			if rerr.Code == "AWSOrganizationsNotInUseException" {
				o.scps = Known([]*SCP{})
			}
		}
	} else {
		o.scps = loadSCPs(l, dir, entries)
	}
	var accts listAccountsOut
	if readCall(l.fsys, path.Join(dir, orgAccounts), "organizations:ListAccounts", &accts, l.report) == nil {
		for _, a := range accts.Accounts {
			o.accountNames[a.ID] = a.Name
		}
	}
	return o
}

func loadSCPs(l *loader, dir string, entries []fs.DirEntry) Fact[[]*SCP] {
	var scps []*SCP
	var firstErr *ReadError
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".error.json") {
			if strings.HasSuffix(name, ".error.json") && firstErr == nil {
				firstErr, _ = readErrorFile(l.fsys, path.Join(dir, orgPolicies, name), "organizations:DescribePolicy", l.report)
			}
			continue
		}
		id := strings.TrimSuffix(name, ".json")
		file := path.Join(dir, orgPolicies, name)
		var dp describePolicyOut
		if rerr := readCall(l.fsys, file, "organizations:DescribePolicy", &dp, l.report); rerr != nil {
			firstErr = cmpFirst(firstErr, rerr)
			continue
		}
		if dp.Policy == nil {
			firstErr = cmpFirst(firstErr, &ReadError{Call: "organizations:DescribePolicy", File: file, Code: CodeIncomplete, Message: "no Policy in the response"})
			continue
		}
		sum := dp.Policy.PolicySummary
		if sum.Type != "" && sum.Type != "SERVICE_CONTROL_POLICY" {
			continue // tag, backup and AI opt-out policies do not limit KMS
		}
		doc, err := documentFromJSON(dp.Policy.Content, unquoteJSON)
		if err != nil || len(dp.Policy.Content) == 0 {
			msg := "Content missing or not a string"
			l.report(Problem{File: file, Reason: msg})
			firstErr = cmpFirst(firstErr, &ReadError{Call: "organizations:DescribePolicy", File: file, Code: CodeParseError, Message: msg})
			continue
		}
		scp := &SCP{ID: sum.ID, ARN: sum.Arn, Name: sum.Name, Description: sum.Description, AWSManaged: sum.AwsManaged, Document: doc}
		if scp.ID == "" {
			scp.ID = id
		}
		var tg listTargetsOut
		if rerr := readCall(l.fsys, path.Join(dir, orgTargets, id+".json"), "organizations:ListTargetsForPolicy", &tg, l.report); rerr != nil {
			firstErr = cmpFirst(firstErr, rerr)
			continue
		}
		for _, t := range tg.Targets {
			scp.Targets = append(scp.Targets, SCPTarget{ID: t.TargetID, ARN: t.Arn, Name: t.Name, Type: t.Type})
		}
		scps = append(scps, scp)
	}
	if firstErr != nil {
		return Unknown[[]*SCP](firstErr)
	}
	sort.Slice(scps, func(i, j int) bool { return scps[i].ID < scps[j].ID })
	return Known(scps)
}

func cmpFirst(have, next *ReadError) *ReadError {
	if have != nil {
		return have
	}
	return next
}

// ouPath walks parents/<id>.json from the account up to the root and returns
// the path root first.
func (o *org) ouPath(l *loader, accountID string) Fact[[]OrgNode] {
	var rev []OrgNode
	child := accountID
	for range 10 { // AWS allows five OU levels; stop on loops
		var out listParentsOut
		if rerr := readCall(l.fsys, path.Join(o.dir, orgParents, child+".json"), "organizations:ListParents", &out, l.report); rerr != nil {
			return Unknown[[]OrgNode](rerr)
		}
		if len(out.Parents) != 1 {
			return Unknown[[]OrgNode](&ReadError{Call: "organizations:ListParents", File: path.Join(o.dir, orgParents, child+".json"), Code: CodeIncomplete, Message: "want exactly one parent"})
		}
		p := out.Parents[0]
		rev = append(rev, OrgNode{ID: p.ID, Type: p.Type})
		if p.Type == TargetRoot {
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			return Known(rev)
		}
		child = p.ID
	}
	return Unknown[[]OrgNode](&ReadError{Call: "organizations:ListParents", File: path.Join(o.dir, orgParents), Code: CodeIncomplete, Message: "no root within 10 levels"})
}
