package awsfake

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
)

// TestKMSWriteOperations drives the mutating operations with the real SDK
// client: their state checks answer with KMS's error codes, their effects
// show in the read operations, and the request log keeps the parameters.
func TestKMSWriteOperations(t *testing.T) {
	keys := []*Key{
		{ID: "k-pending", Spec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS", Manager: "CUSTOMER", State: "PendingDeletion", Policy: "{}"},
		{ID: "k-enabled", Spec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS", Manager: "CUSTOMER", State: "Enabled", Policy: "{}",
			Grants: []Grant{{ID: "g1", Grantee: "arn:aws:iam::111111111111:role/a", Operations: []string{"Decrypt"}}}},
		{ID: "k-rsa", Spec: "RSA_2048", Origin: "AWS_KMS", Manager: "CUSTOMER", State: "Enabled", Policy: "{}"},
	}
	srv := New(Config{Accounts: []*Account{{ID: "111111111111", AccessKey: "AKIAONE", Regions: map[string]*Region{"eu-west-1": {Keys: keys}}}}})
	t.Cleanup(srv.Close)
	c := kms.NewFromConfig(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAONE", "secret", ""), Retryer: func() aws.Retryer { return aws.NopRetryer{} }})
	ctx := context.Background()
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		if err != nil {
			return err.Error()
		}
		return ""
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"enable a pending key", func() error {
			_, err := c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String("k-pending")})
			return err
		}, "KMSInvalidStateException"},
		{"cancel", func() error {
			_, err := c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: aws.String("k-pending")})
			return err
		}, ""},
		{"cancel again", func() error {
			_, err := c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: aws.String("k-pending")})
			return err
		}, "KMSInvalidStateException"},
		{"rotation on a disabled key", func() error {
			_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String("k-pending")})
			return err
		}, "KMSInvalidStateException"},
		{"enable", func() error {
			_, err := c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String("k-pending")})
			return err
		}, ""},
		{"rotation period too short", func() error {
			_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String("k-enabled"), RotationPeriodInDays: aws.Int32(30)})
			return err
		}, "ValidationException"},
		{"rotation on an asymmetric key", func() error {
			_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String("k-rsa")})
			return err
		}, "UnsupportedOperationException"},
		{"rotation", func() error {
			_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String("k-enabled"), RotationPeriodInDays: aws.Int32(200)})
			return err
		}, ""},
		{"policy not JSON", func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String("k-enabled"), Policy: aws.String("{")})
			return err
		}, "MalformedPolicyDocumentException"},
		{"policy", func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String("k-enabled"), PolicyName: aws.String("default"), Policy: aws.String(`{"Statement":[]}`)})
			return err
		}, ""},
		{"revoke unknown grant", func() error {
			_, err := c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: aws.String("k-enabled"), GrantId: aws.String("nope")})
			return err
		}, "NotFoundException"},
		{"revoke", func() error {
			_, err := c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: aws.String("k-enabled"), GrantId: aws.String("g1")})
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(tt.call()); got != tt.want {
				t.Errorf("error code %q, want %q", got, tt.want)
			}
		})
	}
	rot, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String("k-enabled")})
	if err != nil || !rot.KeyRotationEnabled || aws.ToInt32(rot.RotationPeriodInDays) != 200 {
		t.Errorf("rotation status = %+v, %v", rot, err)
	}
	pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("k-enabled")})
	if err != nil || aws.ToString(pol.Policy) != `{"Statement":[]}` {
		t.Errorf("policy = %v, %v", aws.ToString(pol.Policy), err)
	}
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("k-pending")})
	if err != nil || d.KeyMetadata.KeyState != "Enabled" || d.KeyMetadata.DeletionDate != nil {
		t.Errorf("key after cancel and enable = %+v, %v", d.KeyMetadata, err)
	}
	var rotationBody string
	for _, r := range srv.Requests() {
		if r.Operation == "EnableKeyRotation" && strings.Contains(r.Body, "k-enabled") && strings.Contains(r.Body, "200") {
			rotationBody = r.Body
		}
	}
	if !strings.Contains(rotationBody, `"RotationPeriodInDays":200`) {
		t.Errorf("request log lacks the rotation parameters: %q", rotationBody)
	}
}
