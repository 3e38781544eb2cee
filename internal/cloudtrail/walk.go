package cloudtrail

import (
	"bytes"
	"encoding/json"
)

// In-memory walk over a complete JSON value already read (the Scanner's
// streaming walk is in scan_struct.go).

func skipWS(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// valueEnd returns the index after the value starting at b[i], or -1 when
// the value is not closed within b.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for j := i + 1; ; {
			k := bytes.IndexByte(b[j:], '"')
			if k < 0 {
				return -1
			}
			q := j + k
			n := 0
			for p := q - 1; b[p] == '\\'; p-- {
				n++
			}
			if n%2 == 0 {
				return q + 1
			}
			j = q + 1
		}
	case '{', '[':
		if haveSIMD {
			w := newBlockWalk(walkBlocksSIMD, 0)
			return w.advance(b, i)
		}
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := valueEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) {
		c := b[j]
		if c == ',' || c == ']' || c == '}' || c == '{' || c == '[' || c == '"' || c == ':' || isSpace(c) {
			break
		}
		j++
	}
	if j == i {
		return i + 1 // a lone delimiter: step over it
	}
	return j
}

// forEachMember calls fn with each key (raw, without quotes) and the bounds
// of its value in obj, a JSON object. It stops at the first malformed member.
func forEachMember(obj []byte, fn func(key []byte, a, b int) bool) {
	i := skipWS(obj, 1)
	for i < len(obj) && obj[i] == '"' {
		ke := valueEnd(obj, i)
		if ke < 0 {
			return
		}
		key := obj[i+1 : ke-1]
		i = skipWS(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return
		}
		a := skipWS(obj, i+1)
		b := valueEnd(obj, a)
		if b < 0 || !fn(key, a, b) {
			return
		}
		i = skipWS(obj, b)
		if i >= len(obj) || obj[i] != ',' {
			return
		}
		i = skipWS(obj, i+1)
	}
}

// keyIs compares a raw JSON key with name, unescaping only when needed.
func keyIs(raw []byte, name string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == name
	}
	var s string
	if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s); err != nil {
		return false
	}
	return s == name
}

// member returns the bounds of the value of key in obj (the last one, as
// encoding/json does with duplicate keys).
func member(obj []byte, key string) (a, b int, ok bool) {
	forEachMember(obj, func(k []byte, va, vb int) bool {
		if keyIs(k, key) {
			a, b, ok = va, vb, true
		}
		return true
	})
	return a, b, ok
}

// startsWithKey reports whether obj's first key is quotedKey (with its
// quotes, unescaped).
func startsWithKey(obj []byte, quotedKey string) bool {
	i := skipWS(obj, 1)
	return i < len(obj) && bytes.HasPrefix(obj[i:], []byte(quotedKey))
}

// recordsArray returns the bounds of obj's "Records" value when it is an array.
func recordsArray(obj []byte) (a, b int, ok bool) {
	a, b, ok = member(obj, "Records")
	if !ok || obj[a] != '[' {
		return 0, 0, false
	}
	return a, b, true
}

// forEachElement calls fn with the bounds of each element of arr.
func forEachElement(arr []byte, fn func(a, b int)) {
	i := skipWS(arr, 1)
	for i < len(arr) && arr[i] != ']' {
		e := valueEnd(arr, i)
		if e < 0 {
			return
		}
		fn(i, e)
		i = skipWS(arr, e)
		if i < len(arr) && arr[i] == ',' {
			i = skipWS(arr, i+1)
		}
	}
}
