package access

import (
	"fmt"
	"math/bits"
	"strings"
)

// numKeyActions is how many KMS actions take a key as their resource.
const numKeyActions = 43

// keyActionNames is every KMS action that takes a key as its resource, in
// the order answers list them. An action set is a bitmask over this list,
// so one evaluation answers every action at once. (A function, not a
// variable: there are no mutable globals.)
func keyActionNames() [numKeyActions]string {
	return [numKeyActions]string{
		"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias",
		"kms:DeleteImportedKeyMaterial", "kms:DeriveSharedSecret", "kms:DescribeKey", "kms:DisableKey",
		"kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:Encrypt", "kms:GenerateDataKey",
		"kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext",
		"kms:GenerateMac", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:GetParametersForImport",
		"kms:GetPublicKey", "kms:ImportKeyMaterial", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations",
		"kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:ReplicateKey",
		"kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:Sign",
		"kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
		"kms:UpdatePrimaryRegion", "kms:Verify", "kms:VerifyMac",
	}
}

// ActionSet is a set of KMS key actions.
type ActionSet uint64

// KeyActions returns every KMS action whose resource is a key.
func KeyActions() []string { a := keyActionNames(); return a[:] }

// ParseAction normalises an action name ("kms:Decrypt", "Decrypt", any
// case) to its canonical form; it fails for an action that does not act on
// a KMS key.
func ParseAction(s string) (string, error) {
	name := s
	if p, rest, ok := strings.Cut(s, ":"); ok {
		if !strings.EqualFold(p, "kms") {
			return "", fmt.Errorf("action %q is not a KMS action", s)
		}
		name = rest
	}
	for _, a := range keyActionNames() {
		if strings.EqualFold(a[4:], name) {
			return a, nil
		}
	}
	return "", fmt.Errorf("action %q is not a KMS action on a key (see `kmsguard access --help`)", s)
}

func actionIndex(a string) int {
	for i, k := range keyActionNames() {
		if k == a {
			return i
		}
	}
	return -1
}

// Set returns the set holding the actions; unknown names are ignored.
func Set(actions ...string) ActionSet {
	var s ActionSet
	for _, a := range actions {
		if i := actionIndex(a); i >= 0 {
			s |= 1 << i
		}
	}
	return s
}

// Has reports whether the set holds the action.
func (s ActionSet) Has(action string) bool {
	i := actionIndex(action)
	return i >= 0 && s&(1<<i) != 0
}

// Actions lists the set in catalogue order.
func (s ActionSet) Actions() []string {
	out := make([]string, 0, bits.OnesCount64(uint64(s)))
	for i, a := range keyActionNames() {
		if s&(1<<i) != 0 {
			out = append(out, a)
		}
	}
	return out
}

// matching returns the actions a policy Action pattern covers.
func matching(patterns []string, not bool, match func(p, a string) bool) ActionSet {
	var s ActionSet
	for i, a := range keyActionNames() {
		in := false
		for _, p := range patterns {
			if match(p, a) {
				in = true
				break
			}
		}
		if in != not {
			s |= 1 << i
		}
	}
	return s
}

// AdministrativeActions are the key-management actions of the separation of
// duties control: Create*, Put*, Update*, Enable*, Disable*, Revoke*,
// Delete*, Schedule*, Cancel*, TagResource, UntagResource, ImportKeyMaterial.
func AdministrativeActions() ActionSet {
	var s ActionSet
	for i, a := range keyActionNames() {
		n := a[4:]
		for _, p := range []string{"Create", "Put", "Update", "Enable", "Disable", "Revoke", "Delete", "Schedule", "Cancel"} {
			if strings.HasPrefix(n, p) {
				s |= 1 << i
			}
		}
	}
	return s | Set("kms:TagResource", "kms:UntagResource", "kms:ImportKeyMaterial")
}

// CryptographicActions are the key-usage actions: Encrypt, Decrypt,
// ReEncrypt*, GenerateDataKey*, Sign, Verify, GenerateMac, VerifyMac,
// DeriveSharedSecret.
func CryptographicActions() ActionSet {
	var s ActionSet
	for i, a := range keyActionNames() {
		if strings.HasPrefix(a, "kms:ReEncrypt") || strings.HasPrefix(a, "kms:GenerateDataKey") {
			s |= 1 << i
		}
	}
	return s | Set("kms:Encrypt", "kms:Decrypt", "kms:Sign", "kms:Verify", "kms:GenerateMac", "kms:VerifyMac", "kms:DeriveSharedSecret")
}

// GrantOperations are the only operations a KMS grant can carry
// (CreateGrant's Operations parameter).
func GrantOperations() ActionSet {
	return Set("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
		"kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom",
		"kms:ReEncryptTo", "kms:Sign", "kms:Verify", "kms:GenerateMac", "kms:VerifyMac", "kms:DeriveSharedSecret",
		"kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey", "kms:GetPublicKey")
}

// DefaultActions are what `kmsguard access KEY` shows without --action: the
// destructive and administrative actions of the guardrails plus Encrypt and
// Decrypt.
func DefaultActions() []string {
	return []string{"kms:ScheduleKeyDeletion", "kms:DeleteImportedKeyMaterial", "kms:DisableKey", "kms:PutKeyPolicy",
		"kms:DisableKeyRotation", "kms:CreateGrant", "kms:Encrypt", "kms:Decrypt"}
}
