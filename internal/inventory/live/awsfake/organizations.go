package awsfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

type orgRequest struct {
	NextToken  string
	MaxResults int
	Filter     string
	PolicyId   string
	ChildId    string
}

func (s *Server) serveOrganizations(w http.ResponseWriter, c call) {
	var req orgRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	org := s.cfg.Organization
	switch {
	case org == nil:
		writeJSONError(w, http.StatusBadRequest, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
		return
	case !c.account.Management || s.denied(c, c.target, ""):
		writeJSONError(w, http.StatusBadRequest, "AccessDeniedException", "You don't have permissions to access this resource.")
		return
	}
	switch c.target {
	case "ListAccounts":
		start, end, next, err := s.page(len(s.cfg.Accounts), req.NextToken, req.MaxResults)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "InvalidInputException", err.Error())
			return
		}
		accounts := []map[string]any{}
		for _, a := range s.cfg.Accounts[start:end] {
			accounts = append(accounts, map[string]any{
				"Id": a.ID, "Arn": "arn:aws:organizations::" + s.management().ID + ":account/o-fake/" + a.ID,
				"Email": a.ID + "@example.com", "Name": a.Name, "Status": "ACTIVE", "State": "ACTIVE",
				"JoinedMethod": "CREATED", "JoinedTimestamp": epochPtr(fixedTime),
			})
		}
		writeJSON(w, paged("Accounts", accounts, "", "NextToken", next))
	case "ListPolicies":
		if req.Filter != "SERVICE_CONTROL_POLICY" {
			writeJSON(w, map[string]any{"Policies": []any{}})
			return
		}
		policies := []map[string]any{}
		for _, p := range org.SCPs {
			policies = append(policies, s.policySummary(p))
		}
		writeJSON(w, map[string]any{"Policies": policies})
	case "DescribePolicy":
		i := slices.IndexFunc(org.SCPs, func(p SCP) bool { return p.ID == req.PolicyId })
		if i < 0 {
			writeJSONError(w, http.StatusBadRequest, "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
			return
		}
		writeJSON(w, map[string]any{"Policy": map[string]any{"PolicySummary": s.policySummary(org.SCPs[i]), "Content": org.SCPs[i].Content}})
	case "ListTargetsForPolicy":
		i := slices.IndexFunc(org.SCPs, func(p SCP) bool { return p.ID == req.PolicyId })
		if i < 0 {
			writeJSONError(w, http.StatusBadRequest, "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
			return
		}
		targets := []map[string]string{}
		for _, t := range org.SCPs[i].Targets {
			targets = append(targets, map[string]string{"TargetId": t, "Arn": "arn:aws:organizations::" + s.management().ID + ":target/o-fake/" + t, "Name": t, "Type": targetType(t)})
		}
		writeJSON(w, map[string]any{"Targets": targets})
	case "ListParents":
		parent := org.Parents[req.ChildId]
		if a := s.account(req.ChildId); a != nil {
			parent = a.Parent
		}
		if parent == "" {
			writeJSONError(w, http.StatusBadRequest, "ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
			return
		}
		writeJSON(w, map[string]any{"Parents": []map[string]string{{"Id": parent, "Type": targetType(parent)}}})
	default:
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "operation "+c.target+" is not faked")
	}
}

func (s *Server) policySummary(p SCP) map[string]any {
	return map[string]any{
		"Id": p.ID, "Arn": "arn:aws:organizations::" + s.management().ID + ":policy/o-fake/service_control_policy/" + p.ID,
		"Name": p.Name, "Description": p.Description, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": p.AWSManaged,
	}
}

func (s *Server) management() *Account {
	for _, a := range s.cfg.Accounts {
		if a.Management {
			return a
		}
	}
	return &Account{}
}

func targetType(id string) string {
	switch {
	case strings.HasPrefix(id, "r-"):
		return "ROOT"
	case strings.HasPrefix(id, "ou-"):
		return "ORGANIZATIONAL_UNIT"
	default:
		return "ACCOUNT"
	}
}
