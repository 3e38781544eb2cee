package detect

import (
	"encoding/json"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// fieldPath is a dotted CloudTrail field name split into steps. Arrays met
// along the path fan out: "resources.type" visits the type of every element
// of resources, and a rule value matches when any visited value matches.
type fieldPath []string

func newFieldPath(name string) fieldPath { return strings.Split(name, ".") }

// visit calls fn with every value at the path (array leaves are flattened
// one level) until fn returns true. It reports whether the path was present
// anywhere and whether fn returned true.
func (p fieldPath) visit(rec *cloudtrail.Record, fn func(v any) bool) (found, hit bool) {
	return visitPath(rec.Fields, p, fn)
}

func visitPath(cur any, steps []string, fn func(v any) bool) (found, hit bool) {
	for i, step := range steps {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[step]
			if !ok {
				return false, false
			}
			cur = next
		case []any:
			for _, el := range c {
				f, h := visitPath(el, steps[i:], fn)
				found = found || f
				if h {
					return true, true
				}
			}
			return found, false
		default:
			return false, false
		}
	}
	if arr, ok := cur.([]any); ok {
		for _, el := range arr {
			if fn(el) {
				return true, true
			}
		}
		return true, false
	}
	return true, fn(cur)
}

// valueMatcher tests one event value (never an array) against one rule value.
type valueMatcher interface {
	matchValue(v any) bool
}

// stringForm renders scalar event values as text so that string patterns
// apply to numbers and booleans too ("7" matches 7).
func stringForm(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return string(v), true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	}
	return "", false
}

// numberForm reads a number from a JSON number or a numeric string.
func numberForm(v any) (float64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = string(v)
	case string:
		s = strings.TrimSpace(v)
	case float64:
		return v, true
	case int:
		return float64(v), true
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

type stringMatcher struct{ p pattern }

func (m stringMatcher) matchValue(v any) bool {
	s, ok := stringForm(v)
	return ok && m.p.match(s)
}

// numberMatcher is a YAML number in a rule: equal to a JSON number or a
// numeric string of the same value, or textually equal to the rule's text.
type numberMatcher struct {
	n   float64
	raw string
}

func (m numberMatcher) matchValue(v any) bool {
	if f, ok := numberForm(v); ok {
		return f == m.n
	}
	s, ok := v.(string)
	return ok && strings.EqualFold(s, m.raw)
}

// boolMatcher is a YAML boolean: equal to a JSON boolean or to the strings
// "true"/"false" (CloudTrail writes mfaAuthenticated as a string).
type boolMatcher struct{ b bool }

func (m boolMatcher) matchValue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v == m.b
	case string:
		return strings.EqualFold(v, strconv.FormatBool(m.b))
	}
	return false
}

type compareMatcher struct {
	op string // gt, gte, lt, lte
	n  float64
}

func (m compareMatcher) matchValue(v any) bool {
	f, ok := numberForm(v)
	if !ok {
		return false
	}
	switch m.op {
	case "gt":
		return f > m.n
	case "gte":
		return f >= m.n
	case "lt":
		return f < m.n
	default:
		return f <= m.n
	}
}

type regexpMatcher struct{ re *regexp.Regexp }

func (m regexpMatcher) matchValue(v any) bool {
	s, ok := stringForm(v)
	return ok && m.re.MatchString(s)
}

type cidrMatcher struct{ prefix netip.Prefix }

func (m cidrMatcher) matchValue(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	addr, err := netip.ParseAddr(s)
	return err == nil && m.prefix.Contains(addr.Unmap())
}

// fieldNode matches when a value at path matches any of values, or, with
// the all modifier, when every value is matched by some value at path.
type fieldNode struct {
	name   string
	path   fieldPath
	values []valueMatcher
	all    bool
}

func (n *fieldNode) match(rec *cloudtrail.Record) bool {
	if !n.all {
		_, hit := n.path.visit(rec, func(v any) bool {
			for _, m := range n.values {
				if m.matchValue(v) {
					return true
				}
			}
			return false
		})
		return hit
	}
	for _, m := range n.values {
		if _, hit := n.path.visit(rec, m.matchValue); !hit {
			return false
		}
	}
	return true
}

// nullNode matches a field that is absent or JSON null.
type nullNode struct{ path fieldPath }

func (n nullNode) match(rec *cloudtrail.Record) bool {
	found, hit := n.path.visit(rec, func(v any) bool { return v == nil })
	return !found || hit
}

// existsNode matches on the presence (want true) or absence of a field,
// whatever its value, null included.
type existsNode struct {
	path fieldPath
	want bool
}

func (n existsNode) match(rec *cloudtrail.Record) bool {
	found, _ := n.path.visit(rec, func(any) bool { return false })
	return found == n.want
}

// fieldrefNode matches when a value at path equals (case-insensitively, as
// text) a value at other.
type fieldrefNode struct {
	path, other fieldPath
}

func (n fieldrefNode) match(rec *cloudtrail.Record) bool {
	_, hit := n.path.visit(rec, func(v any) bool {
		s, ok := stringForm(v)
		if !ok {
			return false
		}
		_, h := n.other.visit(rec, func(w any) bool {
			t, ok := stringForm(w)
			return ok && strings.EqualFold(s, t)
		})
		return h
	})
	return hit
}

// keywordNode is a field-less search: it matches when any string, number or
// boolean anywhere in the record matches one of the patterns (all of them
// with the all modifier).
type keywordNode struct {
	patterns []pattern
	all      bool
}

func (n keywordNode) match(rec *cloudtrail.Record) bool {
	for i := range n.patterns {
		hit := anyLeaf(rec.Fields, &n.patterns[i], 0)
		if hit && !n.all {
			return true
		}
		if !hit && n.all {
			return false
		}
	}
	return n.all
}

func anyLeaf(v any, p *pattern, depth int) bool {
	if depth > 64 {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		for _, el := range v {
			if anyLeaf(el, p, depth+1) {
				return true
			}
		}
	case []any:
		for _, el := range v {
			if anyLeaf(el, p, depth+1) {
				return true
			}
		}
	default:
		s, ok := stringForm(v)
		return ok && p.match(s)
	}
	return false
}
