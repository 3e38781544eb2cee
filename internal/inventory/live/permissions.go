package live

import (
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory/live/clijson"
)

// accountActions are the IAM actions reading one account needs. With
// organizationActions and sts:AssumeRole they match the methods of the
// client interfaces in clients.go one to one (readonly_test.go checks it).
// sts:GetCallerIdentity needs no permission and is not listed.
func accountActions() []string {
	return []string{
		"ec2:DescribeRegions",
		"iam:GetAccountAuthorizationDetails",
		"kms:DescribeKey",
		"kms:GetKeyPolicy",
		"kms:GetKeyRotationStatus",
		"kms:ListAliases",
		"kms:ListGrants",
		"kms:ListKeys",
		"kms:ListResourceTags",
	}
}

// organizationActions are what organisation mode adds on the management
// account, besides sts:AssumeRole.
func organizationActions() []string {
	return []string{
		"organizations:DescribePolicy",
		"organizations:ListAccounts",
		"organizations:ListParents",
		"organizations:ListPolicies",
		"organizations:ListTargetsForPolicy",
	}
}

// iamPolicy is an IAM policy document in the order people write them.
type iamPolicy struct {
	Version   string         `json:"Version"`
	Statement []iamStatement `json:"Statement"`
}

type iamStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// PermissionsPolicy returns the minimal IAM policy the collector needs, as
// indented JSON. Every account read needs the first statement (in
// organisation mode, attach it to the role assumed in each account). org
// adds what the management account's credentials need: reading the
// organisation and assuming role (a role name; empty means any role).
func PermissionsPolicy(org bool, role string) ([]byte, error) {
	p := iamPolicy{Version: "2012-10-17", Statement: []iamStatement{{
		Sid: "KmsguardReadKeysAndIdentities", Effect: "Allow", Action: accountActions(), Resource: "*",
	}}}
	if org {
		if role == "" {
			role = "*"
		}
		p.Statement = append(p.Statement,
			iamStatement{Sid: "KmsguardReadOrganization", Effect: "Allow", Action: organizationActions(), Resource: "*"},
			iamStatement{Sid: "KmsguardAssumeAuditRole", Effect: "Allow", Action: []string{"sts:AssumeRole"},
				Resource: "arn:aws:iam::*:role/" + strings.Trim(role, "/")},
		)
	}
	return clijson.Marshal(p)
}
