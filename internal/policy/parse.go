package policy

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// ParseError is a malformed policy document. It says where (a JSON path
// such as Statement[2].Condition, and line/column/offset in the text that
// was parsed) and why.
type ParseError struct {
	Path   string // JSON path of the offending element; "" for the document
	Offset int    // byte offset, from 0
	Line   int    // from 1
	Column int    // from 1, in bytes
	// URLDecoded is true when the document was URL-encoded and the position
	// refers to the decoded text.
	URLDecoded bool
	Msg        string
}

func (e *ParseError) Error() string {
	where := fmt.Sprintf("line %d, column %d (offset %d)", e.Line, e.Column, e.Offset)
	if e.URLDecoded {
		where += " of the URL-decoded document"
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", e.Path, where, e.Msg)
	}
	return fmt.Sprintf("%s: %s", where, e.Msg)
}

// ParseOptions tune Parse.
type ParseOptions struct {
	// Partition expands account-id shorthand in principals
	// ("111122223333" -> "arn:<partition>:iam::111122223333:root").
	// Empty means "aws".
	Partition string
}

// Parse parses a policy document with default options. See ParseWith.
func Parse(data []byte) (*Policy, error) { return ParseWith(data, ParseOptions{}) }

// ParseWith parses a policy document given as a JSON object, as a
// URL-encoded JSON object (as IAM's API returns it), or as a JSON string
// holding either. URL decoding uses path unescaping so that a literal '+'
// survives. Duplicate keys in any object are rejected. Errors are
// *ParseError.
func ParseWith(data []byte, opts ParseOptions) (*Policy, error) {
	if opts.Partition == "" {
		opts.Partition = "aws"
	}
	doc := data
	decoded := false
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) > 0 && trimmed[0] == '"' {
		// A JSON string holding the document (for example a field of an
		// AWS API response copied as-is).
		v, err := parseJSON(trimmed)
		if err != nil || v.kind != jsonString {
			return nil, newParseError(data, offsetOf(err), pathOf(err), false, "a quoted document must be one JSON string: "+errText(err))
		}
		doc, trimmed, decoded = []byte(v.text), bytes.TrimSpace([]byte(v.text)), true
	}
	if len(trimmed) > 0 && trimmed[0] == '%' {
		s, err := url.PathUnescape(string(trimmed))
		if err != nil {
			return nil, newParseError(doc, 0, "", decoded, "invalid URL-encoded document: "+err.Error())
		}
		doc, decoded = []byte(s), true
	}
	root, err := parseJSON(doc)
	if err != nil {
		return nil, newParseError(doc, offsetOf(err), pathOf(err), decoded, err.Error())
	}
	p := &parser{doc: doc, decoded: decoded, partition: opts.Partition}
	pol, perr := p.policy(root)
	if perr != nil {
		return nil, perr
	}
	return pol, nil
}

func offsetOf(err error) int {
	var se *jsonSyntaxError
	if errors.As(err, &se) {
		return se.off
	}
	return 0
}

func pathOf(err error) string {
	var se *jsonSyntaxError
	if errors.As(err, &se) {
		return se.path
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "got another JSON value"
	}
	return err.Error()
}

func newParseError(doc []byte, off int, path string, decoded bool, msg string) *ParseError {
	off = min(max(off, 0), len(doc))
	line, col := 1, 1
	for _, c := range doc[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &ParseError{Path: path, Offset: off, Line: line, Column: col, URLDecoded: decoded, Msg: msg}
}

// parser turns the JSON tree into the model, remembering the document so
// that errors can be located.
type parser struct {
	doc       []byte
	decoded   bool
	partition string
}

func (p *parser) errorf(v *jsonValue, path, format string, args ...any) *ParseError {
	return newParseError(p.doc, v.off, path, p.decoded, fmt.Sprintf(format, args...))
}

func (p *parser) policy(root *jsonValue) (*Policy, *ParseError) {
	if root.kind != jsonObject {
		return nil, p.errorf(root, "", "a policy document must be a JSON object, got %s", root.kind)
	}
	pol := &Policy{}
	var statement *jsonValue
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.value.kind != jsonString || (m.value.text != Version2012 && m.value.text != Version2008) {
				return nil, p.errorf(m.value, "Version", "Version must be %q or %q", Version2012, Version2008)
			}
			pol.Version = m.value.text
		case "Id":
			if m.value.kind != jsonString {
				return nil, p.errorf(m.value, "Id", "Id must be a string, got %s", m.value.kind)
			}
			pol.ID = m.value.text
		case "Statement":
			statement = m.value
		default:
			return nil, newParseError(p.doc, m.keyOff, m.key, p.decoded, fmt.Sprintf("unknown policy element %q (want Version, Id or Statement)", m.key))
		}
	}
	if statement == nil {
		return nil, p.errorf(root, "", "the policy has no Statement element")
	}
	switch statement.kind {
	case jsonObject:
		st, err := p.statement(statement, 0, "Statement")
		if err != nil {
			return nil, err
		}
		pol.Statements = []Statement{st}
	case jsonArray:
		// An empty list is accepted: it grants and denies nothing.
		pol.Statements = make([]Statement, 0, len(statement.items))
		for i, item := range statement.items {
			st, err := p.statement(item, i, "Statement["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			pol.Statements = append(pol.Statements, st)
		}
	default:
		return nil, p.errorf(statement, "Statement", "Statement must be an object or a list of objects, got %s", statement.kind)
	}
	return pol, nil
}

func (p *parser) statement(v *jsonValue, index int, path string) (Statement, *ParseError) {
	st := Statement{Index: index}
	if v.kind != jsonObject {
		return st, p.errorf(v, path, "a statement must be an object, got %s", v.kind)
	}
	var hasAction, hasNotAction, hasRes, hasNotRes, hasPrin, hasNotPrin bool
	for _, m := range v.members {
		mpath := path + "." + m.key
		var err *ParseError
		switch m.key {
		case "Sid":
			if m.value.kind != jsonString {
				return st, p.errorf(m.value, mpath, "Sid must be a string, got %s", m.value.kind)
			}
			st.Sid = m.value.text
		case "Effect":
			if m.value.kind != jsonString || (m.value.text != string(Allow) && m.value.text != string(Deny)) {
				return st, p.errorf(m.value, mpath, "Effect must be exactly \"Allow\" or \"Deny\", got %s", describeValue(m.value))
			}
			st.Effect = Effect(m.value.text)
		case "Action", "NotAction":
			hasAction, hasNotAction = hasAction || m.key == "Action", hasNotAction || m.key == "NotAction"
			st.Actions, err = p.stringList(m.value, mpath)
			st.NotAction = m.key == "NotAction"
		case "Resource", "NotResource":
			hasRes, hasNotRes = hasRes || m.key == "Resource", hasNotRes || m.key == "NotResource"
			st.Resources, err = p.stringList(m.value, mpath)
			st.NotResource = m.key == "NotResource"
			st.HasResource = true
		case "Principal", "NotPrincipal":
			hasPrin, hasNotPrin = hasPrin || m.key == "Principal", hasNotPrin || m.key == "NotPrincipal"
			st.Principals, err = p.principals(m.value, mpath)
			st.NotPrincipal = m.key == "NotPrincipal"
		case "Condition":
			st.Conditions, err = p.conditions(m.value, mpath)
		default:
			return st, newParseError(p.doc, m.keyOff, mpath, p.decoded, fmt.Sprintf("unknown statement element %q", m.key))
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case st.Effect == "":
		return st, p.errorf(v, path, "the statement has no Effect")
	case hasAction && hasNotAction:
		return st, p.errorf(v, path, "the statement has both Action and NotAction")
	case !hasAction && !hasNotAction:
		return st, p.errorf(v, path, "the statement has neither Action nor NotAction")
	case hasRes && hasNotRes:
		return st, p.errorf(v, path, "the statement has both Resource and NotResource")
	case hasPrin && hasNotPrin:
		return st, p.errorf(v, path, "the statement has both Principal and NotPrincipal")
	}
	return st, nil
}

// stringList reads an element that may be one string or a list of strings.
func (p *parser) stringList(v *jsonValue, path string) ([]string, *ParseError) {
	switch v.kind {
	case jsonString:
		return []string{v.text}, nil
	case jsonArray:
		out := make([]string, 0, len(v.items))
		for i, item := range v.items {
			if item.kind != jsonString {
				return nil, p.errorf(item, path+"["+strconv.Itoa(i)+"]", "want a string, got %s", item.kind)
			}
			out = append(out, item.text)
		}
		return out, nil
	default:
		return nil, p.errorf(v, path, "want a string or a list of strings, got %s", v.kind)
	}
}

func describeValue(v *jsonValue) string {
	if v.kind == jsonString {
		return strconv.Quote(v.text)
	}
	return v.kind.String()
}
