package guardrails

import (
	"fmt"
	"strconv"
)

// SCPMaxSize is the AWS Organizations quota for a service control policy, in
// characters. White space counts, so SCPs are written minified.
const SCPMaxSize = 5120

// DestructiveActions are the key-lifecycle permissions guardrails IAM-KMS-2,
// -3, -4, -5 and -7 reserve for authorised principals.
var DestructiveActions = []string{
	"kms:ScheduleKeyDeletion",
	"kms:DisableKey",
	"kms:PutKeyPolicy",
	"kms:DeleteImportedKeyMaterial",
	"kms:DisableKeyRotation",
}

// SCP is one generated service control policy.
type SCP struct {
	Name     string
	Document Document
}

// SCPs generates the service control policies for opts, split into as many
// policies as the size quota requires.
func SCPs(opts Options) ([]SCP, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	stmts := scpStatements(opts)
	docs, err := pack(stmts, SCPMaxSize)
	if err != nil {
		return nil, err
	}
	scps := make([]SCP, len(docs))
	for i, d := range docs {
		name := "kmsguard-protect-kms-keys"
		if len(docs) > 1 {
			name += "-" + strconv.Itoa(i+1)
		}
		scps[i] = SCP{Name: name, Document: d}
	}
	return scps, nil
}

// exceptAuthorised is the condition that exempts the break-glass principals.
// aws:PrincipalArn is the role ARN even for assumed-role sessions, which is
// why it, and not aws:userid or the session ARN, is the key to test.
func exceptAuthorised(opts Options) map[string]map[string]any {
	return map[string]map[string]any{
		"ArnNotLike": {"aws:PrincipalArn": opts.AuthorizedPrincipals},
	}
}

// scopes returns one (resource, extra condition) pair per way a key can be
// protected: listed by ARN, or carrying one of the protected tags. With
// neither, every key is protected.
func scopes(opts Options) []scope {
	if len(opts.ProtectedKeyARNs) == 0 && len(opts.ProtectedTags) == 0 {
		return []scope{{suffix: "", resource: "*"}}
	}
	var out []scope
	if len(opts.ProtectedKeyARNs) > 0 {
		out = append(out, scope{suffix: "ListedKeys", resource: opts.ProtectedKeyARNs})
	}
	for i, k := range sortedTagKeys(opts.ProtectedTags) {
		out = append(out, scope{
			suffix:   "TaggedKeys" + strconv.Itoa(i+1),
			resource: "*",
			cond:     map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + k: opts.ProtectedTags[k]}},
		})
	}
	return out
}

type scope struct {
	suffix   string
	resource any
	cond     map[string]map[string]any
}

func withCondition(base, extra map[string]map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(base)+len(extra))
	for op, kv := range base {
		out[op] = copyMap(kv)
	}
	for op, kv := range extra {
		if out[op] == nil {
			out[op] = map[string]any{}
		}
		for k, v := range kv {
			out[op][k] = v
		}
	}
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func scpStatements(opts Options) []Statement {
	var stmts []Statement
	for _, sc := range scopes(opts) {
		stmts = append(stmts, Statement{
			Sid:       "KmsGuardDenyKeyDestruction" + sc.suffix,
			Effect:    "Deny",
			Action:    DestructiveActions,
			Resource:  sc.resource,
			Condition: withCondition(exceptAuthorised(opts), sc.cond),
		})
	}
	for i, k := range sortedTagKeys(opts.ProtectedTags) {
		// Without this, removing or changing the tag would lift the
		// protection. Only keys that carry the tag are covered, so anyone
		// may still opt a key in.
		stmts = append(stmts, Statement{
			Sid:      "KmsGuardKeepProtectionTag" + strconv.Itoa(i+1),
			Effect:   "Deny",
			Action:   []string{"kms:TagResource", "kms:UntagResource"},
			Resource: "*",
			Condition: withCondition(exceptAuthorised(opts), map[string]map[string]any{
				"StringEquals":             {"aws:ResourceTag/" + k: opts.ProtectedTags[k]},
				"ForAnyValue:StringEquals": {"aws:TagKeys": []string{k}},
			}),
		})
	}
	if opts.MinPendingWindowDays > 0 {
		// Applies to the break-glass principals too: a deliberate deletion can
		// wait the minimum window; a hurried one is what this prevents.
		for _, sc := range scopes(opts) {
			stmts = append(stmts, Statement{
				Sid:      "KmsGuardMinimumPendingWindow" + sc.suffix,
				Effect:   "Deny",
				Action:   []string{"kms:ScheduleKeyDeletion"},
				Resource: sc.resource,
				Condition: withCondition(map[string]map[string]any{
					"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": strconv.Itoa(opts.MinPendingWindowDays)},
				}, sc.cond),
			})
		}
	}
	if opts.DenyForeignGrants {
		stmts = append(stmts, Statement{
			Sid:      "KmsGuardDenyForeignGrants",
			Effect:   "Deny",
			Action:   []string{"kms:CreateGrant"},
			Resource: "*",
			Condition: withCondition(exceptAuthorised(opts), map[string]map[string]any{
				"StringNotLike": {"kms:GranteePrincipal": trustedPrincipalPatterns(opts.TrustedAccounts)},
				"Bool":          {"kms:GrantIsForAWSResource": "false"},
			}),
		})
	}
	return stmts
}

func trustedPrincipalPatterns(accounts []string) []string {
	var out []string
	for _, a := range accounts {
		out = append(out, "arn:*:iam::"+a+":*", "arn:*:sts::"+a+":*")
	}
	return out
}

// pack fills policies with statements in order until the next one would
// exceed max, splitting a statement's resource list when it alone is too big.
func pack(stmts []Statement, maxSize int) ([]Document, error) {
	var docs []Document
	cur := Document{Version: policyVersion}
	for _, s := range stmts {
		pieces, err := fitStatement(s, maxSize)
		if err != nil {
			return nil, err
		}
		for _, p := range pieces {
			next := cur
			next.Statement = append(append([]Statement(nil), cur.Statement...), p)
			if next.Size() <= maxSize {
				cur = next
				continue
			}
			docs = append(docs, cur)
			cur = Document{Version: policyVersion, Statement: []Statement{p}}
		}
	}
	if len(cur.Statement) > 0 {
		docs = append(docs, cur)
	}
	return docs, nil
}

// fitStatement returns s, or s split by resource into pieces that each fit a
// policy of their own.
func fitStatement(s Statement, maxSize int) ([]Statement, error) {
	alone := Document{Version: policyVersion, Statement: []Statement{s}}
	if alone.Size() <= maxSize {
		return []Statement{s}, nil
	}
	resources, ok := s.Resource.([]string)
	if !ok || len(resources) < 2 {
		return nil, fmt.Errorf("statement %s is %d characters, over the %d-character SCP quota even on its own: shorten the authorised principal list (use wildcards)", s.Sid, alone.Size(), maxSize)
	}
	half := len(resources) / 2
	left, right := s, s
	left.Resource, right.Resource = resources[:half], resources[half:]
	left.Sid, right.Sid = s.Sid+"A", s.Sid+"B"
	a, err := fitStatement(left, maxSize)
	if err != nil {
		return nil, err
	}
	b, err := fitStatement(right, maxSize)
	if err != nil {
		return nil, err
	}
	return append(a, b...), nil
}
