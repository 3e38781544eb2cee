package guardrails

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Document is an IAM policy document (SCP or key policy) as we generate it.
// Field order is the order AWS's own examples use, so diffs read naturally.
type Document struct {
	Version   string      `json:"Version"`
	ID        string      `json:"Id,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Statement is one generated policy statement. Condition maps an operator to
// condition keys and their values; encoding/json sorts map keys, which keeps
// the output stable.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  any                       `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

const policyVersion = "2012-10-17"

// Minified returns the document without insignificant white space: the form
// whose length counts against the SCP size quota.
func (d Document) Minified() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep '&', '<', '>' literal as AWS stores them
	if err := enc.Encode(d); err != nil {
		panic(err) // only strings, slices and maps of strings: cannot fail
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// Pretty returns the document indented for people to review.
func (d Document) Pretty() []byte {
	var out bytes.Buffer
	_ = json.Indent(&out, d.Minified(), "", "  ")
	return out.Bytes()
}

// Size is the document's length in characters when minified.
func (d Document) Size() int { return utf8.RuneCount(d.Minified()) }
