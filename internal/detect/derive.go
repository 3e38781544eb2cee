package detect

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// DerivedPrefix is the reserved top-level record key under which the
// Deriver writes computed fields. Rules address them as ordinary dotted
// fields, e.g. kmsguard.grant.crossAccount.
const DerivedPrefix = "kmsguard"

// PolicyAnalyzer judges a key policy document. The policy engine
// (internal/policy) implements it; it is wired into the engine by the
// commands once that package lands. public means the policy grants access
// to any principal without a limiting condition; crossAccount means it
// grants access to a principal outside ownerAccount.
type PolicyAnalyzer interface {
	Exposure(policyJSON string, ownerAccount string) (public bool, crossAccount bool, err error)
}

// Deriver computes facts that Sigma cannot express directly (comparing two
// fields, parsing an embedded document) and adds them to a record under
// DerivedPrefix before matching. It runs only for the events below, and only
// when some rule could match the event. The fields it may set:
//
//	kmsguard.grant.crossAccount         CreateGrant: the grantee or retiring principal
//	                                    is in an account other than recipientAccountId
//	kmsguard.grant.passesCreateGrant    CreateGrant: operations include CreateGrant
//	kmsguard.s3.foreignKmsKey           CopyObject, PutObject, CreateMultipartUpload: the
//	                                    x-amz-server-side-encryption-aws-kms-key-id is an
//	                                    ARN of an account other than the bucket owner
//	kmsguard.trail.excludesKms          PutEventSelectors, PutInsightSelectors: a selector
//	                                    excludes kms.amazonaws.com
//	kmsguard.deletion.pendingWindowInDays  ScheduleKeyDeletion: the waiting period as a
//	                                    number (30, the AWS default, when not given)
//	kmsguard.policy.bypassLockoutCheck  PutKeyPolicy: bypassPolicyLockoutSafetyCheck is true
//	kmsguard.policy.public              PutKeyPolicy, only with a PolicyAnalyzer
//	kmsguard.policy.crossAccount        PutKeyPolicy, only with a PolicyAnalyzer
//	kmsguard.policy.error               PutKeyPolicy: the analyzer's error, if any
//
// Booleans are JSON booleans and numbers json.Number, like decoded fields.
type Deriver struct {
	Policy PolicyAnalyzer
}

// Derive adds the derived fields for rec, whose eventName is name. Events
// the Deriver does not know are left untouched.
func (d Deriver) Derive(rec *cloudtrail.Record, name string) {
	var facts map[string]any
	switch name {
	case "CreateGrant":
		facts = deriveGrant(rec)
	case "CopyObject", "PutObject", "CreateMultipartUpload":
		facts = deriveS3(rec)
	case "PutEventSelectors", "PutInsightSelectors":
		facts = map[string]any{"trail": map[string]any{"excludesKms": excludesKms(rec.Fields["requestParameters"], 0)}}
	case "ScheduleKeyDeletion":
		facts = deriveDeletion(rec)
	case "PutKeyPolicy":
		facts = d.derivePolicy(rec)
	default:
		return
	}
	if rec.Fields == nil {
		rec.Fields = map[string]any{}
	}
	rec.Fields[DerivedPrefix] = facts
}

// accountOf returns the account of an ARN or a bare 12-digit account id;
// empty for service principals and anything else. It takes bytes too, so
// that the raw screen (rawscreen.go) asks it without copying.
func accountOf[T string | []byte](principal T) T {
	if len(principal) < 4 || string(principal[:4]) != "arn:" {
		if policy.IsAccountID(principal) {
			return principal
		}
		return principal[:0]
	}
	// arn:partition:service:region:account:resource: the account lies
	// between the fourth and the fifth colon, and the fifth must exist.
	colons, start := 0, 0
	for i := 0; i < len(principal); i++ {
		if principal[i] != ':' {
			continue
		}
		if colons++; colons == 4 {
			start = i + 1
		} else if colons == 5 {
			if acct := principal[start:i]; policy.IsAccountID(acct) {
				return acct
			}
			break
		}
	}
	return principal[:0]
}

func deriveGrant(rec *cloudtrail.Record) map[string]any {
	owner := rec.String("recipientAccountId")
	cross := false
	for _, p := range []string{"requestParameters.granteePrincipal", "requestParameters.retiringPrincipal"} {
		if acct := accountOf(rec.String(p)); acct != "" && owner != "" && acct != owner {
			cross = true
		}
	}
	passes := false
	if ops, ok := rec.Field("requestParameters.operations"); ok {
		if list, ok := ops.([]any); ok {
			for _, op := range list {
				if s, _ := op.(string); s == "CreateGrant" {
					passes = true
				}
			}
		}
	}
	return map[string]any{"grant": map[string]any{"crossAccount": cross, "passesCreateGrant": passes}}
}

func deriveS3(rec *cloudtrail.Record) map[string]any {
	key := rec.String("requestParameters.x-amz-server-side-encryption-aws-kms-key-id")
	owner := bucketOwner(rec)
	acct := accountOf(key)
	foreign := acct != "" && owner != "" && acct != owner
	return map[string]any{"s3": map[string]any{"foreignKmsKey": foreign}}
}

// bucketOwner is the accountId of the AWS::S3::Bucket resource when
// CloudTrail gives it, else the recipient account.
func bucketOwner(rec *cloudtrail.Record) string {
	if res, ok := rec.Fields["resources"].([]any); ok {
		for _, r := range res {
			m, _ := r.(map[string]any)
			if t, _ := m["type"].(string); t == "AWS::S3::Bucket" {
				if a, _ := m["accountId"].(string); policy.IsAccountID(a) {
					return a
				}
			}
		}
	}
	return rec.String("recipientAccountId")
}

// excludesKms walks trail selectors looking for an exclusion of KMS events:
// excludeManagementEventSources naming kms.amazonaws.com, or an advanced
// field selector on eventSource with notEquals kms.amazonaws.com.
func excludesKms(v any, depth int) bool {
	if depth > 32 {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		for k, el := range v {
			if strings.EqualFold(k, "excludeManagementEventSources") && listHas(el, "kms.amazonaws.com") {
				return true
			}
		}
		if f, _ := v["field"].(string); strings.EqualFold(f, "eventSource") {
			for k, el := range v {
				if strings.EqualFold(k, "notEquals") && listHas(el, "kms.amazonaws.com") {
					return true
				}
			}
		}
		for _, el := range v {
			if excludesKms(el, depth+1) {
				return true
			}
		}
	case []any:
		for _, el := range v {
			if excludesKms(el, depth+1) {
				return true
			}
		}
	}
	return false
}

func listHas(v any, want string) bool {
	switch v := v.(type) {
	case string:
		return strings.EqualFold(v, want)
	case []any:
		for _, el := range v {
			if s, _ := el.(string); strings.EqualFold(s, want) {
				return true
			}
		}
	}
	return false
}

// defaultPendingWindow is what KMS uses when PendingWindowInDays is absent.
const defaultPendingWindow = 30

func deriveDeletion(rec *cloudtrail.Record) map[string]any {
	days := json.Number(strconv.Itoa(defaultPendingWindow))
	if v, ok := rec.Field("requestParameters.pendingWindowInDays"); ok && v != nil {
		if f, ok := numberForm(v); ok {
			days = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
		}
	}
	return map[string]any{"deletion": map[string]any{"pendingWindowInDays": days}}
}

func (d Deriver) derivePolicy(rec *cloudtrail.Record) map[string]any {
	policy := map[string]any{"bypassLockoutCheck": false}
	if v, ok := rec.Field("requestParameters.bypassPolicyLockoutSafetyCheck"); ok {
		switch v := v.(type) {
		case bool:
			policy["bypassLockoutCheck"] = v
		case string:
			policy["bypassLockoutCheck"] = strings.EqualFold(v, "true")
		}
	}
	if d.Policy != nil {
		doc := policyText(rec)
		owner := rec.String("recipientAccountId")
		if doc != "" {
			public, cross, err := d.Policy.Exposure(doc, owner)
			if err != nil {
				policy["error"] = err.Error()
			} else {
				policy["public"], policy["crossAccount"] = public, cross
			}
		}
	}
	return map[string]any{"policy": policy}
}

// policyText returns requestParameters.policy as JSON text. CloudTrail
// records it as a string; a decoder that expanded it into an object is
// tolerated.
func policyText(rec *cloudtrail.Record) string {
	v, _ := rec.Field("requestParameters.policy")
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		b, err := json.Marshal(v)
		if err == nil {
			return string(b)
		}
	}
	return ""
}
