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
// key-policy actions, the edits.
type Fix struct {
	Kind  Kind
	Edits []Edit
}

// ControlFixes is the one table from control id to remediation. A control
// not listed here is planned as a manual action with its remediation text.
// Update it when a control is added or renamed.
func ControlFixes() map[string]Fix {
	return map[string]Fix{
		"KMS.3":           {Kind: KindCancelDeletion},
		"KMS.4":           {Kind: KindEnableRotation},
		"KMS.5":           {Kind: KindKeyPolicy, Edits: []Edit{EditRemovePublic}},
		"KMSGUARD-XA-1":   {Kind: KindKeyPolicy, Edits: []Edit{EditRemoveCrossAccount}},
		"IAM-KMS-1":       {Kind: KindKeyPolicy, Edits: []Edit{EditAddRootAccess}},
		"KMSGUARD-LOCK-1": {Kind: KindKeyPolicy, Edits: []Edit{EditAddRootAccess}},
		"KMSGUARD-DP-1":   {Kind: KindKeyPolicy, Edits: []Edit{EditAddDeletionProtection}},
		"KMS.GRANT.1":     {Kind: KindRevokeGrants},
	}
}

// AlertRuleFixes maps detection rule ids (internal/detect/rules) to the
// action that undoes what the rule saw; it is consulted before AlertFixes.
// The live state is re-evaluated, so an action whose goal already holds
// (the policy was reverted, the grant retired) is reported as already done.
func AlertRuleFixes() map[string]Fix {
	return map[string]Fix{
		// AWS KMS Key Policy Opens the Key to Everyone or Another Account
		"66cbb2f4-017b-448d-bc7f-7e95fe7c8b80": {Kind: KindKeyPolicy, Edits: []Edit{EditRemovePublic, EditRemoveCrossAccount}},
		// AWS KMS Grant to Another Account or Passing On CreateGrant
		"0e20847c-10e1-44b5-b85e-c3edd800848e": {Kind: KindRevokeGrants},
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
