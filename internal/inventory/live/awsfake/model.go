package awsfake

import "time"

// Account is one fake AWS account. Requests are routed to it by the access
// key id of their SigV4 signature: AccessKey for its long-term key, or the
// key AssumeRole issued for it.
type Account struct {
	ID        string
	AccessKey string
	// UserARN is what GetCallerIdentity returns for AccessKey.
	UserARN string
	// Regions holds the KMS data per region. A region listed in
	// DisabledRegions answers every request like an opt-in region that is
	// not enabled.
	Regions         map[string]*Region
	DisabledRegions []string
	// Role is the role name that can be assumed in this account; empty
	// means no role can be assumed. ExternalID, when set, must match.
	Role       string
	ExternalID string
	// Management accounts may read Organizations; others get AccessDenied.
	Management bool
	// Parent is the id of the OU or root that directly contains the account.
	Parent string
	Name   string

	IAM IAM
}

// Region is the KMS state of one account and region.
type Region struct {
	Keys    []*Key
	Aliases []Alias
}

// Key is a KMS key.
type Key struct {
	ID               string
	Description      string
	Manager          string // CUSTOMER or AWS
	Spec             string // SYMMETRIC_DEFAULT, RSA_2048, HMAC_256, ...
	Usage            string // ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC
	Origin           string // AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE
	CustomKeyStoreID string
	State            string // Enabled, Disabled, PendingDeletion, ...
	Created          time.Time
	DeletionDate     time.Time // zero unless PendingDeletion
	MultiRegion      bool
	Policy           string
	RotationEnabled  bool
	// RotationPeriodDays is the rotation period GetKeyRotationStatus
	// reports for a key with rotation enabled; 0 means 365.
	RotationPeriodDays int
	Grants             []Grant
	Tags               []Tag
}

// Grant is a KMS grant.
type Grant struct {
	ID, Name                string
	Grantee, Retiring       string
	Operations              []string
	Created                 time.Time
	EncryptionContextSubset map[string]string
	EncryptionContextEquals map[string]string
}

// Tag is a KMS resource tag.
type Tag struct{ Key, Value string }

// Alias is a KMS alias.
type Alias struct {
	Name        string
	TargetKeyID string
	Created     time.Time
}

// IAM is the account's IAM state, returned by GetAccountAuthorizationDetails.
type IAM struct {
	Users    []User
	Groups   []Group
	Roles    []Role
	Policies []ManagedPolicy
}

// InlinePolicy is a policy embedded in a user, group or role. Document is
// plain JSON; the fake URL-encodes it on the wire as IAM does.
type InlinePolicy struct{ Name, Document string }

// User is an IAM user.
type User struct {
	Name     string
	Created  time.Time
	Groups   []string
	Inline   []InlinePolicy
	Attached []string // managed policy ARNs
}

// Group is an IAM group.
type Group struct {
	Name     string
	Created  time.Time
	Inline   []InlinePolicy
	Attached []string
}

// Role is an IAM role.
type Role struct {
	Name     string
	Created  time.Time
	Trust    string
	Inline   []InlinePolicy
	Attached []string
}

// ManagedPolicy is a customer managed policy with one version.
type ManagedPolicy struct {
	Name     string
	Created  time.Time
	Document string
}

// Organization is the AWS Organizations state, readable by management
// accounts.
type Organization struct {
	SCPs []SCP
	// Parents maps an OU id to the id of its parent (another OU or the root).
	Parents map[string]string
}

// SCP is a service control policy and the roots, OUs or accounts it is
// attached to.
type SCP struct {
	ID, Name, Description, Content string
	AWSManaged                     bool
	Targets                        []string
}
