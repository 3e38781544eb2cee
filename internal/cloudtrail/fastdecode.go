package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// parser decodes one JSON value into the same Go values encoding/json
// produces with UseNumber (map[string]any, []any, string, json.Number,
// bool, nil), without reflection. It is several times faster, which
// matters because every record a rule might match is decoded. The fuzz
// test FuzzDecodeMatchesEncodingJSON holds it to encoding/json's results.
type parser struct {
	b     []byte
	i     int
	depth int
}

// maxDepth matches encoding/json's nesting limit.
const maxDepth = 10000

func (p *parser) fail(msg string) error {
	return fmt.Errorf("%s at offset %d", msg, p.i)
}

func (p *parser) ws() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func (p *parser) value() (any, error) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, p.fail("unexpected end of JSON input")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, p.fail(fmt.Sprintf("invalid character %q looking for beginning of value", p.b[p.i]))
}

func (p *parser) literal(lit string) error {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return p.fail("invalid literal")
	}
	p.i += len(lit)
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("exceeded max depth")
	}
	return nil
}

func (p *parser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // '{'
	m := make(map[string]any, 8)
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.depth--
		return m, nil
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, p.fail("expected object key")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, p.fail("expected ':' after object key")
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[key] = v
		p.ws()
		if p.i >= len(p.b) {
			return nil, p.fail("unexpected end of JSON input")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return m, nil
		default:
			return nil, p.fail("expected ',' or '}' after object value")
		}
	}
}

func (p *parser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // '['
	a := []any{}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		p.depth--
		return a, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		p.ws()
		if p.i >= len(p.b) {
			return nil, p.fail("unexpected end of JSON input")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return a, nil
		default:
			return nil, p.fail("expected ',' or ']' after array element")
		}
	}
}

// str parses a string at p.i (its opening quote).
func (p *parser) str() (string, error) {
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			return string(p.b[start:j]), nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return p.strSlow(start)
		}
	}
	return "", p.fail("unexpected end of JSON input")
}

// strSlow handles escapes and non-ASCII text the way encoding/json does:
// invalid UTF-8 and lone surrogates become U+FFFD.
func (p *parser) strSlow(start int) (string, error) {
	out := make([]byte, 0, 2*(len(p.b)-start)/2+8)
	j := start
	for j < len(p.b) {
		c := p.b[j]
		switch {
		case c == '"':
			p.i = j + 1
			return string(out), nil
		case c < 0x20:
			p.i = j
			return "", p.fail("invalid control character in string")
		case c == '\\':
			if j+1 >= len(p.b) {
				p.i = j
				return "", p.fail("unexpected end of JSON input")
			}
			j++
			switch e := p.b[j]; e {
			case '"', '\\', '/':
				out = append(out, e)
				j++
			case 'b':
				out, j = append(out, '\b'), j+1
			case 'f':
				out, j = append(out, '\f'), j+1
			case 'n':
				out, j = append(out, '\n'), j+1
			case 'r':
				out, j = append(out, '\r'), j+1
			case 't':
				out, j = append(out, '\t'), j+1
			case 'u':
				r, ok := hex4(p.b, j+1)
				if !ok {
					p.i = j
					return "", p.fail("invalid escape in string")
				}
				j += 5
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if j+1 < len(p.b) && p.b[j] == '\\' && p.b[j+1] == 'u' {
						r2, ok2 = hex4(p.b, j+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						j += 6
						r = dec
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				p.i = j
				return "", p.fail("invalid escape in string")
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			j++
		default:
			r, size := utf8.DecodeRune(p.b[j:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, p.b[j:j+size]...)
			}
			j += size
		}
	}
	p.i = j
	return "", p.fail("unexpected end of JSON input")
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(n), err == nil
}

// number parses a JSON number by its grammar and keeps its text.
func (p *parser) number() (any, error) {
	start := p.i
	j := p.i
	if p.b[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
			j++
		}
		return j - k
	}
	switch {
	case j < len(p.b) && p.b[j] == '0':
		j++
	case digits() == 0:
		p.i = j
		return nil, p.fail("invalid number")
	}
	if j < len(p.b) && p.b[j] == '.' {
		j++
		if digits() == 0 {
			p.i = j
			return nil, p.fail("invalid number")
		}
	}
	if j < len(p.b) && (p.b[j] == 'e' || p.b[j] == 'E') {
		j++
		if j < len(p.b) && (p.b[j] == '+' || p.b[j] == '-') {
			j++
		}
		if digits() == 0 {
			p.i = j
			return nil, p.fail("invalid number")
		}
	}
	p.i = j
	return json.Number(p.b[start:j]), nil
}

var errNotObject = errors.New("record is not a JSON object")

// decodeObject decodes raw, which must hold exactly one JSON object.
func decodeObject(raw []byte) (map[string]any, error) {
	p := parser{b: raw}
	p.ws()
	if p.i >= len(raw) {
		return nil, p.fail("unexpected end of JSON input")
	}
	if raw[p.i] != '{' {
		if raw[p.i] == 'n' && p.literal("null") == nil {
			return nil, errors.New("record is null")
		}
		return nil, errNotObject
	}
	v, err := p.object()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(raw) {
		return nil, errors.New("data after the record")
	}
	return v.(map[string]any), nil
}
