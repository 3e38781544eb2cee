package remediate

import "context"

// KMS is what remediation needs from AWS KMS in one region: four reads to
// plan and re-check, five writes to act. key is always the key ARN.
type KMS interface {
	DescribeKey(ctx context.Context, key string) (KeyInfo, error)
	GetKeyPolicy(ctx context.Context, key string) (string, error)
	GetKeyRotationStatus(ctx context.Context, key string) (RotationInfo, error)
	ListGrants(ctx context.Context, key string) ([]GrantInfo, error)

	CancelKeyDeletion(ctx context.Context, key string) error
	EnableKey(ctx context.Context, key string) error
	EnableKeyRotation(ctx context.Context, key string, periodDays int) error
	// PutKeyPolicy replaces the "default" key policy. Implementations must
	// never set BypassPolicyLockoutSafetyCheck.
	PutKeyPolicy(ctx context.Context, key, policy string) error
	RevokeGrant(ctx context.Context, key, grantID string) error
}

// Clients returns the KMS client for a region.
type Clients func(ctx context.Context, region string) (KMS, error)

// KeyInfo is the part of DescribeKey remediation reads.
type KeyInfo struct {
	State   string // Enabled, Disabled, PendingDeletion, ...
	Manager string // CUSTOMER or AWS
	KeySpec string // SYMMETRIC_DEFAULT, RSA_2048, ...
	Origin  string // AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE
}

// RotationInfo is GetKeyRotationStatus.
type RotationInfo struct {
	Enabled    bool
	PeriodDays int // 0 when not reported
}

// GrantInfo is one grant of ListGrants.
type GrantInfo struct {
	ID         string
	Name       string
	Grantee    string
	Operations []string
}

// Key states remediation acts on.
const (
	stateEnabled                = "Enabled"
	stateDisabled               = "Disabled"
	statePendingDeletion        = "PendingDeletion"
	statePendingReplicaDeletion = "PendingReplicaDeletion"
)
