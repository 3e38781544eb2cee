package live

import (
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmsguard/kmsguard/internal/inventory/live/clijson"
)

// The types in this file mirror the KMS output shapes with their members in
// the service model's order (botocore kms/2014-11-01/service-2.json), which
// is the order the AWS CLI prints. Members the model added after that file
// was written (CurrentKeyMaterialId, EncapsulationAlgorithms, grant service
// principals, SourceArn) are appended at the end of their shape.
//
// Members use omitzero: an absent member (nil) is left out, while a list
// the service returned empty is kept and prints [] as in the CLI.

type describeKeyOutput struct {
	KeyMetadata *keyMetadata `json:"KeyMetadata,omitzero"`
}

type keyMetadata struct {
	AWSAccountId                *string                   `json:"AWSAccountId,omitzero"`
	KeyId                       *string                   `json:"KeyId,omitzero"`
	Arn                         *string                   `json:"Arn,omitzero"`
	CreationDate                *clijson.Timestamp        `json:"CreationDate,omitzero"`
	Enabled                     bool                      `json:"Enabled"`
	Description                 *string                   `json:"Description,omitzero"`
	KeyUsage                    string                    `json:"KeyUsage,omitzero"`
	KeyState                    string                    `json:"KeyState,omitzero"`
	DeletionDate                *clijson.Timestamp        `json:"DeletionDate,omitzero"`
	ValidTo                     *clijson.Timestamp        `json:"ValidTo,omitzero"`
	Origin                      string                    `json:"Origin,omitzero"`
	CustomKeyStoreId            *string                   `json:"CustomKeyStoreId,omitzero"`
	CloudHsmClusterId           *string                   `json:"CloudHsmClusterId,omitzero"`
	ExpirationModel             string                    `json:"ExpirationModel,omitzero"`
	KeyManager                  string                    `json:"KeyManager,omitzero"`
	CustomerMasterKeySpec       string                    `json:"CustomerMasterKeySpec,omitzero"`
	KeySpec                     string                    `json:"KeySpec,omitzero"`
	EncryptionAlgorithms        []string                  `json:"EncryptionAlgorithms,omitzero"`
	SigningAlgorithms           []string                  `json:"SigningAlgorithms,omitzero"`
	KeyAgreementAlgorithms      []string                  `json:"KeyAgreementAlgorithms,omitzero"`
	MultiRegion                 *bool                     `json:"MultiRegion,omitzero"`
	MultiRegionConfiguration    *multiRegionConfiguration `json:"MultiRegionConfiguration,omitzero"`
	PendingDeletionWindowInDays *int32                    `json:"PendingDeletionWindowInDays,omitzero"`
	MacAlgorithms               []string                  `json:"MacAlgorithms,omitzero"`
	XksKeyConfiguration         *xksKeyConfiguration      `json:"XksKeyConfiguration,omitzero"`
	CurrentKeyMaterialId        *string                   `json:"CurrentKeyMaterialId,omitzero"`
	EncapsulationAlgorithms     []string                  `json:"EncapsulationAlgorithms,omitzero"`
}

type multiRegionConfiguration struct {
	MultiRegionKeyType string           `json:"MultiRegionKeyType,omitzero"`
	PrimaryKey         *multiRegionKey  `json:"PrimaryKey,omitzero"`
	ReplicaKeys        []multiRegionKey `json:"ReplicaKeys,omitzero"`
}

type multiRegionKey struct {
	Arn    *string `json:"Arn,omitzero"`
	Region *string `json:"Region,omitzero"`
}

type xksKeyConfiguration struct {
	Id *string `json:"Id,omitzero"`
}

type getKeyPolicyOutput struct {
	Policy     *string `json:"Policy,omitzero"`
	PolicyName *string `json:"PolicyName,omitzero"`
}

type getKeyRotationStatusOutput struct {
	KeyRotationEnabled        bool               `json:"KeyRotationEnabled"`
	KeyId                     *string            `json:"KeyId,omitzero"`
	RotationPeriodInDays      *int32             `json:"RotationPeriodInDays,omitzero"`
	NextRotationDate          *clijson.Timestamp `json:"NextRotationDate,omitzero"`
	OnDemandRotationStartDate *clijson.Timestamp `json:"OnDemandRotationStartDate,omitzero"`
}

// listGrantsOutput is what the CLI prints after merging all pages: only the
// result key; NextMarker and Truncated are consumed by the paginator.
type listGrantsOutput struct {
	Grants []grantListEntry `json:"Grants"`
}

type grantListEntry struct {
	KeyId                    *string            `json:"KeyId,omitzero"`
	GrantId                  *string            `json:"GrantId,omitzero"`
	Name                     *string            `json:"Name,omitzero"`
	CreationDate             *clijson.Timestamp `json:"CreationDate,omitzero"`
	GranteePrincipal         *string            `json:"GranteePrincipal,omitzero"`
	RetiringPrincipal        *string            `json:"RetiringPrincipal,omitzero"`
	IssuingAccount           *string            `json:"IssuingAccount,omitzero"`
	Operations               []string           `json:"Operations,omitzero"`
	Constraints              *grantConstraints  `json:"Constraints,omitzero"`
	GranteeServicePrincipal  *string            `json:"GranteeServicePrincipal,omitzero"`
	RetiringServicePrincipal *string            `json:"RetiringServicePrincipal,omitzero"`
}

// grantConstraints keeps encryption-context maps as Go maps: the order of
// their keys carries no meaning and encoding/json writes them sorted.
type grantConstraints struct {
	EncryptionContextSubset map[string]string `json:"EncryptionContextSubset,omitzero"`
	EncryptionContextEquals map[string]string `json:"EncryptionContextEquals,omitzero"`
	SourceArn               *string           `json:"SourceArn,omitzero"`
}

type listAliasesOutput struct {
	Aliases []aliasListEntry `json:"Aliases"`
}

type aliasListEntry struct {
	AliasName       *string            `json:"AliasName,omitzero"`
	AliasArn        *string            `json:"AliasArn,omitzero"`
	TargetKeyId     *string            `json:"TargetKeyId,omitzero"`
	CreationDate    *clijson.Timestamp `json:"CreationDate,omitzero"`
	LastUpdatedDate *clijson.Timestamp `json:"LastUpdatedDate,omitzero"`
}

type listResourceTagsOutput struct {
	Tags []kmsTag `json:"Tags"`
}

type kmsTag struct {
	TagKey   *string `json:"TagKey,omitzero"`
	TagValue *string `json:"TagValue,omitzero"`
}

func strs[T ~string](in []T) []string {
	return convert(in, func(v T) string { return string(v) })
}

func fromDescribeKey(out *kms.DescribeKeyOutput) describeKeyOutput {
	m := out.KeyMetadata
	if m == nil {
		return describeKeyOutput{}
	}
	km := &keyMetadata{
		AWSAccountId: m.AWSAccountId, KeyId: m.KeyId, Arn: m.Arn,
		CreationDate: ts(m.CreationDate), Enabled: m.Enabled, Description: m.Description,
		KeyUsage: string(m.KeyUsage), KeyState: string(m.KeyState),
		DeletionDate: ts(m.DeletionDate), ValidTo: ts(m.ValidTo), Origin: string(m.Origin),
		CustomKeyStoreId: m.CustomKeyStoreId, CloudHsmClusterId: m.CloudHsmClusterId,
		ExpirationModel: string(m.ExpirationModel), KeyManager: string(m.KeyManager),
		// `aws kms describe-key` still prints the deprecated field, and a
		// snapshot is the AWS CLI's output, so collect writes it too.
		CustomerMasterKeySpec:  string(m.CustomerMasterKeySpec), //nolint:staticcheck // SA1019: kept for AWS CLI parity
		KeySpec:                string(m.KeySpec),
		EncryptionAlgorithms:   strs(m.EncryptionAlgorithms),
		SigningAlgorithms:      strs(m.SigningAlgorithms),
		KeyAgreementAlgorithms: strs(m.KeyAgreementAlgorithms),
		MultiRegion:            m.MultiRegion, PendingDeletionWindowInDays: m.PendingDeletionWindowInDays,
		MacAlgorithms: strs(m.MacAlgorithms), CurrentKeyMaterialId: m.CurrentKeyMaterialId,
		EncapsulationAlgorithms: strs(m.EncapsulationAlgorithms),
	}
	if c := m.MultiRegionConfiguration; c != nil {
		mc := &multiRegionConfiguration{MultiRegionKeyType: string(c.MultiRegionKeyType)}
		if c.PrimaryKey != nil {
			mc.PrimaryKey = &multiRegionKey{Arn: c.PrimaryKey.Arn, Region: c.PrimaryKey.Region}
		}
		mc.ReplicaKeys = convert(c.ReplicaKeys, func(r kmstypes.MultiRegionKey) multiRegionKey {
			return multiRegionKey{Arn: r.Arn, Region: r.Region}
		})
		km.MultiRegionConfiguration = mc
	}
	if x := m.XksKeyConfiguration; x != nil {
		km.XksKeyConfiguration = &xksKeyConfiguration{Id: x.Id}
	}
	return describeKeyOutput{KeyMetadata: km}
}

func fromGrant(g kmstypes.GrantListEntry) grantListEntry {
	e := grantListEntry{
		KeyId: g.KeyId, GrantId: g.GrantId, Name: g.Name, CreationDate: ts(g.CreationDate),
		GranteePrincipal: g.GranteePrincipal, RetiringPrincipal: g.RetiringPrincipal,
		IssuingAccount: g.IssuingAccount, Operations: strs(g.Operations),
		GranteeServicePrincipal: g.GranteeServicePrincipal, RetiringServicePrincipal: g.RetiringServicePrincipal,
	}
	if c := g.Constraints; c != nil {
		e.Constraints = &grantConstraints{
			EncryptionContextSubset: c.EncryptionContextSubset,
			EncryptionContextEquals: c.EncryptionContextEquals,
			SourceArn:               c.SourceArn,
		}
	}
	return e
}

func fromAlias(a kmstypes.AliasListEntry) aliasListEntry {
	return aliasListEntry{
		AliasName: a.AliasName, AliasArn: a.AliasArn, TargetKeyId: a.TargetKeyId,
		CreationDate: ts(a.CreationDate), LastUpdatedDate: ts(a.LastUpdatedDate),
	}
}
