package inventory

import (
	"encoding/json"
	"fmt"
)

// Codes used in ReadError.Code for failures that did not come from AWS.
const (
	// CodeNotCollected: the snapshot has no file (and no .error.json) for the call.
	CodeNotCollected = "NotCollected"
	// CodeParseError: the file exists but is not the JSON shape the AWS CLI prints.
	CodeParseError = "ParseError"
	// CodeIncomplete: the response was read but lacks a field the fact needs.
	CodeIncomplete = "Incomplete"
)

// ReadError says why a fact could not be read: which API call (or snapshot
// file) should have provided it and what went wrong. Code is the AWS error code
// (e.g. AccessDeniedException) from an .error.json file, or one of the Code*
// constants above.
type ReadError struct {
	Call    string `json:"call"`           // e.g. "kms:GetKeyRotationStatus"
	File    string `json:"file,omitempty"` // snapshot path, when loaded from a snapshot
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// Error renders the reason in one line, suitable for Finding.Reason.
func (e *ReadError) Error() string {
	s := e.Call + ": " + e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.File != "" {
		s += " (" + e.File + ")"
	}
	return s
}

// Fact is a value that was either read (known) or could not be read, in which
// case it carries the reason. Its fields are unexported on purpose: the only
// way to get the value is Get (or Value after checking Known), so a control
// cannot read an unknown fact as a zero value by accident.
type Fact[T any] struct {
	value T
	known bool
	err   *ReadError
}

// Known returns a fact holding v.
func Known[T any](v T) Fact[T] { return Fact[T]{value: v, known: true} }

// Unknown returns a fact that could not be read, with the reason. A nil reason
// is replaced by a generic NotCollected one so that an unknown fact always
// explains itself.
func Unknown[T any](reason *ReadError) Fact[T] {
	if reason == nil {
		reason = &ReadError{Call: "unknown", Code: CodeNotCollected}
	}
	return Fact[T]{err: reason}
}

// Get returns the value and nil when the fact is known, or the zero value and
// the reason when it is not. The zero Fact is unknown (NotCollected).
func (f Fact[T]) Get() (T, *ReadError) {
	if f.known {
		return f.value, nil
	}
	return f.value, f.Reason()
}

// IsKnown reports whether the fact was read.
func (f Fact[T]) IsKnown() bool { return f.known }

// Reason is why the fact is unknown; nil when it is known.
func (f Fact[T]) Reason() *ReadError {
	if f.known {
		return nil
	}
	if f.err == nil {
		return &ReadError{Call: "unknown", Code: CodeNotCollected, Message: "fact was never set"}
	}
	return f.err
}

// MustGet returns the value of a known fact and panics on an unknown one. It
// exists for tests and generators that build facts themselves; controls use Get.
func (f Fact[T]) MustGet() T {
	if !f.known {
		panic(fmt.Sprintf("inventory: MustGet on unknown fact: %v", f.Reason()))
	}
	return f.value
}

// factJSON is how a fact appears in JSON: {"value": ...} or {"unknown": {...}}.
type factJSON[T any] struct {
	Value   *T         `json:"value,omitempty"`
	Unknown *ReadError `json:"unknown,omitempty"`
}

// MarshalJSON writes {"value": v} for a known fact and {"unknown": reason}
// otherwise, so exported inventories keep the distinction.
func (f Fact[T]) MarshalJSON() ([]byte, error) {
	if f.known {
		v := f.value
		return json.Marshal(factJSON[T]{Value: &v})
	}
	return json.Marshal(factJSON[T]{Unknown: f.Reason()})
}
