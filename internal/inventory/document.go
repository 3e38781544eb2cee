package inventory

import (
	"bytes"
	"errors"
	"strings"
)

// DocumentForm records how a policy document arrived, so that the policy
// engine knows how to decode Document.Text.
type DocumentForm string

// Document forms.
const (
	// FormJSON: the document is JSON text: either the AWS CLI printed it as
	// a JSON object (IAM documents) or as a string holding JSON (key policies,
	// SCP content).
	FormJSON DocumentForm = "json"
	// FormURLEncoded: the document is a URL-encoded JSON string, as the IAM
	// API and the SDKs return it. Text keeps the raw encoded string.
	FormURLEncoded DocumentForm = "url-encoded"
	// FormOther: a string that is neither; kept verbatim for the policy engine
	// to reject with its own error.
	FormOther DocumentForm = "other"
)

// Document is a policy document kept as text. kmsguard's inventory never
// interprets it; see package policy.
type Document struct {
	Text string
	Form DocumentForm
}

// documentFromJSON builds a Document from the raw JSON value the CLI printed
// for a policy field: an object (kept as its JSON text) or a string (JSON
// text or URL-encoded, kept raw).
func documentFromJSON(raw []byte, unquote func([]byte) (string, error)) (Document, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '{':
		return Document{Text: string(raw), Form: FormJSON}, nil
	case len(raw) == 0 || raw[0] != '"':
		return Document{}, errors.New("policy document is neither a JSON object nor a string")
	}
	s, err := unquote(raw)
	if err != nil {
		return Document{}, err
	}
	return DocumentFromString(s), nil
}

// DocumentFromString classifies a policy document given as a string.
func DocumentFromString(s string) Document {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "{"):
		return Document{Text: s, Form: FormJSON}
	case len(t) >= 3 && strings.EqualFold(t[:3], "%7B"):
		return Document{Text: s, Form: FormURLEncoded}
	default:
		return Document{Text: s, Form: FormOther}
	}
}
