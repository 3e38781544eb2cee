package live

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

var (
	day1 = time.Date(2024, 3, 1, 10, 20, 30, 123000000, time.UTC)
	day2 = time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
)

const (
	keyPolicy   = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`
	trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	adminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"arn:aws:kms:*:111111111111:key/*","Condition":{"StringEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}]}`
	scpDenyKMS  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`
)

// fakeWorld is the fake AWS the collector tests run against: a management
// account with keys of every kind in two regions and a disabled opt-in
// region, a member account whose role can be assumed, and one whose role
// cannot. Pages hold two items, so keys, grants and IAM entities span pages.
func fakeWorld() awsfake.Config {
	mgmtKeys := []*awsfake.Key{
		{
			ID: "1234abcd-12ab-34cd-56ef-1234567890ab", Description: "orders <prod> & billing", Manager: "CUSTOMER",
			Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", State: "Enabled",
			Created: day1, Policy: keyPolicy, RotationEnabled: true,
			Grants: []awsfake.Grant{
				{ID: "g1", Name: "", Grantee: "arn:aws:iam::111111111111:role/app", Operations: []string{"Decrypt"}, Created: day1},
				{ID: "g2", Name: "batch", Grantee: "arn:aws:iam::111111111111:role/batch", Retiring: "arn:aws:iam::111111111111:role/ops", Operations: []string{"Encrypt", "GenerateDataKey"}, Created: day2, EncryptionContextSubset: map[string]string{"team": "orders", "app": "checkout"}},
				{ID: "g3", Name: "cross", Grantee: "arn:aws:iam::444444444444:root", Operations: []string{"Decrypt"}, Created: day2},
			},
			Tags: []awsfake.Tag{{Key: "owner", Value: "orders"}, {Key: "env", Value: "prod"}, {Key: "cost", Value: "42"}},
		},
		{
			ID: "2222bbbb-12ab-34cd-56ef-1234567890ab", Description: "Default key that protects my S3 objects when no other key is defined", Manager: "AWS",
			Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", State: "Enabled",
			Created: day2, Policy: keyPolicy, RotationEnabled: true,
		},
		{
			ID: "3333cccc-12ab-34cd-56ef-1234567890ab", Description: "imported", Manager: "CUSTOMER",
			Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "EXTERNAL", State: "PendingDeletion",
			Created: day1, DeletionDate: day2, Policy: keyPolicy,
		},
		{
			ID: "4444dddd-12ab-34cd-56ef-1234567890ab", Description: "", Manager: "CUSTOMER",
			Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", State: "Disabled",
			Created: day2, Policy: keyPolicy, MultiRegion: true,
		},
	}
	mgmt := &awsfake.Account{
		ID: "111111111111", AccessKey: "AKIAFAKEMGMT", UserARN: "arn:aws:iam::111111111111:user/auditor",
		Name: "management", Management: true, Parent: "r-root", Role: "kmsguard-audit",
		Regions: map[string]*awsfake.Region{
			"eu-west-1": {Keys: mgmtKeys, Aliases: []awsfake.Alias{
				{Name: "alias/orders", TargetKeyID: mgmtKeys[0].ID, Created: day1},
				{Name: "alias/aws/s3", TargetKeyID: mgmtKeys[1].ID, Created: day2},
				{Name: "alias/imported", TargetKeyID: mgmtKeys[2].ID, Created: day1},
			}},
			"us-east-1": {Keys: []*awsfake.Key{{
				ID: "5555eeee-12ab-34cd-56ef-1234567890ab", Description: "signing", Manager: "CUSTOMER",
				Spec: "RSA_2048", Usage: "SIGN_VERIFY", Origin: "AWS_KMS", State: "Enabled", Created: day1, Policy: keyPolicy,
			}}},
		},
		DisabledRegions: []string{"ap-east-1"},
		IAM: awsfake.IAM{
			Users: []awsfake.User{
				{Name: "alice", Created: day1, Groups: []string{"admins"}, Inline: []awsfake.InlinePolicy{{Name: "kms-use", Document: adminPolicy}}},
				{Name: "bob", Created: day2, Attached: []string{"arn:aws:iam::111111111111:policy/kms-admin"}},
			},
			Groups:   []awsfake.Group{{Name: "admins", Created: day1, Attached: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}}},
			Roles:    []awsfake.Role{{Name: "app", Created: day1, Trust: trustPolicy, Inline: []awsfake.InlinePolicy{{Name: "decrypt+encrypt", Document: adminPolicy}}}, {Name: "batch", Created: day2, Trust: trustPolicy}},
			Policies: []awsfake.ManagedPolicy{{Name: "kms-admin", Created: day1, Document: adminPolicy}},
		},
	}
	member := &awsfake.Account{
		ID: "222222222222", AccessKey: "AKIAFAKEMEMBER", Name: "workloads", Parent: "ou-prod", Role: "kmsguard-audit", ExternalID: "ext-123",
		Regions: map[string]*awsfake.Region{"eu-west-1": {Keys: []*awsfake.Key{{
			ID: "6666ffff-12ab-34cd-56ef-1234567890ab", Description: "workload", Manager: "CUSTOMER",
			Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", State: "Enabled", Created: day2, Policy: keyPolicy,
		}}}},
		IAM: awsfake.IAM{Roles: []awsfake.Role{{Name: "kmsguard-audit", Created: day2, Trust: trustPolicy}}},
	}
	locked := &awsfake.Account{ID: "333333333333", AccessKey: "AKIAFAKELOCKED", Name: "sandbox", Parent: "ou-prod"}
	return awsfake.Config{
		Accounts: []*awsfake.Account{mgmt, member, locked},
		Organization: &awsfake.Organization{
			SCPs:    []awsfake.SCP{{ID: "p-deny1234", Name: "deny-kms-deletion", Description: "no key deletion", Content: scpDenyKMS, Targets: []string{"ou-prod"}}},
			Parents: map[string]string{"ou-prod": "r-root"},
		},
		PageSize: 2,
		Deny: func(account, region, op, resource string) bool {
			return op == "GetKeyPolicy" && resource == "4444dddd-12ab-34cd-56ef-1234567890ab"
		},
	}
}

// fakeOptions points the real SDK at the fake with static credentials
// and no shared config files, so the developer's own AWS setup is ignored.
func fakeOptions(t testing.TB, srv *awsfake.Server, accessKey string) Options {
	t.Helper()
	return Options{
		Region: "eu-west-1",
		ConfigOptions: []func(*config.LoadOptions) error{
			config.WithBaseEndpoint(srv.URL),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, "fake-secret", "")),
			config.WithSharedConfigFiles([]string{}),
			config.WithSharedCredentialsFiles([]string{}),
		},
	}
}
