package detect

import (
	"fmt"
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
