package guardrails

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// DeletionProtectionSid names the statement that gives a key deletion
// protection. KMS has no deletion-protection flag (despite what some vendor
// pages say); an explicit Deny in the key policy is the real thing: it binds
// every principal, including the account's administrators, and only the
// named break-glass principals escape it.
const DeletionProtectionSid = "KmsGuardDeletionProtection"

// RootAccessSid names the statement that keeps the account in control of a
// key (the key policy's default "Enable IAM User Permissions" statement).
const RootAccessSid = "EnableIAMUserPermissions"

// DeletionProtection returns the key-policy statement that denies deleting the
// key (and its imported material) to everyone but breakGlass. With
// lockPolicy it also denies replacing the key policy, which closes the gap of
// an administrator removing the protection first; the price is that only the
// break-glass principals can ever change the policy again.
func DeletionProtection(breakGlass []string, lockPolicy bool) (Statement, error) {
	if len(breakGlass) == 0 {
		return Statement{}, errors.New("deletion protection needs at least one break-glass principal ARN, or the key could never be deleted on purpose")
	}
	actions := []string{"kms:ScheduleKeyDeletion", "kms:DeleteImportedKeyMaterial"}
	if lockPolicy {
		actions = append(actions, "kms:PutKeyPolicy")
	}
	return Statement{
		Sid:       DeletionProtectionSid,
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    actions,
		Resource:  "*",
		Condition: map[string]map[string]any{"ArnNotLike": {"aws:PrincipalArn": breakGlass}},
	}, nil
}

// RootAccess returns the statement that lets the account (its root principal
// and, through IAM policies, its identities) manage and use the key: the
// lockout-prevention statement guardrail IAM-KMS-1 asks for.
func RootAccess(partition, account string) Statement {
	return Statement{
		Sid:       RootAccessSid,
		Effect:    "Allow",
		Principal: map[string]any{"AWS": "arn:" + partition + ":iam::" + account + ":root"},
		Action:    []string{"kms:*"},
		Resource:  "*",
	}
}

// KeyPolicy is a key policy being edited. Existing statements are kept byte
// for byte (re-indented only), so a reviewed diff shows exactly what changes.
type KeyPolicy struct {
	version    string
	id         string
	statements []json.RawMessage
}

// ParseKeyPolicy reads a key policy given as a JSON document or as the
// URL-encoded string some APIs return.
func ParseKeyPolicy(text string) (*KeyPolicy, error) {
	trimmed := strings.TrimSpace(text)
	if strings.HasPrefix(trimmed, "%7B") || strings.HasPrefix(trimmed, "%7b") {
		decoded, err := url.PathUnescape(trimmed)
		if err != nil {
			return nil, fmt.Errorf("key policy: url-decoding: %w", err)
		}
		trimmed = decoded
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(trimmed), &top); err != nil {
		return nil, fmt.Errorf("key policy: %w", err)
	}
	kp := &KeyPolicy{}
	for k, v := range top {
		var err error
		switch k {
		case "Version":
			err = json.Unmarshal(v, &kp.version)
		case "Id":
			err = json.Unmarshal(v, &kp.id)
		case "Statement":
			kp.statements, err = splitStatements(v)
		default:
			err = fmt.Errorf("unexpected top-level element %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("key policy: %s: %w", k, err)
		}
	}
	return kp, nil
}

func splitStatements(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		return []json.RawMessage{raw}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// Sids lists the statement ids in order ("" for statements without one).
func (kp *KeyPolicy) Sids() []string {
	out := make([]string, len(kp.statements))
	for i, s := range kp.statements {
		out[i] = sidOf(s)
	}
	return out
}

func sidOf(raw json.RawMessage) string {
	var s struct{ Sid string }
	_ = json.Unmarshal(raw, &s)
	return s.Sid
}

// Put adds st, replacing a statement with the same Sid; it reports whether
// the policy changed, so applying the same edit twice is a no-op.
func (kp *KeyPolicy) Put(st Statement) (changed bool, err error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return false, err
	}
	for i, existing := range kp.statements {
		if sidOf(existing) != st.Sid {
			continue
		}
		if equalJSON(existing, raw) {
			return false, nil
		}
		kp.statements[i] = raw
		return true, nil
	}
	kp.statements = append(kp.statements, raw)
	return true, nil
}

// Remove deletes the statements with the given Sid and reports how many.
func (kp *KeyPolicy) Remove(sid string) int {
	kept := kp.statements[:0]
	removed := 0
	for _, s := range kp.statements {
		if sid != "" && sidOf(s) == sid {
			removed++
			continue
		}
		kept = append(kept, s)
	}
	kp.statements = kept
	return removed
}

// RemoveAt deletes the statement at index i (for statements without a Sid).
func (kp *KeyPolicy) RemoveAt(i int) error {
	if i < 0 || i >= len(kp.statements) {
		return fmt.Errorf("statement index %d out of range (policy has %d)", i, len(kp.statements))
	}
	kp.statements = append(kp.statements[:i], kp.statements[i+1:]...)
	return nil
}

// Bytes renders the policy with two-space indentation.
func (kp *KeyPolicy) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	version := kp.version
	if version == "" {
		version = policyVersion
	}
	fmt.Fprintf(&b, "  \"Version\": %s,\n", mustJSON(version))
	if kp.id != "" {
		fmt.Fprintf(&b, "  \"Id\": %s,\n", mustJSON(kp.id))
	}
	b.WriteString("  \"Statement\": [")
	for i, s := range kp.statements {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    ")
		var ind bytes.Buffer
		if err := json.Indent(&ind, s, "    ", "  "); err != nil {
			ind.Write(s)
		}
		b.Write(ind.Bytes())
	}
	b.WriteString("\n  ]\n}\n")
	return b.Bytes()
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func equalJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
