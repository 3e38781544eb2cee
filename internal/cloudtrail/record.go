// Package cloudtrail models CloudTrail records and decodes them from every
// delivery format (S3 log files, NDJSON, EventBridge, CloudWatch Logs
// subscriptions, lookup-events output).
package cloudtrail

import "strings"

// Record is one CloudTrail event. Fields holds the record as decoded JSON
// (objects are map[string]any, arrays []any, numbers json.Number, plus
// string, bool and nil), so that rules can address any field by CloudTrail's
// own name. Records are irregular; typed accessors tolerate missing and null
// fields.
type Record struct {
	Fields map[string]any
}

// Field returns the value at a dotted path such as "userIdentity.type" or
// "requestParameters.pendingWindowInDays". ok is false when any step of the
// path is missing; a present JSON null returns (nil, true).
func (r *Record) Field(path string) (value any, ok bool) {
	var cur any = r.Fields
	for path != "" {
		obj, isObj := cur.(map[string]any)
		if !isObj {
			return nil, false
		}
		step, rest, _ := strings.Cut(path, ".")
		cur, ok = obj[step]
		if !ok {
			return nil, false
		}
		path = rest
	}
	return cur, true
}

// String returns the string at path, or "" when it is missing, null or not a
// string.
func (r *Record) String(path string) string {
	v, _ := r.Field(path)
	s, _ := v.(string)
	return s
}
