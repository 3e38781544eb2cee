package inventory

import "time"

// KeyManager says who manages a key.
type KeyManager string

// Key managers as DescribeKey reports them.
const (
	ManagerAWS      KeyManager = "AWS"
	ManagerCustomer KeyManager = "CUSTOMER"
)

// KeyState is the DescribeKey KeyState.
type KeyState string

// Key states as DescribeKey reports them.
const (
	StateEnabled                KeyState = "Enabled"
	StateDisabled               KeyState = "Disabled"
	StatePendingDeletion        KeyState = "PendingDeletion"
	StatePendingReplicaDeletion KeyState = "PendingReplicaDeletion"
	StatePendingImport          KeyState = "PendingImport"
	StateUnavailable            KeyState = "Unavailable"
	StateCreating               KeyState = "Creating"
	StateUpdating               KeyState = "Updating"
)

// Origin is where a key's material comes from.
type Origin string

// Key material origins as DescribeKey reports them.
const (
	OriginAWSKMS           Origin = "AWS_KMS"
	OriginExternal         Origin = "EXTERNAL"
	OriginCloudHSM         Origin = "AWS_CLOUDHSM"
	OriginExternalKeyStore Origin = "EXTERNAL_KEY_STORE"
)

// Key specs and usages referred to by controls (others are kept verbatim).
const (
	KeySpecSymmetricDefault = "SYMMETRIC_DEFAULT"
	KeyUsageEncryptDecrypt  = "ENCRYPT_DECRYPT"
	KeyUsageSignVerify      = "SIGN_VERIFY"
	KeyUsageGenerateVerify  = "GENERATE_VERIFY_MAC"
	KeyUsageKeyAgreement    = "KEY_AGREEMENT"
)

// Multi-region key types.
const (
	MultiRegionPrimary = "PRIMARY"
	MultiRegionReplica = "REPLICA"
)

// Key is one KMS key. ARN, ID and Region are always set (from the snapshot
// path when DescribeKey failed); everything else is a fact.
type Key struct {
	ARN    string
	ID     string
	Region string

	Metadata Fact[KeyMetadata]       // kms describe-key
	Aliases  Fact[[]string]          // alias names from the region's list-aliases
	Tags     Fact[map[string]string] // kms list-resource-tags
	Grants   Fact[[]Grant]           // kms list-grants
	Rotation Fact[RotationStatus]    // kms get-key-rotation-status
	Policy   Fact[Document]          // kms get-key-policy --policy-name default
}

// KeyMetadata is DescribeKey's KeyMetadata. Optional API fields are pointers
// or empty strings: absent in the response means "does not apply" (e.g. no
// DeletionDate for a key that is not scheduled for deletion).
type KeyMetadata struct {
	AccountID         string
	Manager           KeyManager
	State             KeyState
	Origin            Origin
	KeySpec           string
	KeyUsage          string
	Enabled           bool
	Description       string
	CreationDate      time.Time
	DeletionDate      *time.Time
	PendingWindowDays *int // PendingDeletionWindowInDays
	ValidTo           *time.Time
	CustomKeyStoreID  string
	CloudHSMClusterID string
	XKSKeyID          string
	MultiRegion       bool
	MultiRegionConfig *MultiRegionConfig
}

// MultiRegionConfig is DescribeKey's MultiRegionConfiguration.
type MultiRegionConfig struct {
	Type          string // PRIMARY or REPLICA
	PrimaryARN    string
	PrimaryRegion string
	Replicas      []RegionalKey
}

// RegionalKey names a related multi-region key.
type RegionalKey struct {
	ARN    string
	Region string
}

// IsReplica reports whether the metadata describes a multi-region replica.
func (m KeyMetadata) IsReplica() bool {
	return m.MultiRegion && m.MultiRegionConfig != nil && m.MultiRegionConfig.Type == MultiRegionReplica
}

// IsPrimary reports whether the metadata describes a multi-region primary.
func (m KeyMetadata) IsPrimary() bool {
	return m.MultiRegion && m.MultiRegionConfig != nil && m.MultiRegionConfig.Type == MultiRegionPrimary
}

// Grant is one entry of kms list-grants.
type Grant struct {
	ID                string
	Name              string
	GranteePrincipal  string
	RetiringPrincipal string
	IssuingAccount    string
	Operations        []string
	Constraints       *GrantConstraints
	CreationDate      time.Time
}

// GrantConstraints are the encryption context constraints of a grant.
type GrantConstraints struct {
	EncryptionContextSubset map[string]string
	EncryptionContextEquals map[string]string
}

// RotationStatus is kms get-key-rotation-status.
type RotationStatus struct {
	Enabled bool
	// PeriodDays is RotationPeriodInDays; nil when the response did not carry
	// it (responses before configurable periods, when the period was 365).
	PeriodDays       *int
	NextRotationDate *time.Time
}
