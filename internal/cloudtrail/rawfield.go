package cloudtrail

import "bytes"

// RawString returns the value of the top-level string member key of a raw
// record without decoding it: the bytes between the quotes, still JSON
// escaped (eventSource and eventName values never contain escapes). ok is
// false when the key is absent or its value is not a string. Nested
// members of the same name (as in Insight records) are not confused with
// the top-level one. It allocates nothing; the result aliases raw.
//
// The detection layer uses it to pick the rules that could match a record
// (indexed by eventSource and eventName) before paying for Decode. To
// merely screen records, bytes.Contains with the value itself
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
