package detect

import (
	"strings"
	"unicode/utf8"
)

// ruleIndex maps an event's (eventSource, eventName), lower-cased, to the
// rules that could match it. A rule whose condition requires eventSource
// and/or eventName to be one of a set of literals is registered under those
// literals only; other rules are catch-all.
type ruleIndex struct {
	byName   map[string][]indexEntry // lower-cased eventName
	bySource map[string][]int        // lower-cased eventSource, rules without a name constraint
	catchAll []int

	pf Prefilter
}

func buildIndex(rules []*compiledRule) ruleIndex {
	ix := ruleIndex{byName: map[string][]indexEntry{}, bySource: map[string][]int{}}
	seenPair, seenName, seenSource := map[EventKey]bool{}, map[string]bool{}, map[string]bool{}
	for i, cr := range rules {
		src, srcOK := requiredLiterals(cr.cond, "eventSource")
		name, nameOK := requiredLiterals(cr.cond, "eventName")
		switch {
		case srcOK && nameOK:
			for _, s := range src {
				for _, n := range name {
					k := EventKey{strings.ToLower(s), strings.ToLower(n)}
					ix.byName[k.Name] = append(ix.byName[k.Name], indexEntry{source: k.Source, rule: i})
					if !seenPair[k] {
						seenPair[k] = true
						ix.pf.Pairs = append(ix.pf.Pairs, EventKey{s, n})
					}
				}
			}
		case nameOK:
			for _, n := range name {
				k := strings.ToLower(n)
				ix.byName[k] = append(ix.byName[k], indexEntry{rule: i})
				if !seenName[k] {
					seenName[k] = true
					ix.pf.Names = append(ix.pf.Names, n)
				}
			}
		case srcOK:
			for _, s := range src {
				k := strings.ToLower(s)
				ix.bySource[k] = append(ix.bySource[k], i)
				if !seenSource[k] {
					seenSource[k] = true
					ix.pf.Sources = append(ix.pf.Sources, s)
				}
			}
		default:
			ix.catchAll = append(ix.catchAll, i)
			ix.pf.CatchAll = true
		}
	}
	return ix
}

func (ix *ruleIndex) prefilter() Prefilter {
	pf := ix.pf
	pf.Pairs = append([]EventKey(nil), pf.Pairs...)
	pf.Names = append([]string(nil), pf.Names...)
	pf.Sources = append([]string(nil), pf.Sources...)
	return pf
}

// indexEntry is a rule registered under an eventName, for one eventSource
// (lower-cased) or for any ("").
type indexEntry struct {
	source string
	rule   int
}

// candidates appends to out the indexes of the rules that could match. The
// common case, an event no rule names, costs one map lookup.
func (ix *ruleIndex) candidates(source, name string, out []int) []int {
	return candidatesOf(ix, source, name, out)
}

// candidatesOf is candidates for decoded strings or for the raw contents
// of JSON strings without escapes (MayMatchRaw); it allocates only for
// non-ASCII input.
func candidatesOf[T string | []byte](ix *ruleIndex, source, name T, out []int) []int {
	var nb [64]byte
	for _, e := range ix.byName[string(lowerInto(nb[:0], name))] {
		if e.source == "" || equalFold(e.source, source) {
			out = append(out, e.rule)
		}
	}
	if len(ix.bySource) > 0 {
		var sb [64]byte
		out = append(out, ix.bySource[string(lowerInto(sb[:0], source))]...)
	}
	return append(out, ix.catchAll...)
}

// mayName reports whether a rule could match an event named name whatever
// its eventSource.
func (ix *ruleIndex) mayName(name []byte) bool {
	var nb [64]byte
	return len(ix.byName[string(lowerInto(nb[:0], name))]) > 0 || len(ix.bySource) > 0 || len(ix.catchAll) > 0
}

// lowerInto lower-cases ASCII s into buf without allocating for short
// strings; non-ASCII input is lower-cased fully.
func lowerInto[T string | []byte](buf []byte, s T) []byte {
	start := len(buf)
	buf = append(buf, s...)
	for i := start; i < len(buf); i++ {
		switch c := buf[i]; {
		case c >= utf8.RuneSelf:
			return append(buf[:start], strings.ToLower(string(s))...)
		case 'A' <= c && c <= 'Z':
			buf[i] = c + 'a' - 'A'
		}
	}
	return buf
}

// equalFold is strings.EqualFold(a, string(b)), converting b only when
// either is not ASCII.
func equalFold[T string | []byte](a string, b T) bool {
	if !isASCII(a) || !isASCII(b) {
		return strings.EqualFold(a, string(b))
	}
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// requiredLiterals reports whether condition n can only hold when field
// equals one of a finite set of literals (compared case-insensitively), and
// returns them as written in the rule.
func requiredLiterals(n node, field string) ([]string, bool) {
	switch n := n.(type) {
	case *fieldNode:
		if n.name != field || n.all {
			return nil, false
		}
		var out []string
		for _, v := range n.values {
			sm, ok := v.(stringMatcher)
			if !ok || sm.p.kind != patExact {
				return nil, false
			}
			out = append(out, sm.p.lit)
		}
		return out, true
	case andNode:
		var (
			set []string
			ok  bool
		)
		for _, c := range n {
			lits, cok := requiredLiterals(c, field)
			if !cok {
				continue
			}
			if !ok {
				set, ok = lits, true
				continue
			}
			set = intersectFold(set, lits)
		}
		return set, ok
	case orNode:
		var set []string
		for _, c := range n {
			lits, ok := requiredLiterals(c, field)
			if !ok {
				return nil, false
			}
			set = unionFold(set, lits)
		}
		return set, len(n) > 0
	}
	return nil, false
}

func intersectFold(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

func unionFold(a, b []string) []string {
	out := a
	for _, y := range b {
		found := false
		for _, x := range out {
			if strings.EqualFold(x, y) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, y)
		}
	}
	return out
}
