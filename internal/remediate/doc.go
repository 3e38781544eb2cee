// Package remediate turns findings (from a scan report or a snapshot) and
// alerts into a reviewed plan of KMS API calls, and carries the plan out.
//
// Planning reads the live state of every key it touches (DescribeKey,
// GetKeyPolicy, GetKeyRotationStatus, ListGrants) and never trusts the report
// for what to change: a public statement to remove is found by re-evaluating
// the live key policy with the policy engine. Applying re-reads the state
// before every action, skips an action whose goal already holds, refuses a
// policy write when the policy changed since the plan was made or when the
// new policy would leave no principal able to manage the key, and never sets
// BypassPolicyLockoutSafetyCheck.
//
// The package reaches AWS only through the small KMS interface; the SDK
// adapter lives in package awskms, so planning and applying are tested both
// with the real SDK against a local endpoint and without HTTP.
package remediate
