package detect

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// segment is one piece of a Sigma string value: a literal run, or one of
// the wildcards * (any run) and ? (one character).
type segment struct {
	lit  string
	wild byte // 0 for a literal, '*' or '?'
}

// parseSigmaString splits a Sigma string value into literals and wildcards,
// applying the specification's escaping: a backslash escapes a following *,
// ? or backslash; any other backslash is literal. So `\*` is a plain star,
// `\\*` a backslash then a wildcard, `\\\*` a backslash and a plain star, and
// `C:\Windows` keeps its backslash.
func parseSigmaString(s string) []segment {
	var segs []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			lit.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			if c == '*' && len(segs) > 0 && segs[len(segs)-1].wild == '*' {
				continue // ** is the same as *
			}
			segs = append(segs, segment{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return segs
}

// literalSegments returns a segment list that matches s exactly.
func literalSegments(s string) []segment {
	if s == "" {
		return nil
	}
	return []segment{{lit: s}}
}

// plainLiteral returns the text of a wildcard-free segment list.
func plainLiteral(segs []segment) (string, bool) {
	var b strings.Builder
	for _, s := range segs {
		if s.wild != 0 {
			return "", false
		}
		b.WriteString(s.lit)
	}
	return b.String(), true
}

type patternKind uint8

const (
	patExact patternKind = iota
	patPrefix
	patSuffix
	patContains
	patAny // a lone *: any string
	patRegexp
)

// pattern is a compiled wildcard string matcher. The common shapes (exact,
// prefix, suffix, contains) avoid regular expressions.
type pattern struct {
	kind  patternKind
	lit   string
	cased bool
	re    *regexp.Regexp
}

func compilePattern(segs []segment, cased bool) pattern {
	p := pattern{cased: cased}
	n := len(segs)
	star := func(i int) bool { return i >= 0 && i < n && segs[i].wild == '*' }
	switch {
	case n == 0:
		return pattern{kind: patExact, cased: cased}
	case n == 1 && segs[0].wild == 0:
		p.kind, p.lit = patExact, segs[0].lit
		return p
	case n == 1 && star(0):
		p.kind = patAny
		return p
	case n == 2 && star(1) && segs[0].wild == 0:
		p.kind, p.lit = patPrefix, segs[0].lit
		return p
	case n == 2 && star(0) && segs[1].wild == 0:
		p.kind, p.lit = patSuffix, segs[1].lit
		return p
	case n == 3 && star(0) && star(2) && segs[1].wild == 0:
		p.kind, p.lit = patContains, segs[1].lit
		return p
	}
	var b strings.Builder
	b.WriteString("(?s")
	if !cased {
		b.WriteString("i")
	}
	b.WriteString(")^")
	for _, s := range segs {
		switch s.wild {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(s.lit))
		}
	}
	b.WriteString("$")
	p.kind = patRegexp
	p.re = regexp.MustCompile(b.String()) // built from quoted literals: always valid
	return p
}

func (p *pattern) match(s string) bool {
	switch p.kind {
	case patExact:
		if p.cased {
			return s == p.lit
		}
		return strings.EqualFold(s, p.lit)
	case patPrefix:
		if p.cased {
			return strings.HasPrefix(s, p.lit)
		}
		return hasPrefixFold(s, p.lit)
	case patSuffix:
		if p.cased {
			return strings.HasSuffix(s, p.lit)
		}
		return hasSuffixFold(s, p.lit)
	case patContains:
		if p.cased {
			return strings.Contains(s, p.lit)
		}
		return containsFold(s, p.lit)
	case patAny:
		return true
	default:
		return p.re.MatchString(s)
	}
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	if isASCII(prefix) {
		return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
	}
	return strings.HasPrefix(strings.ToLower(s), strings.ToLower(prefix))
}

func hasSuffixFold(s, suffix string) bool {
	if isASCII(suffix) {
		return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
	}
	return strings.HasSuffix(strings.ToLower(s), strings.ToLower(suffix))
}

func containsFold(s, sub string) bool {
	if !isASCII(sub) {
		return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
	}
	if sub == "" {
		return true
	}
	first := lowerASCII(sub[0])
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerASCII(s[i]) == first && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
