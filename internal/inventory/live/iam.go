package live

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// collectIdentity writes account.json (sts get-caller-identity) and
// returns the output, or nil when the call failed.
func collectIdentity(ctx context.Context, client stsAPI, sc scope) (*sts.GetCallerIdentityOutput, error) {
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, failUnlessCanceled(ctx, sc, "account", err)
	}
	sc.write("account", callerIdentity{UserId: out.UserId, Account: out.Account, Arn: out.Arn})
	return out, nil
}

// collectAuthorizationDetails writes iam/account-authorization-details.json
// with all pages merged, as `aws iam get-account-authorization-details`
// prints them. A failure on any page records the error instead of a
// document that would silently miss entities.
func collectAuthorizationDetails(ctx context.Context, client iamAPI, sc scope) error {
	const name = "iam/account-authorization-details"
	out := authorizationDetails{
		UserDetailList: []userDetail{}, GroupDetailList: []groupDetail{},
		RoleDetailList: []roleDetail{}, Policies: []managedPolicyDetail{},
	}
	pages := iam.NewGetAccountAuthorizationDetailsPaginator(client, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1000)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return failUnlessCanceled(ctx, sc, name, err)
		}
		for _, u := range page.UserDetailList {
			out.UserDetailList = append(out.UserDetailList, fromUser(u))
		}
		for _, g := range page.GroupDetailList {
			out.GroupDetailList = append(out.GroupDetailList, fromGroup(g))
		}
		for _, r := range page.RoleDetailList {
			out.RoleDetailList = append(out.RoleDetailList, fromRoleDetail(r))
		}
		for _, p := range page.Policies {
			out.Policies = append(out.Policies, fromManagedPolicy(p))
		}
	}
	sc.write(name, out)
	return nil
}
