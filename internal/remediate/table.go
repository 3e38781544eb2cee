package remediate

// Kind is what an action does.
type Kind string

// Action kinds, in the order they run on one key: a key must be enabled
// before rotation can be turned on.
const (
	KindCancelDeletion Kind = "cancel-deletion" // CancelKeyDeletion, then EnableKey
	KindEnableKey      Kind = "enable-key"      // EnableKey
	KindKeyPolicy      Kind = "key-policy"      // GetKeyPolicy, edit, PutKeyPolicy
	KindEnableRotation Kind = "enable-rotation" // EnableKeyRotation with RotationPeriodInDays
	KindRevokeGrants   Kind = "revoke-grants"   // RevokeGrant per offending grant
	KindManual         Kind = "manual"          // no automatic fix: the control's remediation text
)

// Edit is one change to a key policy.
type Edit string

// Key policy edits.
const (
	EditAddRootAccess         Edit = "add-root-access"                 // guardrails.RootAccess
	EditAddDeletionProtection Edit = "add-deletion-protection"         // guardrails.DeletionProtection
	EditRemovePublic          Edit = "remove-public-statements"        // Allow statements open to any account
	EditRemoveCrossAccount    Edit = "remove-cross-account-statements" // Allow statements for untrusted accounts
)

// Fix is how one control's failure is remediated: an action kind and, for
// key-policy actions, the edit.
type Fix struct {
	Kind Kind
	Edit Edit
}

// ControlFixes is the one table from control id to remediation. A control
// not listed here is planned as a manual action with its remediation text.
// Update it when a control is added or renamed.
func ControlFixes() map[string]Fix {
	return map[string]Fix{
		"KMS.3":           {Kind: KindCancelDeletion},
		"KMS.4":           {Kind: KindEnableRotation},
		"KMS.5":           {Kind: KindKeyPolicy, Edit: EditRemovePublic},
		"KMSGUARD-XA-1":   {Kind: KindKeyPolicy, Edit: EditRemoveCrossAccount},
		"IAM-KMS-1":       {Kind: KindKeyPolicy, Edit: EditAddRootAccess},
		"KMSGUARD-LOCK-1": {Kind: KindKeyPolicy, Edit: EditAddRootAccess},
		"KMSGUARD-DP-1":   {Kind: KindKeyPolicy, Edit: EditAddDeletionProtection},
		"KMS.GRANT.1":     {Kind: KindRevokeGrants},
	}
}

// AlertFixes maps the CloudTrail event an alert is about to the action that
// undoes it. Alerts on other events are planned as manual actions.
func AlertFixes() map[string]Fix {
	return map[string]Fix{
		"DisableKey":          {Kind: KindEnableKey},
		"ScheduleKeyDeletion": {Kind: KindCancelDeletion},
		"DisableKeyRotation":  {Kind: KindEnableRotation},
	}
}

func kindRank(k Kind) int {
	switch k {
	case KindCancelDeletion:
		return 0
	case KindEnableKey:
		return 1
	case KindKeyPolicy:
		return 2
	case KindEnableRotation:
		return 3
	case KindRevokeGrants:
		return 4
	}
	return 5
}
