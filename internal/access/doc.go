// Package access answers "who can perform this action on this KMS key?"
// following AWS's authorisation logic for KMS, and explains every answer.
//
// A principal can perform an action on a key when a path allows it and no
// explicit Deny applies:
//
//   - the key policy names the principal directly (its user or role ARN,
//     "*", or a NotPrincipal that leaves it out), or
//   - the key policy names the principal's account (its root ARN or account
//     id) and the principal's identity policies (inline, attached managed
//     default versions, and for a user the policies of its groups) allow
//     the action on the key's ARN, or
//   - a grant on the key names the principal as grantee and carries the
//     operation;
//
// and then a permissions boundary must allow it too (for a role always; for
// a user only on the identity-policy path, since a key policy naming the
// user's ARN is not limited by the boundary), every level of the
// organisation's SCPs must allow it, and no Deny in the key policy, an
// identity policy, the boundary or an applicable SCP applies.
//
// Conditions are never dropped. Condition keys whose value follows from the
// inventory (aws:PrincipalArn, aws:PrincipalAccount, kms:CallerAccount,
// aws:PrincipalType, aws:username, aws:PrincipalTag/*, aws:ResourceTag/*,
// kms:ResourceAliases) are decided with the policy engine's concrete
// Evaluate; every other condition stays on the path as "only if ...". See
// docs/access.md.
//
// Analysis parses every policy once and groups principals whose identity
// policies treat every key alike, so that an account with thousands of keys
// and roles is answered without testing every pair.
package access
