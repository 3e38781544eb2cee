// Package clijson writes JSON the way the AWS CLI v2 prints it with
// --output json: 4-space indentation, members in the order of the Go
// struct (mirroring the service model), timestamps as Python's
// datetime.isoformat, and IAM policy documents decoded into objects.
package clijson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Timestamp marshals a time the way the AWS CLI v2 prints it with its
// default cli_timestamp_format=iso8601: the CLI runs botocore's
// parse_timestamp(value).isoformat(), that is Python's datetime.isoformat.
// So the fraction has six digits (microseconds) and is left out entirely
// when it is zero, and the offset is written "+00:00". The CLI uses the
// machine's local zone; kmsguard always writes UTC so that snapshots do
// not depend on where they were taken (equal to running the CLI with TZ=UTC).
type Timestamp time.Time

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + FormatTimestamp(time.Time(t)) + `"`), nil
}

// FormatTimestamp formats t like the AWS CLI v2 (see Timestamp).
func FormatTimestamp(t time.Time) string {
	u := t.UTC().Round(time.Microsecond)
	s := u.Format("2006-01-02T15:04:05")
	if us := u.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + "+00:00"
}

// PolicyDocument is an IAM policy document as the AWS CLI prints it. IAM
// returns documents URL-encoded; botocore URL-decodes them and parses the
// JSON keeping key order (json_decode_policies), so the CLI prints an
// object. A document that is not valid JSON after decoding stays a string
// rather than being dropped.
type PolicyDocument struct {
	raw json.RawMessage
}

// DecodePolicyDocument turns an URL-encoded IAM document into its CLI form.
func DecodePolicyDocument(encoded *string) *PolicyDocument {
	if encoded == nil {
		return nil
	}
	text, err := url.PathUnescape(*encoded) // Python unquote: "+" stays "+"
	if err != nil {
		text = *encoded
	}
	if json.Valid([]byte(text)) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(text)); err == nil && bytes.HasPrefix(buf.Bytes(), []byte("{")) {
			return &PolicyDocument{raw: buf.Bytes()}
		}
	}
	quoted, _ := json.Marshal(text)
	return &PolicyDocument{raw: quoted}
}

// MarshalJSON implements json.Marshaler.
func (p PolicyDocument) MarshalJSON() ([]byte, error) { return p.raw, nil }

// Marshal encodes v as the AWS CLI prints JSON output: four-space
// indentation, members in the order of the Go struct (which mirrors the
// service model's member order), no HTML escaping, and a final newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
