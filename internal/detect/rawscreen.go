package detect

import (
	"bytes"
)

// A rule's condition often cannot hold unless the raw record has some
// member, or some relation between members: rule 8 needs requestParameters'
// x-amz-server-side-encryption-aws-kms-key-id, which half the S3 writes
// lack, naming a key of an account other than the bucket owner, which
// almost every write with one does not. Engine.MayMatchRaw asks such
// necessary conditions of the raw record, so that a reader decodes only
// records some rule could still match. The checks are exact in one
// direction: they never turn away a record a rule would match.

// rawCheck is a necessary condition of a rule on a raw record that has no
// \u escape (MayMatchRaw lets those through: they may spell keys
// otherwise): false means the rule cannot match the record.
type rawCheck interface {
	holds(raw []byte) bool
}

// keyClause holds when the record has a member named by one of its keys
// (at any depth: the check is a necessary condition).
type keyClause [][]byte

func (c keyClause) holds(raw []byte) bool {
	for _, k := range c {
		if bytes.Contains(raw, k) {
			return true
		}
	}
	return false
}

// anyCheck holds when one of its checks does: the branches of an or.
type anyCheck []rawCheck

func (c anyCheck) holds(raw []byte) bool {
	for _, k := range c {
		if k.holds(raw) {
			return true
		}
	}
	return false
}

// derivedCheck returns, for a derived field whose true value needs
// something of the raw record, a check of it (see Deriver). The record's
// own member under that name counts too: Derive leaves events it does not
// handle as they are.
func derivedCheck(field string) (rawCheck, bool) {
	if field != DerivedPrefix+".s3.foreignKmsKey" {
		return nil, false
	}
	own := clauseOf("foreignKmsKey")
	if own == nil {
		return nil, false
	}
	return anyCheck{foreignKmsKeyCheck{}, own[0]}, true
}

// requiredChecks returns checks that every record matching n passes.
func requiredChecks(n node) []rawCheck {
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
		check, ok := derivedCheck(n.name)
		if !ok {
			return nil
		}
		for _, v := range n.values {
			if b, ok := v.(boolMatcher); !ok || !b.b {
				return nil
			}
		}
		return []rawCheck{check}
	case existsNode:
		if !n.want || len(n.path) == 0 {
			return nil
		}
		return clauseOf(n.path[len(n.path)-1])
	case andNode:
		var out []rawCheck
		for _, c := range n {
			out = append(out, requiredChecks(c)...)
		}
		return out
	case orNode:
		if len(n) == 0 {
			return nil
		}
		var branches []rawCheck
		for _, c := range n {
			cs := requiredChecks(c)
			if len(cs) == 0 {
				return nil
			}
			branches = append(branches, cs[0])
		}
		return []rawCheck{orOf(branches)}
	}
	return nil
}

// orOf returns a check that holds when one of branches does: one clause
// when every branch is a clause of keys.
func orOf(branches []rawCheck) rawCheck {
	var union keyClause
	for _, b := range branches {
		c, ok := b.(keyClause)
		if !ok {
			return anyCheck(branches)
		}
		union = append(union, c...)
	}
	return union
}

// clauseOf returns a clause of keys, or none when a key could be spelt in
// raw JSON otherwise than by its own bytes without a \u escape.
func clauseOf(keys ...string) []rawCheck {
	var c keyClause
	for _, k := range keys {
		if !plainKey(k) {
			return nil
		}
		c = append(c, []byte(k+`"`))
	}
	return []rawCheck{c}
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

// foreignKmsKeyCheck is kmsguard.s3.foreignKmsKey on the raw record: Derive
// sets it when the x-amz-server-side-encryption-aws-kms-key-id is an ARN
// (or account id) of an account other than the bucket owner, the accountId
// of the AWS::S3::Bucket resource or else recipientAccountId. Both are
// string values of members named accountId or recipientAccountId, so the
// check holds when some such key names an account and some such member
// holds another non-empty string. A record with a backslash is let
// through: a quote in a string could hide or fake a member.
type foreignKmsKeyCheck struct{}

func (foreignKmsKeyCheck) holds(raw []byte) bool {
	if bytes.IndexByte(raw, '\\') >= 0 {
		return true
	}
	// Every S3 write with a rule-8 name is asked, so the searches start on
	// rare bytes ('x', 'I'): a search for a pattern starting with '"' is
	// slow in JSON.
	var accounts [][]byte
	forEachStringMember(raw, kmsKeyIDKey, func(v []byte) {
		if acct := accountOf(v); len(acct) > 0 {
			accounts = append(accounts, acct)
		}
	})
	if len(accounts) == 0 {
		return false
	}
	foreign := false
	forEachOwnerCandidate(raw, func(owner []byte) {
		for _, acct := range accounts {
			foreign = foreign || (len(owner) > 0 && string(owner) != string(acct))
		}
	})
	return foreign
}

var kmsKeyIDKey = []byte("x-amz-server-side-encryption-aws-kms-key-id")

// forEachStringMember calls fn with the value of every member of raw (a
// record without backslashes, so a quote always ends a string) named key
// whose value is a string, at any depth.
func forEachStringMember(raw, key []byte, fn func(v []byte)) {
	for i := 0; ; {
		k := bytes.Index(raw[i:], key)
		if k < 0 {
			return
		}
		k += i
		i = k + len(key)
		if k == 0 || raw[k-1] != '"' || i >= len(raw) || raw[i] != '"' {
			continue // part of a longer string
		}
		if v, ok := stringValueAfterKey(raw, i+1); ok {
			fn(v)
		}
	}
}

// forEachOwnerCandidate calls fn with the string value of every member of
// raw (without backslashes) named accountId or recipientAccountId.
func forEachOwnerCandidate(raw []byte, fn func(v []byte)) {
	for i := 0; ; {
		k := bytes.IndexByte(raw[i:], 'I')
		if k < 0 {
			return
		}
		k += i
		i = k + 1
		if k+2 >= len(raw) || raw[k+1] != 'd' || raw[k+2] != '"' {
			continue
		}
		if !bytes.HasSuffix(raw[:k], []byte(`"account`)) && !bytes.HasSuffix(raw[:k], []byte(`"recipientAccount`)) {
			continue
		}
		if v, ok := stringValueAfterKey(raw, k+3); ok {
			fn(v)
		}
	}
}

// stringValueAfterKey returns the string at raw[i:] after white space, a
// colon and white space: the value of the key that ends just before i.
// ok is false when the string there is no key or its value no string.
func stringValueAfterKey(raw []byte, i int) (v []byte, ok bool) {
	j := skipSpace(raw, i)
	if j >= len(raw) || raw[j] != ':' {
		return nil, false // a string value, not a key
	}
	j = skipSpace(raw, j+1)
	if j >= len(raw) || raw[j] != '"' {
		return nil, false
	}
	e := bytes.IndexByte(raw[j+1:], '"')
	if e < 0 {
		return nil, false
	}
	return raw[j+1 : j+1+e], true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// MayMatchRaw reports whether a rule could match the raw record whose
// top-level eventSource and eventName, as Decode would read them, are
// source and name: the contents of JSON strings without escapes, source
// nil when it cannot be read so (absent, not a string, escaped). It looks
// the event up in the rule index like Match does, then asks the checks of
// the rules found. False means no rule can match; true means decode and
// Match. A record with a \u escape may spell keys otherwise, so it may
// match them all; the record is searched for one at most once, and only
// when a rule has checks. It does not allocate for ASCII names.
func (e *Engine) MayMatchRaw(source, name, raw []byte) bool {
	if source == nil {
		return e.index.mayName(name)
	}
	var buf [8]int
	searched, escaped := false, false
	for _, i := range candidatesOf(&e.index, source, name, buf[:0]) {
		checks := e.rules[i].checks
		if len(checks) == 0 {
			return true
		}
		if !searched {
			searched, escaped = true, bytes.Contains(raw, []byte(`\u`))
		}
		if escaped || allHold(raw, checks) {
			return true
		}
	}
	return false
}

func allHold(raw []byte, checks []rawCheck) bool {
	for _, c := range checks {
		if !c.holds(raw) {
			return false
		}
	}
	return true
}
