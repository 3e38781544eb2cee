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

// compileValues compiles the values of one field with its modifiers into a
// fieldNode.
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
	// plain values carry no string modifier, so numbers and booleans keep
	// their type.
	plain := !wrap && !start && !end && !b64 && !b64off && !cased
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
				return nil, fmt.Errorf("line %d: regular expression %q: %w", v.Line, v.Value, err)
			}
			fn.values = append(fn.values, regexpMatcher{r})
		case cidr:
			p, err := netip.ParsePrefix(v.Value)
			if err != nil {
				return nil, fmt.Errorf("line %d: cidr: %w", v.Line, err)
			}
			fn.values = append(fn.values, cidrMatcher{p.Masked()})
		case cmp != "":
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
				return nil, fmt.Errorf("line %d: %s needs a number, got %q", v.Line, cmp, v.Value)
			}
			fn.values = append(fn.values, compareMatcher{op: cmp, n: f})
		case plain && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float"):
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil {
				fn.values = append(fn.values, stringMatcher{compilePattern(literalSegments(v.Value), false)})
				continue
			}
			fn.values = append(fn.values, numberMatcher{n: f, raw: v.Value})
		case plain && v.ShortTag() == "!!bool":
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
