package live

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/inventory/live/clijson"
)

// TestMarshalCLIDescribeKey compares with output written by hand in the
// AWS CLI v2's format: members in model order, 4-space indent, timestamps
// with microseconds, absent members left out, and no HTML escaping.
func TestMarshalCLIDescribeKey(t *testing.T) {
	created := time.Date(2024, 3, 1, 10, 20, 30, 123000000, time.UTC)
	deletion := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	out := &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{
		KeyId: aws.String("k1"), AWSAccountId: aws.String("111111111111"), Arn: aws.String("arn:aws:kms:eu-west-1:111111111111:key/k1"),
		CreationDate: &created, DeletionDate: &deletion, Enabled: false, Description: aws.String("a <b> & c"),
		KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt, KeyState: kmstypes.KeyStatePendingDeletion,
		Origin: kmstypes.OriginTypeExternal, ExpirationModel: kmstypes.ExpirationModelTypeKeyMaterialDoesNotExpire,
		KeyManager: kmstypes.KeyManagerTypeCustomer,
		// The deprecated field AWS still returns: the snapshot must keep it like the AWS CLI does.
		CustomerMasterKeySpec: kmstypes.CustomerMasterKeySpecSymmetricDefault, //nolint:staticcheck // SA1019: AWS CLI parity is under test

		KeySpec: kmstypes.KeySpecSymmetricDefault, EncryptionAlgorithms: []kmstypes.EncryptionAlgorithmSpec{kmstypes.EncryptionAlgorithmSpecSymmetricDefault},
		MultiRegion: aws.Bool(false),
	}}
	want := `{
    "KeyMetadata": {
        "AWSAccountId": "111111111111",
        "KeyId": "k1",
        "Arn": "arn:aws:kms:eu-west-1:111111111111:key/k1",
        "CreationDate": "2024-03-01T10:20:30.123000+00:00",
        "Enabled": false,
        "Description": "a <b> & c",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "PendingDeletion",
        "DeletionDate": "2024-04-01T00:00:00+00:00",
        "Origin": "EXTERNAL",
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": [
            "SYMMETRIC_DEFAULT"
        ],
        "MultiRegion": false
    }
}
`
	got, err := clijson.Marshal(fromDescribeKey(out))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("describe-key output (-want +got):\n%s", diff)
	}
}
