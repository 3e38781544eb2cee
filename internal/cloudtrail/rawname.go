package cloudtrail

import "bytes"

// RawNameSource returns a raw record's top-level eventName and eventSource
// exactly as RawLastStrings(raw, "eventName", "eventSource") does (the
// last of duplicate members, keys unescaped, nested members ignored; nil
// when absent or not a string; ok false for a record to decode), but fast:
// detection calls it on every record to choose the few worth decoding.
//
// A record without a backslash spells every key literally and no string
// in it holds a quote, so the members can be found by searching for the
// literal "eventName" and "eventSource" strings (SIMD, on the rare byte
// pair "tN"/"tS" in their middles, in the same pass that looks for
// backslashes) and checking, with the block walk, that each is a key at
// depth 1. Records with a backslash, duplicates and anything unusual take
// the member-by-member walk.
//
// The answer never depends on the CPU: without AVX2 the same search runs
// with the portable classifier and anchor loop. That matters for damaged
// records, which this does not validate (damage between members that the
// search passes over still gives ok): a machine without AVX2 must skip or
// report exactly the records an AVX2 machine does.
func RawNameSource(raw []byte) (name, source []byte, ok bool) {
	return rawNameSource(raw, haveSIMD)
}

// rawNameSource is RawNameSource with the SIMD classifier and anchor search
// (simd) or their portable equivalents.
func rawNameSource(raw []byte, simd bool) (name, source []byte, ok bool) {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, nil, false
	}
	mode := walkBlocksGeneric
	if simd {
		mode = walkBlocksSIMD
	}
	w := newBlockWalk(mode, 0)
	walked := i // the walk's state is that at raw[walked]
	var found [2]bool
	var vals [2][]byte
	for from := i; ; {
		k := indexAnchor(raw[from:], simd)
		if k < 0 {
			break
		}
		k += from
		from = k + 1
		if raw[k] == '\\' {
			return RawLastStrings(raw, "eventName", "eventSource")
		}
		var which int
		switch {
		case raw[k+1] == 'N' && hasAt(raw, k-5, `"eventName"`):
			which = 0
		case raw[k+1] == 'S' && hasAt(raw, k-5, `"eventSource"`):
			which = 1
		default:
			continue
		}
		q := k - 5
		if q < walked {
			continue // inside what the walk has passed
		}
		c := skipWS(raw, q+len(`"eventName"`)+2*which)
		if c >= len(raw) || raw[c] != ':' {
			continue // a string value, not a key
		}
		if !onlyCommas(raw[walked:q]) {
			if w.advance(raw[:q], walked) >= 0 {
				return RawLastStrings(raw, "eventName", "eventSource") // the object closed before q
			}
			walked = q
			if w.depth != 1 || w.inStr != 0 {
				continue // nested, or not where a key starts
			}
		}
		if found[which] {
			return RawLastStrings(raw, "eventName", "eventSource") // a duplicate member
		}
		found[which] = true
		a := skipWS(raw, c+1)
		if a >= len(raw) || raw[a] != '"' {
			continue // not a string: nil
		}
		e := indexQuoteOrBackslash(raw[a+1:])
		if e < 0 || raw[a+1+e] != '"' {
			return RawLastStrings(raw, "eventName", "eventSource") // unclosed, or escapes ahead
		}
		vals[which] = raw[a+1 : a+1+e]
		// After a string member at depth 1 the walk's state is known
		// without walking: depth 1, outside strings.
		walked = a + e + 2
		from = walked
	}
	return vals[0], vals[1], true
}

// onlyCommas reports whether b holds nothing but white space and commas,
// which leave a walk's state as it is.
func onlyCommas(b []byte) bool {
	for _, c := range b {
		if c != ',' && !isSpace(c) {
			return false
		}
	}
	return true
}

// indexQuoteOrBackslash returns the index of the first '"' or '\\' in b, or -1.
func indexQuoteOrBackslash(b []byte) int {
	for i, c := range b {
		if c == '"' || c == '\\' {
			return i
		}
	}
	return -1
}

func hasAt(b []byte, i int, lit string) bool {
	return i >= 0 && i+len(lit) <= len(b) && string(b[i:i+len(lit)]) == lit
}

// rawNameSourcePortable is RawNameSource without SIMD: CloudTrail writes
// both members once, early in the record, so the walk stops there unless
// the rest of the record could hold another member of either name
// (spelt plainly, or with escapes), and only then walks every member.
func rawNameSourcePortable(raw []byte) (name, source []byte, ok bool) {
	name, source, rest, ok := rawFirstStrings(raw, "eventName", "eventSource")
	if !ok || !mayRename(rest) {
		return name, source, ok
	}
	return RawLastStrings(raw, "eventName", "eventSource")
}

// mayRename reports whether rest may hold a member named eventName or
// eventSource: the names' tails (searching for "vent" is fast, a pattern
// starting with '"' is not) or an escape.
func mayRename(rest []byte) bool {
	if bytes.IndexByte(rest, '\\') >= 0 {
		return true
	}
	for {
		k := bytes.Index(rest, []byte("vent"))
		if k < 0 {
			return false
		}
		rest = rest[k+4:]
		if bytes.HasPrefix(rest, []byte(`Name"`)) || bytes.HasPrefix(rest, []byte(`Source"`)) {
			return true
		}
	}
}
