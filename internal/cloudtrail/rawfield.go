package cloudtrail

import "bytes"

// RawString returns the value of the top-level string member key of a raw
// record without decoding it: the bytes between the quotes, still JSON
// escaped (eventSource and eventName values never contain escapes). ok is
// false when the key is absent or its value is not a string. Nested
// members of the same name (as in Insight records) are not confused with
// the top-level one. It allocates nothing; the result aliases raw.
//
// Detection uses RawNameSource instead, which also rules out later
// duplicates and escaped keys, to pick the rules that could match a record
// before paying for Decode. To merely screen records, bytes.Contains with the value itself
// (`kms.amazonaws.com"`) is faster still, ~13 GB/s against ~2.5 GB/s; a
// pattern starting with '"' (`"eventSource":"kms...`) is ~30x slower than
// the value alone, because '"' is the commonest byte in JSON.
func RawString(raw []byte, key string) (value []byte, ok bool) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	forEachMember(raw, func(k []byte, a, b int) bool {
		if string(k) != key {
			return true
		}
		if raw[a] == '"' && b-a >= 2 {
			value, ok = raw[a+1:b-1], true
		}
		return false
	})
	return value, ok
}

// RawLastStrings walks every top-level member of a raw record once and
// returns the values of the members named key1 and key2 as RawString does
// (the bytes between the quotes, still escaped; nil when absent or not a
// string), but decided as Decode decides: keys are compared after
// unescaping, and of duplicate members the last one counts. ok is false
// when raw is not an object the walk can follow to its closing brace; the
// caller then decodes. Nested members of the same names are not confused
// with top-level ones. It allocates nothing unless a key has escapes.
func RawLastStrings(raw []byte, key1, key2 string) (v1, v2 []byte, ok bool) {
	v1, v2, _, ok = walkStrings(raw, key1, key2, false)
	return v1, v2, ok
}

// rawFirstStrings is RawLastStrings for the common case, stopping once it
// has met members named key1 and key2 instead of walking the whole record
// (the last of duplicates met so far counts): rest is what follows (only
// the closing brace when one is absent, as the walk has then covered
// everything). A member of the same name in rest would override the value
// found; callers that cannot rule that out by searching rest fall back to
// RawLastStrings.
func rawFirstStrings(raw []byte, key1, key2 string) (v1, v2, rest []byte, ok bool) {
	return walkStrings(raw, key1, key2, true)
}

// walkStrings is the member walk of RawLastStrings and rawFirstStrings:
// with first it stops once both keys have been met.
func walkStrings(raw []byte, key1, key2 string, first bool) (v1, v2, rest []byte, ok bool) {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, nil, nil, false
	}
	if i = skipWS(raw, i+1); i < len(raw) && raw[i] == '}' {
		return nil, nil, nil, true
	}
	found1, found2 := false, false
	for {
		if i >= len(raw) || raw[i] != '"' {
			return nil, nil, nil, false
		}
		ke := valueEnd(raw, i)
		if ke < 0 {
			return nil, nil, nil, false
		}
		key := raw[i+1 : ke-1]
		if i = skipWS(raw, ke); i >= len(raw) || raw[i] != ':' {
			return nil, nil, nil, false
		}
		a := skipWS(raw, i+1)
		b := valueEnd(raw, a)
		if b < 0 {
			return nil, nil, nil, false
		}
		if k1, k2 := keyIs(key, key1), keyIs(key, key2); k1 || k2 {
			var v []byte
			if raw[a] == '"' && b-a >= 2 {
				v = raw[a+1 : b-1]
			}
			if k1 {
				v1, found1 = v, true
			} else {
				v2, found2 = v, true
			}
			if first && found1 && found2 {
				return v1, v2, raw[b:], true
			}
		}
		switch i = skipWS(raw, b); {
		case i < len(raw) && raw[i] == ',':
			i = skipWS(raw, i+1)
		case i < len(raw) && raw[i] == '}':
			return v1, v2, raw[i:], true
		default:
			return nil, nil, nil, false
		}
	}
}
