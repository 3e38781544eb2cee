package remediate_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
	"github.com/kmsguard/kmsguard/internal/remediate"
	"github.com/kmsguard/kmsguard/internal/remediate/awskms"
)

const (
	acct   = "111122223333"
	region = "eu-west-1"
	root   = `{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`

	idDeleted  = "11111111-0000-4000-8000-000000000001"
	idDisabled = "11111111-0000-4000-8000-000000000002"
	idNoRot    = "11111111-0000-4000-8000-000000000003"
	idRotated  = "11111111-0000-4000-8000-000000000004"
	idPublic   = "11111111-0000-4000-8000-000000000005"
	idCross    = "11111111-0000-4000-8000-000000000006"
	idNoRoot   = "11111111-0000-4000-8000-000000000007"
	idOnlyOpen = "11111111-0000-4000-8000-000000000008"
	idProtect  = "11111111-0000-4000-8000-000000000009"
	idGrants   = "11111111-0000-4000-8000-00000000000a"
)

func arn(id string) string { return "arn:aws:kms:" + region + ":" + acct + ":key/" + id }

func policyOf(stmts ...string) string {
	s := `{"Version":"2012-10-17","Id":"test","Statement":[`
	for i, st := range stmts {
		if i > 0 {
			s += ","
		}
		s += st
	}
	return s + "]}"
}

var created = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func key(id, state, policy string) *awsfake.Key {
	return &awsfake.Key{ID: id, Manager: "CUSTOMER", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS",
		State: state, Created: created, Policy: policy}
}

// world is the fake account the remediation tests run against; every key
// has one problem.
func world() []*awsfake.Key {
	deleted := key(idDeleted, "PendingDeletion", policyOf(root))
	deleted.DeletionDate = created.AddDate(0, 0, 30)
	rotated := key(idRotated, "Enabled", policyOf(root))
	rotated.RotationEnabled, rotated.RotationPeriodDays = true, 90
	grants := key(idGrants, "Enabled", policyOf(root))
	grants.Grants = []awsfake.Grant{
		{ID: "g-create", Grantee: "arn:aws:iam::111122223333:role/App", Operations: []string{"Decrypt", "CreateGrant"}, Created: created},
		{ID: "g-service", Grantee: "arn:aws:sts::111122223333:assumed-role/aws:ec2-infrastructure/i-0abc", Operations: []string{"Decrypt"}, Created: created},
		{ID: "g-ok", Grantee: "arn:aws:iam::111122223333:role/Batch", Operations: []string{"Encrypt"}, Created: created},
		{ID: "g-foreign", Grantee: "arn:aws:iam::444455556666:role/Partner", Operations: []string{"Decrypt"}, Created: created},
	}
	return []*awsfake.Key{
		deleted,
		key(idDisabled, "Disabled", policyOf(root)),
		key(idNoRot, "Enabled", policyOf(root)),
		rotated,
		key(idPublic, "Enabled", policyOf(root,
			`{"Sid":"Public","Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}`,
			`{"Sid":"PinnedToAccount","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}`,
			`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}`)),
		key(idCross, "Enabled", policyOf(root,
			`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}`,
			`{"Sid":"Trusted","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:role/Reader"},"Action":"kms:Decrypt","Resource":"*"}`)),
		key(idNoRoot, "Enabled", policyOf(
			`{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}`)),
		key(idOnlyOpen, "Enabled", policyOf(
			`{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`)),
		key(idProtect, "Enabled", policyOf(root)),
		grants,
	}
}

type fake struct {
	srv  *awsfake.Server
	deny map[string]bool // "Operation key-id" -> AccessDenied; change only inside srv.Mutate
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{deny: map[string]bool{}}
	f.srv = awsfake.New(awsfake.Config{
		Accounts: []*awsfake.Account{{ID: acct, AccessKey: "AKIAREMEDIATE", UserARN: "arn:aws:iam::111122223333:user/ops",
			Regions: map[string]*awsfake.Region{region: {Keys: world()}}}},
		Deny: func(_, _, op, resource string) bool { return f.deny[op+" "+lastPart(resource)] },
	})
	t.Cleanup(f.srv.Close)
	return f
}

func lastPart(s string) string { return s[max(0, len(s)-36):] }

func (f *fake) clients(t *testing.T) remediate.Clients {
	t.Helper()
	c, err := awskms.NewClients(context.Background(), awskms.Options{MaxAttempts: 1, ConfigOptions: []func(*config.LoadOptions) error{
		config.WithBaseEndpoint(f.srv.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIAREMEDIATE", "fake-secret", "")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// key returns the fake's key by id (read it inside Mutate or after the
// calls are done).
func (f *fake) key(id string) *awsfake.Key {
	for _, k := range f.srv.Accounts()[0].Regions[region].Keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// writes returns the mutating KMS requests received, with their JSON
// parameters decoded.
func (f *fake) writes(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range f.srv.Requests() {
		if r.Service != "kms" || !slices.Contains([]string{"CancelKeyDeletion", "EnableKey", "EnableKeyRotation", "PutKeyPolicy", "RevokeGrant", "ScheduleKeyDeletion", "DisableKey"}, r.Operation) {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
			t.Fatalf("%s body %q: %v", r.Operation, r.Body, err)
		}
		m["_op"] = r.Operation
		out = append(out, m)
	}
	return out
}
