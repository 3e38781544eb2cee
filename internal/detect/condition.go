package detect

import (
	"fmt"
	"strings"
)

// condExpr is the parsed form of a Sigma condition, before it is bound to
// compiled search identifiers.
type condExpr interface{ String() string }

type (
	condAnd   struct{ left, right condExpr }
	condOr    struct{ left, right condExpr }
	condNot   struct{ inner condExpr }
	condIdent struct{ name string }
	// condOf is "1 of pattern", "all of pattern", "1 of them", "all of them".
	// pattern is "" for "them".
	condOf struct {
		all     bool
		pattern string
	}
)

func (c condAnd) String() string   { return "(" + c.left.String() + " and " + c.right.String() + ")" }
func (c condOr) String() string    { return "(" + c.left.String() + " or " + c.right.String() + ")" }
func (c condNot) String() string   { return "not " + c.inner.String() }
func (c condIdent) String() string { return c.name }
func (c condOf) String() string {
	q, p := "1", c.pattern
	if c.all {
		q = "all"
	}
	if p == "" {
		p = "them"
	}
	return q + " of " + p
}

// maxConditionDepth bounds nesting so that a hostile condition cannot
// exhaust the stack of the recursive-descent parser.
const maxConditionDepth = 64

// parseCondition parses one Sigma condition string. Precedence, from least to
// most binding: or, and, not, "x of", parentheses. Keywords are
// case-insensitive.
func parseCondition(s string) (condExpr, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty condition")
	}
	p := &condParser{toks: toks}
	e, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q at position %d", p.toks[p.pos].text, p.toks[p.pos].at+1)
	}
	return e, nil
}

type condToken struct {
	text string
	at   int // byte offset in the condition
}

func lexCondition(s string) ([]condToken, error) {
	var toks []condToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, condToken{text: string(c), at: i})
			i++
		case c == '|':
			return nil, fmt.Errorf("pipe %q at position %d: Sigma 1.0 aggregations (| count() ...) are not supported; use correlation rules", s[i:], i+1)
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, condToken{text: s[i:j], at: i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at position %d", c, i+1)
		}
	}
	return toks, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '*' || c == '-' || c == '.' ||
		('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

type condParser struct {
	toks []condToken
	pos  int
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return strings.ToLower(p.toks[p.pos].text)
	}
	return ""
}

func (p *condParser) errAt(what string) error {
	if p.pos >= len(p.toks) {
		return fmt.Errorf("%s at end of condition", what)
	}
	t := p.toks[p.pos]
	return fmt.Errorf("%s: got %q at position %d", what, t.text, t.at+1)
}

func (p *condParser) parseOr(depth int) (condExpr, error) {
	left, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for p.peek() == "or" {
		p.pos++
		right, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		left = condOr{left, right}
	}
	return left, nil
}

func (p *condParser) parseAnd(depth int) (condExpr, error) {
	left, err := p.parseNot(depth)
	if err != nil {
		return nil, err
	}
	for p.peek() == "and" {
		p.pos++
		right, err := p.parseNot(depth)
		if err != nil {
			return nil, err
		}
		left = condAnd{left, right}
	}
	return left, nil
}

func (p *condParser) parseNot(depth int) (condExpr, error) {
	if p.peek() == "not" {
		if depth >= maxConditionDepth {
			return nil, fmt.Errorf("condition nested deeper than %d levels", maxConditionDepth)
		}
		p.pos++
		inner, err := p.parseNot(depth + 1)
		if err != nil {
			return nil, err
		}
		return condNot{inner}, nil
	}
	return p.parsePrimary(depth)
}

func (p *condParser) parsePrimary(depth int) (condExpr, error) {
	switch tok := p.peek(); tok {
	case "":
		return nil, p.errAt("expected a search identifier, \"(\", \"not\" or \"x of\"")
	case "(":
		if depth >= maxConditionDepth {
			return nil, fmt.Errorf("condition nested deeper than %d levels", maxConditionDepth)
		}
		p.pos++
		e, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, p.errAt("expected \")\"")
		}
		p.pos++
		return e, nil
	case ")", "and", "or", "of", "them":
		return nil, p.errAt("expected a search identifier")
	case "1", "all", "any":
		if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1].text, "of") {
			if tok == "any" {
				return nil, p.errAt("\"any of\" is not Sigma: use \"1 of\"")
			}
			p.pos += 2
			target := p.peek()
			if target == "" || target == "(" || target == ")" || target == "and" || target == "or" || target == "not" {
				return nil, p.errAt("expected a search-identifier pattern or \"them\" after \"" + tok + " of\"")
			}
			pattern := p.toks[p.pos].text
			p.pos++
			if target == "them" {
				pattern = ""
			}
			return condOf{all: tok == "all", pattern: pattern}, nil
		}
	}
	t := p.toks[p.pos]
	if strings.Contains(t.text, "*") {
		return nil, p.errAt("wildcard identifiers need \"1 of\" or \"all of\"")
	}
	if n := t.text; len(n) > 0 && n[0] >= '0' && n[0] <= '9' && strings.Trim(n, "0123456789") == "" {
		return nil, p.errAt("only \"1 of\" and \"all of\" are supported quantifiers")
	}
	p.pos++
	return condIdent{name: t.text}, nil
}
