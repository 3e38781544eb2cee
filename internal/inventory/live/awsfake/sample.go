package awsfake

import "time"

// Sample account ids, access keys and resources of SampleOrganization.
const (
	SampleManagementID  = "111111111111"
	SampleMemberID      = "222222222222"
	SampleLockedID      = "333333333333"
	SampleManagementKey = "AKIAFAKEMGMT"
	SampleRole          = "kmsguard-audit"
	SampleExternalID    = "ext-123"
	// SampleDisabledRegion is an opt-in region the management account has
	// not enabled.
	SampleDisabledRegion = "ap-east-1"
	// SampleDeniedPolicyKey's GetKeyPolicy is denied (AccessDeniedException).
	SampleDeniedPolicyKey = "4444dddd-12ab-34cd-56ef-1234567890ab"
	// SampleImportedKey has imported key material: GetKeyRotationStatus
	// answers UnsupportedOperationException.
	SampleImportedKey = "3333cccc-12ab-34cd-56ef-1234567890ab"
	// SampleThrottledKey's DescribeKey is always throttled, so the
	// client's retries run out.
	SampleThrottledKey = "6666ffff-12ab-34cd-56ef-1234567890ab"
)

// SampleOrganization is a small organisation with keys of every kind and
// every kind of failure, for end-to-end tests of collect, load and scan:
// a management account (eu-west-1 and us-east-1, plus a disabled opt-in
// region) with a key open to "*", a cross-account grant, a key pending
// deletion, rotation off, an AWS managed key, HMAC and RSA keys; a member
// account reached with an external id; and an account whose role cannot be
// assumed. See the Sample* constants for the injected failures.
func SampleOrganization() Config {
	day1 := time.Date(2024, 3, 1, 10, 20, 30, 123000000, time.UTC)
	day2 := time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
	deletion := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	policy := func(account string) string {
		return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"}]}`
	}
	open := `{"Version":"2012-10-17","Statement":[{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	kmsAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`
	customer := func(id, desc, state string, created time.Time) *Key {
		return &Key{ID: id, Description: desc, Manager: "CUSTOMER", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT",
			Origin: "AWS_KMS", State: state, Created: created, Policy: policy(SampleManagementID)}
	}
	orders := customer("1234abcd-12ab-34cd-56ef-1234567890ab", "orders", "Enabled", day1)
	orders.RotationEnabled = true
	orders.Grants = []Grant{
		{ID: "g1", Grantee: "arn:aws:iam::111111111111:role/app", Operations: []string{"Decrypt"}, Created: day1},
		{ID: "g2", Name: "cross", Grantee: "arn:aws:iam::444444444444:root", Operations: []string{"Decrypt"}, Created: day2,
			EncryptionContextSubset: map[string]string{"team": "orders", "app": "checkout"}},
	}
	orders.Tags = []Tag{{Key: "owner", Value: "orders"}, {Key: "env", Value: "prod"}}
	managed := customer("2222bbbb-12ab-34cd-56ef-1234567890ab", "Default key that protects my S3 objects when no other key is defined", "Enabled", day2)
	managed.Manager, managed.RotationEnabled = "AWS", true
	managed.Grants = []Grant{{ID: "g3", Grantee: "s3.eu-west-1.amazonaws.com", Operations: []string{"Decrypt", "CreateGrant"}, Created: day2}}
	imported := customer(SampleImportedKey, "imported", "PendingDeletion", day1)
	imported.Origin, imported.DeletionDate = "EXTERNAL", deletion
	denied := customer(SampleDeniedPolicyKey, "", "Disabled", day2)
	denied.MultiRegion = true
	public := customer("7777aaaa-12ab-34cd-56ef-1234567890ab", "open to everyone", "Enabled", day1)
	public.Policy = open
	public.Grants = []Grant{{ID: "g4", Name: "delegate", Grantee: "arn:aws:iam::111111111111:role/app", Operations: []string{"Encrypt", "CreateGrant"}, Created: day1}}
	hmac := customer("8888bbbb-12ab-34cd-56ef-1234567890ab", "mac", "Enabled", day2)
	hmac.Spec, hmac.Usage = "HMAC_256", "GENERATE_VERIFY_MAC"

	mgmt := &Account{
		ID: SampleManagementID, AccessKey: SampleManagementKey, UserARN: "arn:aws:iam::111111111111:user/auditor",
		Name: "management", Management: true, Parent: "r-root", Role: SampleRole,
		Regions: map[string]*Region{
			"eu-west-1": {Keys: []*Key{orders, managed, imported, denied, public, hmac}, Aliases: []Alias{
				{Name: "alias/orders", TargetKeyID: orders.ID, Created: day1},
				{Name: "alias/aws/s3", TargetKeyID: managed.ID, Created: day2},
				{Name: "alias/unused", Created: day2},
			}},
			"us-east-1": {Keys: []*Key{{
				ID: "5555eeee-12ab-34cd-56ef-1234567890ab", Description: "signing", Manager: "CUSTOMER",
				Spec: "RSA_2048", Usage: "SIGN_VERIFY", Origin: "AWS_KMS", State: "Enabled", Created: day1, Policy: policy(SampleManagementID),
			}}},
		},
		DisabledRegions: []string{SampleDisabledRegion},
		IAM: IAM{
			Users:    []User{{Name: "alice", Created: day1, Inline: []InlinePolicy{{Name: "kms-all", Document: kmsAll}}}},
			Roles:    []Role{{Name: "app", Created: day1, Trust: trust, Attached: []string{"arn:aws:iam::111111111111:policy/kms-all"}}},
			Policies: []ManagedPolicy{{Name: "kms-all", Created: day1, Document: kmsAll}},
		},
	}
	throttled := customer(SampleThrottledKey, "workload", "Enabled", day2)
	throttled.Policy = policy(SampleMemberID)
	batch := customer("9999cccc-12ab-34cd-56ef-1234567890ab", "batch", "Enabled", day2)
	batch.Policy, batch.RotationEnabled = policy(SampleMemberID), true
	member := &Account{
		ID: SampleMemberID, AccessKey: "AKIAFAKEMEMBER", Name: "workloads", Parent: "ou-prod", Role: SampleRole, ExternalID: SampleExternalID,
		Regions: map[string]*Region{"eu-west-1": {Keys: []*Key{throttled, batch}}},
		IAM:     IAM{Roles: []Role{{Name: SampleRole, Created: day2, Trust: trust}}},
	}
	locked := &Account{ID: SampleLockedID, AccessKey: "AKIAFAKELOCKED", Name: "sandbox", Parent: "ou-prod"}
	return Config{
		Accounts: []*Account{mgmt, member, locked},
		Organization: &Organization{
			SCPs: []SCP{{ID: "p-deny1234", Name: "deny-kms-deletion", Description: "no key deletion",
				Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`, Targets: []string{"ou-prod"}}},
			Parents: map[string]string{"ou-prod": "r-root"},
		},
		PageSize: 2,
		Deny: func(_, _, op, resource string) bool {
			return op == "GetKeyPolicy" && resource == SampleDeniedPolicyKey
		},
		Throttle: func(_, _, op, resource string) bool {
			return op == "DescribeKey" && resource == SampleThrottledKey
		},
	}
}
