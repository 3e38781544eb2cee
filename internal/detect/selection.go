package detect

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// unsupportedModifier returns why kmsguard rejects a Sigma modifier it
// recognises, or "" when the modifier is not one of those.
func unsupportedModifier(m string) string {
	switch m {
	case "expand":
		return "placeholders need environment-specific expansion, which kmsguard does not do"
	case "windash":
		return "Windows command-line dash permutations do not apply to CloudTrail"
	case "utf16le", "utf16be", "utf16", "wide":
		return "UTF-16 encodings do not apply to CloudTrail JSON"
	case "minute", "hour", "day", "week", "month", "year":
		return "time-part modifiers are not supported"
	}
	return ""
}

// compileSearch compiles one search identifier: a map (AND of fields), a
// list of maps (OR of maps), or a list of plain values (keyword search).
func compileSearch(n *yaml.Node) (node, error) {
	switch n.Kind {
	case yaml.MappingNode:
		return compileMap(n)
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, fmt.Errorf("line %d: empty list", n.Line)
		}
		if n.Content[0].Kind == yaml.MappingNode {
			var or orNode
			for _, el := range n.Content {
				if el.Kind != yaml.MappingNode {
					return nil, fmt.Errorf("line %d: a list of maps cannot also hold plain values", el.Line)
				}
				m, err := compileMap(el)
				if err != nil {
					return nil, err
				}
				or = append(or, m)
			}
			return or, nil
		}
		return compileKeywords(n, nil)
	case yaml.ScalarNode:
		return compileKeywords(&yaml.Node{Kind: yaml.SequenceNode, Line: n.Line, Content: []*yaml.Node{n}}, nil)
	}
	return nil, fmt.Errorf("line %d: a search identifier must be a map or a list", n.Line)
}

func compileMap(n *yaml.Node) (node, error) {
	if len(n.Content) == 0 {
		return nil, fmt.Errorf("line %d: empty map", n.Line)
	}
	var and andNode
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		m, err := compileField(key.Value, val)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q: %w", key.Line, key.Value, err)
		}
		and = append(and, m)
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

// compileKeywords compiles a field-less search over every value of the
// record. Keywords match anywhere in a value (as if wrapped in *).
func compileKeywords(n *yaml.Node, mods []string) (node, error) {
	kw := keywordNode{}
	for _, m := range mods {
		switch m {
		case "all":
			kw.all = true
		case "cased":
		default:
			return nil, fmt.Errorf("modifier %q is not supported on keyword searches (only all and cased are)", m)
		}
	}
	cased := contains(mods, "cased")
	for _, el := range n.Content {
		if el.Kind != yaml.ScalarNode || el.ShortTag() == "!!null" {
			return nil, fmt.Errorf("line %d: keyword values must be strings or numbers", el.Line)
		}
		segs := parseSigmaString(el.Value)
		segs = wrapStars(segs, true, true)
		kw.patterns = append(kw.patterns, compilePattern(segs, cased))
	}
	if kw.all && len(kw.patterns) < 2 {
		return nil, fmt.Errorf("line %d: the all modifier needs more than one value", n.Line)
	}
	return kw, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalarValues returns the values of a field: one scalar or a list of them.
func scalarValues(n *yaml.Node) ([]*yaml.Node, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{n}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, fmt.Errorf("empty value list")
		}
		for _, el := range n.Content {
			if el.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: value lists hold only plain values", el.Line)
			}
			if el.ShortTag() == "!!null" {
				return nil, fmt.Errorf("line %d: null cannot be part of a value list; use a separate selection", el.Line)
			}
		}
		return n.Content, nil
	case yaml.AliasNode:
		return nil, fmt.Errorf("YAML aliases are not supported in detections")
	}
	return nil, fmt.Errorf("a field value must be a scalar or a list of scalars, not a map")
}

// compileField compiles "field|mod|mod: value(s)".
func compileField(key string, val *yaml.Node) (node, error) {
	parts := strings.Split(key, "|")
	name, mods := parts[0], parts[1:]
	for _, m := range mods {
		if why := unsupportedModifier(m); why != "" {
			return nil, fmt.Errorf("modifier %q is not supported: %s", m, why)
		}
	}
	if name == "" {
		if val.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("a keyword search with modifiers needs a list of values")
		}
		return compileKeywords(val, mods)
	}
	path := newFieldPath(name)
	for _, step := range path {
		if step == "" {
			return nil, fmt.Errorf("field name %q has an empty path step", name)
		}
	}
	values, err := scalarValues(val)
	if err != nil {
		return nil, err
	}
	switch {
	case contains(mods, "exists"):
		if len(mods) != 1 || len(values) != 1 || values[0].ShortTag() != "!!bool" {
			return nil, fmt.Errorf("exists takes a single true or false and no other modifier")
		}
		return existsNode{path: path, want: values[0].Value == "true"}, nil
	case contains(mods, "fieldref"):
		if len(mods) != 1 || len(values) != 1 || values[0].ShortTag() != "!!str" {
			return nil, fmt.Errorf("fieldref takes a single field name and no other modifier")
		}
		return fieldrefNode{path: path, other: newFieldPath(values[0].Value)}, nil
	}
	if len(values) == 1 && values[0].ShortTag() == "!!null" {
		if len(mods) > 0 {
			return nil, fmt.Errorf("null cannot take modifiers")
		}
		return nullNode{path: path}, nil
	}
	neq := false
	if i := indexOf(mods, "neq"); i >= 0 {
		neq = true
		mods = append(append([]string{}, mods[:i]...), mods[i+1:]...)
	}
	fn, err := compileValues(name, path, mods, values)
	if err != nil {
		return nil, err
	}
	if neq {
		// neq: the field is present and equals none of the values.
		return andNode{existsNode{path: path, want: true}, notNode{fn}}, nil
	}
	return fn, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func compileValues(name string, path fieldPath, mods []string, values []*yaml.Node) (node, error) {
	fn := &fieldNode{name: name, path: path}
	var (
		cased, re, cidr, start, end, wrap bool
		b64, b64off                       bool
		reFlags                           string
		cmp                               string
	)
	for i, m := range mods {
		switch m {
		case "all":
			fn.all = true
		case "cased":
			cased = true
		case "contains":
			wrap = true
		case "startswith":
			end = true // wildcard at the end
		case "endswith":
			start = true
		case "re":
			re = true
		case "i", "m", "s":
			if i == 0 || !re {
				return nil, fmt.Errorf("modifier %q is only valid after re", m)
			}
			reFlags += m
		case "cidr":
			cidr = true
		case "base64":
			b64 = true
		case "base64offset":
			b64off = true
		case "gt", "gte", "lt", "lte":
			if cmp != "" {
				return nil, fmt.Errorf("only one of gt, gte, lt, lte is allowed")
			}
			cmp = m
		case "exists", "fieldref", "neq":
			return nil, fmt.Errorf("modifier %q cannot be combined with other modifiers here", m)
		default:
			return nil, fmt.Errorf("unknown modifier %q", m)
		}
	}
	if fn.all && len(values) < 2 {
		return nil, fmt.Errorf("the all modifier needs more than one value")
	}
	kinds := 0
	for _, b := range []bool{re, cidr, cmp != ""} {
		if b {
			kinds++
		}
	}
	if kinds > 1 || (kinds == 1 && (wrap || start || end || b64 || b64off || cased)) {
		return nil, fmt.Errorf("modifiers %s cannot be combined", strings.Join(mods, "|"))
	}
	for _, v := range values {
		switch {
		case re:
			if v.ShortTag() != "!!str" {
				return nil, fmt.Errorf("line %d: re needs a string value", v.Line)
			}
			expr := v.Value
			if reFlags != "" {
				expr = "(?" + reFlags + ")" + expr
			}
			r, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("line %d: regular expression %q: %v", v.Line, v.Value, err)
			}
			fn.values = append(fn.values, regexpMatcher{r})
		case cidr:
			p, err := netip.ParsePrefix(v.Value)
			if err != nil {
				return nil, fmt.Errorf("line %d: cidr: %v", v.Line, err)
			}
			fn.values = append(fn.values, cidrMatcher{p.Masked()})
		case cmp != "":
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
				return nil, fmt.Errorf("line %d: %s needs a number, got %q", v.Line, cmp, v.Value)
			}
			fn.values = append(fn.values, compareMatcher{op: cmp, n: f})
		case !(wrap || start || end || b64 || b64off || cased) && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float"):
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil {
				fn.values = append(fn.values, stringMatcher{compilePattern(literalSegments(v.Value), false)})
				continue
			}
			fn.values = append(fn.values, numberMatcher{n: f, raw: v.Value})
		case !(wrap || start || end || b64 || b64off || cased) && v.ShortTag() == "!!bool":
			fn.values = append(fn.values, boolMatcher{v.Value == "true"})
		case v.ShortTag() == "!!null":
			return nil, fmt.Errorf("line %d: null cannot take modifiers or be in a list", v.Line)
		default:
			variants := [][]segment{parseSigmaString(v.Value)}
			if b64 || b64off {
				plain, ok := plainLiteral(variants[0])
				if !ok {
					return nil, fmt.Errorf("line %d: base64 modifiers cannot encode wildcards", v.Line)
				}
				variants = base64Variants(plain, b64off)
			}
			for _, segs := range variants {
				segs = wrapStars(segs, wrap || start, wrap || end)
				fn.values = append(fn.values, stringMatcher{compilePattern(segs, cased)})
			}
		}
	}
	return fn, nil
}

// wrapStars adds a * wildcard before and/or after a value, as contains,
// startswith and endswith do.
func wrapStars(segs []segment, before, after bool) []segment {
	out := make([]segment, 0, len(segs)+2)
	if before && (len(segs) == 0 || segs[0].wild != '*') {
		out = append(out, segment{wild: '*'})
	}
	out = append(out, segs...)
	if after && (len(out) == 0 || out[len(out)-1].wild != '*') {
		out = append(out, segment{wild: '*'})
	}
	return out
}

// base64Variants encodes s; with offsets it returns the three shifted
// encodings whose stable middle part appears wherever s sits inside a
// longer base64-encoded text.
func base64Variants(s string, offsets bool) [][]segment {
	if !offsets {
		return [][]segment{literalSegments(base64.StdEncoding.EncodeToString([]byte(s)))}
	}
	starts := []int{0, 2, 3}
	ends := []int{0, 3, 2}
	var out [][]segment
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, i), s...))
		lo, hi := starts[i], len(enc)-ends[(len(s)+i)%3]
		if lo >= hi {
			continue
		}
		out = append(out, literalSegments(enc[lo:hi]))
	}
	return out
}
