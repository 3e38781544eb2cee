package live

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// collectSCPs writes organizations/policies/<id>.json and
// organizations/targets/<id>.json for every service control policy, and
// organizations/parents/<id>.json along the OU path of each account.
// Credentials that may not read Organizations leave a note, not a failure:
// the SCP part of a snapshot is optional.
func collectSCPs(ctx context.Context, client orgAPI, sc scope, accounts []string) error {
	var ids []string
	pages := organizations.NewListPoliciesPaginator(client, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if isSoftOrgError(err) {
				sc.note("organizations/policies", err)
			} else {
				sc.fail("organizations/policies", err)
			}
			return nil
		}
		for _, p := range page.Policies {
			if id := aws.ToString(p.Id); safeName(id) {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		if err := collectPolicy(ctx, client, sc, id); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, account := range accounts {
		if err := collectParents(ctx, client, sc, account, seen); err != nil {
			return err
		}
	}
	return nil
}

func collectPolicy(ctx context.Context, client orgAPI, sc scope, id string) error {
	desc, err := client.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	if err != nil {
		if err := failUnlessCanceled(ctx, sc, "organizations/policies/"+id, err); err != nil {
			return err
		}
	} else {
		sc.write("organizations/policies/"+id, fromPolicy(desc.Policy))
	}
	out := listTargetsOutput{Targets: []policyTarget{}}
	pages := organizations.NewListTargetsForPolicyPaginator(client, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(id)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return failUnlessCanceled(ctx, sc, "organizations/targets/"+id, err)
		}
		for _, t := range page.Targets {
			out.Targets = append(out.Targets, policyTarget{TargetId: t.TargetId, Arn: t.Arn, Name: t.Name, Type: string(t.Type)})
		}
	}
	sc.write("organizations/targets/"+id, out)
	return nil
}

// collectParents walks from a child (account or OU) up to the root,
// writing list-parents output for each step once.
func collectParents(ctx context.Context, client orgAPI, sc scope, child string, seen map[string]bool) error {
	for depth := 0; child != "" && !seen[child] && depth < 10; depth++ {
		seen[child] = true
		name := "organizations/parents/" + child
		out := listParentsOutput{Parents: []orgParent{}}
		next := ""
		pages := organizations.NewListParentsPaginator(client, &organizations.ListParentsInput{ChildId: aws.String(child)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return failUnlessCanceled(ctx, sc, name, err)
			}
			for _, p := range page.Parents {
				out.Parents = append(out.Parents, orgParent{Id: p.Id, Type: string(p.Type)})
				if p.Type == orgtypes.ParentTypeOrganizationalUnit && safeName(aws.ToString(p.Id)) {
					next = aws.ToString(p.Id)
				}
			}
		}
		sc.write(name, out)
		child = next
	}
	return nil
}

// listAccounts writes organizations/accounts.json and returns the ids of
// the ACTIVE accounts.
func listAccounts(ctx context.Context, client orgAPI, sc scope) ([]string, error) {
	out := listAccountsOutput{Accounts: []orgAccount{}}
	var active []string
	pages := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			sc.fail("organizations/accounts", err)
			return nil, fmt.Errorf("list organisation accounts: %w", err)
		}
		for _, a := range page.Accounts {
			out.Accounts = append(out.Accounts, fromAccount(a))
			if (a.Status == orgtypes.AccountStatusActive || a.State == orgtypes.AccountStateActive) && policy.IsAccountID(aws.ToString(a.Id)) {
				active = append(active, aws.ToString(a.Id))
			}
		}
	}
	sc.write("organizations/accounts", out)
	return active, nil
}

// safeName reports whether an id returned by AWS can name a snapshot file.
func safeName(id string) bool {
	return id != "" && fs.ValidPath(id) && !strings.ContainsAny(id, `/\`)
}
