package policy

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// jsonKind is the type of a JSON value.
type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	if names := [...]string{"null", "boolean", "number", "string", "array", "object"}; k >= 0 && int(k) < len(names) {
		return names[k]
	}
	return "value"
}

// jsonValue is one node of a parsed JSON document. Objects keep their
// members in document order; every node remembers its byte offset so that
// errors can say where they are.
type jsonValue struct {
	kind    jsonKind
	off     int
	text    string // string contents, number literal, or "true"/"false"
	items   []*jsonValue
	members []jsonMember
}

type jsonMember struct {
	key    string
	keyOff int
	value  *jsonValue
}

// jsonSyntaxError is a malformed document, located by byte offset.
type jsonSyntaxError struct {
	off  int
	path string
	msg  string
}

func (e *jsonSyntaxError) Error() string { return e.msg }

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxJSONDepth = 64

// parseJSON parses one JSON document. Unlike encoding/json it rejects
// duplicate keys in an object: AWS rejects them too, and silently keeping one
// of them would let a policy say two things at once.
func parseJSON(data []byte) (*jsonValue, error) {
	p := &jsonParser{data: data}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.errorf("unexpected %s after the end of the document", p.describe())
	}
	return v, nil
}

type jsonParser struct {
	data []byte
	pos  int
	path []string // where the parser is, for error messages
}

func (p *jsonParser) errorf(format string, args ...any) error {
	path := ""
	for _, seg := range p.path {
		path += seg
	}
	if len(path) > 0 && path[0] == '.' {
		path = path[1:]
	}
	return &jsonSyntaxError{off: p.pos, path: path, msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) describe() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*jsonValue, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("nesting deeper than %d levels", maxJSONDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input, want a value")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jsonValue{kind: jsonString, off: start, text: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", jsonBool)
	case c == 'f':
		return p.literal("false", jsonBool)
	case c == 'n':
		return p.literal("null", jsonNull)
	default:
		return nil, p.errorf("unexpected %s, want a value", p.describe())
	}
}

func (p *jsonParser) literal(word string, kind jsonKind) (*jsonValue, error) {
	start := p.pos
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, p.errorf("invalid literal, want %q", word)
	}
	p.pos += len(word)
	return &jsonValue{kind: kind, off: start, text: word}, nil
}

func (p *jsonParser) number() (*jsonValue, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.errorf("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.errorf("invalid number: no digits after the decimal point")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf("invalid number: no digits in the exponent")
		}
	}
	return &jsonValue{kind: jsonNumber, off: start, text: string(p.data[start:p.pos])}, nil
}

func (p *jsonParser) array(depth int) (*jsonValue, error) {
	v := &jsonValue{kind: jsonArray, off: p.pos}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		p.skipSpace()
		p.path = append(p.path, "["+strconv.Itoa(len(v.items))+"]")
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		v.items = append(v.items, item)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unterminated array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return v, nil
		default:
			return nil, p.errorf("unexpected %s in array, want ',' or ']'", p.describe())
		}
	}
}

func (p *jsonParser) object(depth int) (*jsonValue, error) {
	v := &jsonValue{kind: jsonObject, off: p.pos}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	seen := map[string]bool{}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("unexpected %s in object, want a quoted key", p.describe())
		}
		keyOff := p.pos
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			p.pos = keyOff
			return nil, p.errorf("duplicate key %q in object", key)
		}
		seen[key] = true
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("unexpected %s after key %q, want ':'", p.describe(), key)
		}
		p.pos++
		p.skipSpace()
		p.path = append(p.path, "."+key)
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		v.members = append(v.members, jsonMember{key: key, keyOff: keyOff, value: val})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unterminated object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return v, nil
		default:
			return nil, p.errorf("unexpected %s in object, want ',' or '}'", p.describe())
		}
	}
}
