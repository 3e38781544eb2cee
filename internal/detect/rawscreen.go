package detect

import (
	"bytes"
)

// A rule's condition often cannot hold unless the record has some member:
// rule 8 needs requestParameters' x-amz-server-side-encryption-aws-kms-key-id,
// which half the S3 writes lack. Engine.MayMatchRaw checks such members on
// the raw record, so that a reader decodes only records some rule could
// still match. The check is exact in one direction: it never turns away a
// record a rule would match.

// keyClause is satisfied when the record holds a member named by any of
// its keys (at any depth: the check is a necessary condition).
type keyClause [][]byte

// derivedNeeds names, for a derived field whose true value requires a raw
// member, that member (see Deriver).
func derivedNeeds(field string) (member string, ok bool) {
	if field == DerivedPrefix+".s3.foreignKmsKey" {
		return "x-amz-server-side-encryption-aws-kms-key-id", true
	}
	return "", false
}

// requiredKeys returns clauses that every record matching n satisfies.
func requiredKeys(n node) []keyClause {
	switch n := n.(type) {
	case *fieldNode:
		if len(n.values) == 0 || len(n.path) == 0 {
			return nil
		}
		leaf := n.path[len(n.path)-1]
		if n.name == "eventSource" || n.name == "eventName" {
			return nil // the index has these already
		}
		if n.path[0] != DerivedPrefix {
			return clauseOf(leaf)
		}
		raw, ok := derivedNeeds(n.name)
		if !ok {
			return nil
		}
		for _, v := range n.values {
			if b, ok := v.(boolMatcher); !ok || !b.b {
				return nil
			}
		}
		// Derive sets the field from raw; without it (an event Derive does
		// not handle) the record's own member counts.
		return clauseOf(raw, leaf)
	case existsNode:
		if !n.want || len(n.path) == 0 {
			return nil
		}
		return clauseOf(n.path[len(n.path)-1])
	case andNode:
		var out []keyClause
		for _, c := range n {
			out = append(out, requiredKeys(c)...)
		}
		return out
	case orNode:
		var union keyClause
		for _, c := range n {
			cs := requiredKeys(c)
			if len(cs) == 0 {
				return nil
			}
			union = append(union, cs[0]...)
		}
		if len(union) == 0 {
			return nil
		}
		return []keyClause{union}
	}
	return nil
}

// clauseOf returns a clause of keys, or none when a key could be spelt in
// raw JSON otherwise than by its own bytes without a \u escape.
func clauseOf(keys ...string) []keyClause {
	var c keyClause
	for _, k := range keys {
		if !plainKey(k) {
			return nil
		}
		c = append(c, []byte(k+`"`))
	}
	return []keyClause{c}
}

// plainKey reports whether key is made of bytes JSON writes as themselves
// unless \u-escaped: letters, digits and - _ . : (no '/', which \/ spells).
func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// hasKeys reports whether raw holds, for every clause, one of its keys
// spelt literally.
func hasKeys(raw []byte, clauses []keyClause) bool {
	for _, c := range clauses {
		ok := false
		for _, k := range c {
			if bytes.Contains(raw, k) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// MayMatchRaw reports whether a rule could match the raw record whose
// eventSource and eventName (as Decode would read them) are given, judging
// by the members the rules indexed under that event require. False means
// no rule can match; true means decode and Match. A record with a \u
// escape may spell keys otherwise, so it may match them all; the record is
// searched for one at most once, and only when a rule requires a member.
func (e *Engine) MayMatchRaw(eventSource, eventName string, raw []byte) bool {
	var buf [8]int
	searched, escaped := false, false
	for _, i := range e.index.candidates(eventSource, eventName, buf[:0]) {
		needs := e.rules[i].needs
		if len(needs) == 0 {
			return true
		}
		if !searched {
			searched, escaped = true, bytes.Contains(raw, []byte(`\u`))
		}
		if escaped || hasKeys(raw, needs) {
			return true
		}
	}
	return false
}
