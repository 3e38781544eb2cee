package live

import (
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/kmsguard/kmsguard/internal/inventory/live/clijson"
)

// STS and Organizations output shapes in the service model's member order.

type callerIdentity struct {
	UserId  *string `json:"UserId,omitzero"`
	Account *string `json:"Account,omitzero"`
	Arn     *string `json:"Arn,omitzero"`
}

// describePolicyOutput keeps Content as the JSON string the API returns:
// unlike IAM documents, the CLI does not decode SCP content.
type describePolicyOutput struct {
	Policy *orgPolicy `json:"Policy,omitzero"`
}

type orgPolicy struct {
	PolicySummary *policySummary `json:"PolicySummary,omitzero"`
	Content       *string        `json:"Content,omitzero"`
}

type policySummary struct {
	Id          *string `json:"Id,omitzero"`
	Arn         *string `json:"Arn,omitzero"`
	Name        *string `json:"Name,omitzero"`
	Description *string `json:"Description,omitzero"`
	Type        string  `json:"Type,omitzero"`
	AwsManaged  bool    `json:"AwsManaged"`
}

type listTargetsOutput struct {
	Targets []policyTarget `json:"Targets"`
}

type policyTarget struct {
	TargetId *string `json:"TargetId,omitzero"`
	Arn      *string `json:"Arn,omitzero"`
	Name     *string `json:"Name,omitzero"`
	Type     string  `json:"Type,omitzero"`
}

type listAccountsOutput struct {
	Accounts []orgAccount `json:"Accounts"`
}

type orgAccount struct {
	Id              *string            `json:"Id,omitzero"`
	Arn             *string            `json:"Arn,omitzero"`
	Email           *string            `json:"Email,omitzero"`
	Name            *string            `json:"Name,omitzero"`
	Status          string             `json:"Status,omitzero"`
	State           string             `json:"State,omitzero"`
	Paths           []string           `json:"Paths,omitzero"`
	JoinedMethod    string             `json:"JoinedMethod,omitzero"`
	JoinedTimestamp *clijson.Timestamp `json:"JoinedTimestamp,omitzero"`
}

type listParentsOutput struct {
	Parents []orgParent `json:"Parents"`
}

type orgParent struct {
	Id   *string `json:"Id,omitzero"`
	Type string  `json:"Type,omitzero"`
}

func fromPolicy(p *orgtypes.Policy) describePolicyOutput {
	if p == nil {
		return describePolicyOutput{}
	}
	out := &orgPolicy{Content: p.Content}
	if s := p.PolicySummary; s != nil {
		out.PolicySummary = &policySummary{
			Id: s.Id, Arn: s.Arn, Name: s.Name, Description: s.Description,
			Type: string(s.Type), AwsManaged: s.AwsManaged,
		}
	}
	return describePolicyOutput{Policy: out}
}

func fromAccount(a orgtypes.Account) orgAccount {
	return orgAccount{
		Id: a.Id, Arn: a.Arn, Email: a.Email, Name: a.Name, Status: string(a.Status),
		JoinedMethod: string(a.JoinedMethod), JoinedTimestamp: ts(a.JoinedTimestamp),
		State: string(a.State), Paths: a.Paths,
	}
}
