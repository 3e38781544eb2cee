package detect

import (
	"fmt"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// node is one element of a compiled matcher tree.
type node interface {
	match(rec *cloudtrail.Record) bool
}

type andNode []node

func (n andNode) match(rec *cloudtrail.Record) bool {
	for _, c := range n {
		if !c.match(rec) {
			return false
		}
	}
	return true
}

type orNode []node

func (n orNode) match(rec *cloudtrail.Record) bool {
	for _, c := range n {
		if c.match(rec) {
			return true
		}
	}
	return false
}

type notNode struct{ inner node }

func (n notNode) match(rec *cloudtrail.Record) bool { return !n.inner.match(rec) }

// bindCondition turns a parsed condition into a matcher tree over the
// compiled search identifiers of one rule.
func bindCondition(e condExpr, idents map[string]node, order []string) (node, error) {
	switch e := e.(type) {
	case condAnd:
		l, err := bindCondition(e.left, idents, order)
		if err != nil {
			return nil, err
		}
		r, err := bindCondition(e.right, idents, order)
		if err != nil {
			return nil, err
		}
		return andNode{l, r}, nil
	case condOr:
		l, err := bindCondition(e.left, idents, order)
		if err != nil {
			return nil, err
		}
		r, err := bindCondition(e.right, idents, order)
		if err != nil {
			return nil, err
		}
		return orNode{l, r}, nil
	case condNot:
		inner, err := bindCondition(e.inner, idents, order)
		if err != nil {
			return nil, err
		}
		return notNode{inner}, nil
	case condIdent:
		n, ok := idents[e.name]
		if !ok {
			return nil, fmt.Errorf("condition refers to undefined search identifier %q", e.name)
		}
		return n, nil
	case condOf:
		var picked []node
		for _, name := range order {
			if e.pattern == "" {
				if name[0] == '_' {
					continue // "them" excludes identifiers starting with an underscore
				}
			} else if !globMatchIdent(e.pattern, name) {
				continue
			}
			picked = append(picked, idents[name])
		}
		if len(picked) == 0 {
			return nil, fmt.Errorf("%q matches no search identifier", e.String())
		}
		if e.all {
			return andNode(picked), nil
		}
		return orNode(picked), nil
	}
	return nil, fmt.Errorf("internal: unknown condition element %T", e)
}

// globMatchIdent matches a search-identifier pattern where * stands for any
// run of characters (case-sensitive, as identifiers are YAML keys).
func globMatchIdent(pattern, name string) bool {
	for len(pattern) > 0 {
		if pattern[0] == '*' {
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if globMatchIdent(pattern, name[i:]) {
					return true
				}
			}
			return false
		}
		if name == "" || name[0] != pattern[0] {
			return false
		}
		pattern, name = pattern[1:], name[1:]
	}
	return name == ""
}
