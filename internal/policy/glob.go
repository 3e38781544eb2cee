package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// globKind is the kind of one element of a wildcard pattern.
type globKind uint8

const (
	globLit  globKind = iota // one literal character
	globStar                 // '*': any run of characters, including none
	globAny                  // '?': exactly one character
	globVar                  // a policy variable such as ${aws:username}
)

// globTok is one element of a compiled pattern.
type globTok struct {
	kind   globKind
	r      rune   // globLit
	key    string // globVar: the condition key, lower-case
	def    string // globVar: the default value
	hasDef bool
}

// glob is a compiled wildcard pattern as used in Action, Resource and the
// String*Like / Arn* condition operators. In AWS these wildcards may span
// any character, including ':' and '/'.
type glob []globTok

// compileGlob compiles a pattern. With variables, ${key} and
// ${key, 'default'} become policy variables and ${*}, ${?} and ${$} are
// the literal characters; without, every character but * and ? is literal.
func compileGlob(s string, variables bool) glob {
	g := make(glob, 0, len(s))
	for i := 0; i < len(s); {
		if variables && strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i:], '}'); end > 0 {
				if tok, ok := parseVariable(s[i+2 : i+end]); ok {
					g = append(g, tok)
					i += end + 1
					continue
				}
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		g = append(g, charTok(r))
		i += size
	}
	return g
}

// charTok is the token of one pattern character outside a variable.
func charTok(r rune) globTok {
	switch r {
	case '*':
		return globTok{kind: globStar}
	case '?':
		return globTok{kind: globAny}
	}
	return globTok{kind: globLit, r: r}
}

// parseVariable parses the inside of ${...}.
func parseVariable(body string) (globTok, bool) {
	switch body {
	case "*", "?", "$":
		return globTok{kind: globLit, r: rune(body[0])}, true
	}
	key, def, hasDef := strings.Cut(body, ",")
	key = strings.TrimSpace(key)
	if key == "" {
		return globTok{}, false
	}
	tok := globTok{kind: globVar, key: strings.ToLower(key)}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return globTok{}, false
		}
		tok.def, tok.hasDef = def[1:len(def)-1], true
	}
	return tok, true
}

// hasVariables reports whether the pattern holds a policy variable.
func (g glob) hasVariables() bool {
	for _, t := range g {
		if t.kind == globVar {
			return true
		}
	}
	return false
}

// resolve substitutes policy variables from the request context. A
// substituted value is literal text (a '*' in it is not a wildcard). It
// reports false when a variable has no single value and no default, in
// which case the pattern matches nothing.
func (g glob) resolve(ctx lowerContext) (glob, bool) {
	if !g.hasVariables() {
		return g, true
	}
	out := make(glob, 0, len(g))
	for _, t := range g {
		if t.kind != globVar {
			out = append(out, t)
			continue
		}
		vals := ctx[t.key]
		var val string
		switch {
		case len(vals) == 1:
			val = vals[0]
		case len(vals) == 0 && t.hasDef:
			val = t.def
		default:
			return nil, false
		}
		for _, r := range val {
			out = append(out, globTok{kind: globLit, r: r})
		}
	}
	return out, true
}

// match reports whether s matches the variable-free pattern g; fold makes
// the comparison case-insensitive. It runs in O(len(g)*len(s)) at worst:
// on a mismatch it only ever backtracks to the most recent '*'.
func (g glob) match(s string, fold bool) bool { return g.matchFold([]rune(s), fold) }

// matchRunes is match on a word given as runes, case-sensitively.
func (g glob) matchRunes(rs []rune) bool { return g.matchFold(rs, false) }

func (g glob) matchFold(rs []rune, fold bool) bool {
	gi, si := 0, 0
	starG, starS := -1, 0
	for si < len(rs) {
		if gi < len(g) {
			t := g[gi]
			switch {
			case t.kind == globStar:
				starG, starS = gi, si
				gi++
				continue
			case t.kind == globAny || (t.kind == globLit && runeEqual(t.r, rs[si], fold)):
				gi++
				si++
				continue
			}
		}
		if starG < 0 {
			return false
		}
		starS++
		gi, si = starG+1, starS
	}
	for gi < len(g) && g[gi].kind == globStar {
		gi++
	}
	return gi == len(g)
}

func runeEqual(a, b rune, fold bool) bool {
	if a == b {
		return true
	}
	return fold && strings.EqualFold(string(a), string(b))
}

// WildcardMatch reports whether s matches pattern, where '*' matches any
// run of characters (including ':' and '/') and '?' exactly one, as in the
// Action and Resource elements; foldCase compares case-insensitively (for
// action names). Policy variables are not interpreted.
func WildcardMatch(pattern, s string, foldCase bool) bool { return matchPattern(pattern, s, foldCase) }

// matchPattern matches s against a pattern with * and ? (no variables)
// without compiling or allocating; fold compares case-insensitively. Like
// glob.match it only backtracks to the most recent '*'.
func matchPattern(pattern, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pattern) {
			// Decoding is inline for ASCII, which is nearly every ARN and
			// action name.
			pr, psize := rune(pattern[pi]), 1
			if pr >= utf8.RuneSelf {
				pr, psize = utf8.DecodeRuneInString(pattern[pi:])
			}
			sr, ssize := rune(s[si]), 1
			if sr >= utf8.RuneSelf {
				sr, ssize = utf8.DecodeRuneInString(s[si:])
			}
			switch {
			case pr == '*':
				starP, starS = pi, si
				pi += psize
				continue
			case pr == '?' || pr == sr || (fold && foldEqual(pr, sr)):
				pi += psize
				si += ssize
				continue
			}
		}
		if starP < 0 {
			return false
		}
		if s[starS] < utf8.RuneSelf {
			starS++
		} else {
			_, size := utf8.DecodeRuneInString(s[starS:])
			starS += size
		}
		pi, si = starP+1, starS
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// foldEqual compares two runes as unicode.ToLower does, with a shortcut
// when both are ASCII (an ASCII rune may still equal a non-ASCII one
// lowered, such as the Kelvin sign and 'k', so the shortcut needs both).
func foldEqual(a, b rune) bool {
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	return unicode.ToLower(a) == unicode.ToLower(b)
}
