package cloudtrail

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Typed accessors for the fields alerts need. All tolerate missing and null
// fields and return the zero value then.

// EventID returns eventID, the dedup key of a record.
func (r *Record) EventID() string { return r.String("eventID") }

// EventTime returns eventTime (RFC 3339, UTC), or the zero time when it is
// missing or malformed.
func (r *Record) EventTime() time.Time {
	t, err := time.Parse(time.RFC3339Nano, r.String("eventTime"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// EventSource returns eventSource, e.g. "kms.amazonaws.com".
func (r *Record) EventSource() string { return r.String("eventSource") }

// EventName returns eventName, e.g. "ScheduleKeyDeletion".
func (r *Record) EventName() string { return r.String("eventName") }

// EventType returns eventType, e.g. "AwsApiCall" or "AwsServiceEvent".
func (r *Record) EventType() string { return r.String("eventType") }

// AWSRegion returns awsRegion.
func (r *Record) AWSRegion() string { return r.String("awsRegion") }

// RecipientAccountID returns recipientAccountId, the account the event
// belongs to (falling back to userIdentity.accountId for old records).
func (r *Record) RecipientAccountID() string {
	if id := r.String("recipientAccountId"); id != "" {
		return id
	}
	return r.String("userIdentity.accountId")
}

// SourceIP returns sourceIPAddress: an IP address, or a service name such
// as "kms.amazonaws.com" or "AWS Internal".
func (r *Record) SourceIP() string { return r.String("sourceIPAddress") }

// UserAgent returns userAgent.
func (r *Record) UserAgent() string { return r.String("userAgent") }

// ErrorCode returns errorCode, e.g. "AccessDenied".
func (r *Record) ErrorCode() string { return r.String("errorCode") }

// ErrorMessage returns errorMessage.
func (r *Record) ErrorMessage() string { return r.String("errorMessage") }

// Outcome is "failure" when the record has an errorCode or errorMessage,
// else "success".
func (r *Record) Outcome() string {
	for _, f := range []string{"errorCode", "errorMessage"} {
		if v, ok := r.Field(f); ok && v != nil && v != "" {
			return "failure"
		}
	}
	return "success"
}

// MFAAuthenticated reports userIdentity.sessionContext.attributes.mfaAuthenticated,
// which CloudTrail writes as the string "true" or "false".
func (r *Record) MFAAuthenticated() bool {
	v, _ := r.Field("userIdentity.sessionContext.attributes.mfaAuthenticated")
	switch v := v.(type) {
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	case bool:
		return v
	}
	return false
}

// Int returns the integer at path, written as a JSON number or a numeric string.
func (r *Record) Int(path string) (int64, bool) {
	v, _ := r.Field(path)
	var s string
	switch v := v.(type) {
	case json.Number:
		s = string(v)
	case string:
		s = v
	case float64:
		return int64(v), v == float64(int64(v))
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// JSONString decodes the JSON document held as a string at path, such as
// PutKeyPolicy's requestParameters.policy. An object at path is returned
// as it is.
func (r *Record) JSONString(path string) (any, error) {
	v, ok := r.Field(path)
	if !ok || v == nil {
		return nil, fmt.Errorf("%s: missing", path)
	}
	s, isString := v.(string)
	if !isString {
		return v, nil
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not a JSON document: %w", path, err)
	}
	return doc, nil
}

// ResourceARNs returns resources[].ARN in order.
func (r *Record) ResourceARNs() []string {
	return r.resourceARNs("")
}

func (r *Record) resourceARNs(ofType string) []string {
	v, _ := r.Field("resources")
	list, _ := v.([]any)
	var arns []string
	for _, item := range list {
		res, _ := item.(map[string]any)
		arn, _ := res["ARN"].(string)
		typ, _ := res["type"].(string)
		if arn != "" && (ofType == "" || typ == ofType) {
			arns = append(arns, arn)
		}
	}
	return arns
}

// KeyARNs returns the KMS key ARNs the event is about: resources of type
// AWS::KMS::Key, then requestParameters.keyId and responseElements.keyId
// when they are key ARNs (not key IDs or aliases), without duplicates.
func (r *Record) KeyARNs() []string {
	arns := r.resourceARNs("AWS::KMS::Key")
	for _, p := range []string{"requestParameters.keyId", "responseElements.keyId"} {
		if id := r.String(p); isKeyARN(id) {
			arns = append(arns, id)
		}
	}
	seen := make(map[string]bool, len(arns))
	out := arns[:0]
	for _, a := range arns {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func isKeyARN(s string) bool {
	return strings.HasPrefix(s, "arn:") && strings.Contains(s, ":kms:") && strings.Contains(s, ":key/")
}

// RequestParameters returns requestParameters as decoded, or nil when it
// is missing, null or not an object (alerts carry it as is).
func (r *Record) RequestParameters() map[string]any {
	m, _ := r.Fields["requestParameters"].(map[string]any)
	return m
}

// ResponseElements returns responseElements as decoded, or nil.
func (r *Record) ResponseElements() map[string]any {
	m, _ := r.Fields["responseElements"].(map[string]any)
	return m
}
