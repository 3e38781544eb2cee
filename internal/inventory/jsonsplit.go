package inventory

import "strings"

// A minimal scanner that finds the elements of named top-level arrays in a
// stream of JSON objects, so that the large authorization-details file can be
// decoded element by element on several cores. It validates only structure;
// the elements themselves are decoded (and validated) by encoding/json. When
// it meets anything unexpected it gives up and the caller falls back to
// decoding the whole file serially, which produces the precise error.

type span struct{ start, end int }

type splitter struct {
	data []byte
	bad  bool
}

func (s *splitter) at(i int) byte {
	if i >= len(s.data) {
		s.bad = true
		return 0
	}
	return s.data[i]
}

func (s *splitter) ws(i int) int {
	for i < len(s.data) {
		switch s.data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// str returns the index after the string that starts at i (a quote).
func (s *splitter) str(i int) int {
	for i++; i < len(s.data); i++ {
		switch s.data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	s.bad = true
	return len(s.data)
}

// value returns the index after the value that starts at i.
func (s *splitter) value(i int) int {
	switch s.at(i) {
	case '"':
		return s.str(i)
	case '{', '[':
		depth := 0
		for i < len(s.data) {
			switch s.data[i] {
			case '"':
				i = s.str(i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		s.bad = true
		return len(s.data)
	default:
		start := i
		for i < len(s.data) {
			switch s.data[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				if i == start {
					s.bad = true
				}
				return i
			}
			i++
		}
		return i
	}
}

// splitArrays returns the element spans of the arrays under the wanted keys
// of every top-level object in data; ok is false if the structure is not a
// sequence of objects.
func splitArrays(data []byte, wanted map[string]bool) (spans map[string][]span, ok bool) {
	s := &splitter{data: data}
	spans = map[string][]span{}
	i := s.ws(0)
	if i == len(data) {
		return nil, false
	}
	for i < len(data) && !s.bad {
		if s.at(i) != '{' {
			return nil, false
		}
		i = s.ws(i + 1)
		if s.at(i) == '}' {
			i = s.ws(i + 1)
			continue
		}
		for !s.bad {
			if s.at(i) != '"' {
				return nil, false
			}
			end := s.str(i)
			if s.bad {
				return nil, false
			}
			key := strings.ToLower(string(data[i+1 : end-1]))
			if strings.Contains(key, `\`) {
				return nil, false // escaped key: let encoding/json interpret it
			}
			i = s.ws(end)
			if s.at(i) != ':' {
				return nil, false
			}
			i = s.ws(i + 1)
			if wanted[key] && s.at(i) == '[' {
				i = s.array(i, key, spans)
			} else {
				i = s.value(i)
			}
			i = s.ws(i)
			if c := s.at(i); c == ',' {
				i = s.ws(i + 1)
				continue
			} else if c == '}' {
				i = s.ws(i + 1)
				break
			}
			return nil, false
		}
	}
	return spans, !s.bad
}

func (s *splitter) array(i int, key string, spans map[string][]span) int {
	i = s.ws(i + 1)
	if s.at(i) == ']' {
		return i + 1
	}
	for !s.bad {
		end := s.value(i)
		spans[key] = append(spans[key], span{i, end})
		i = s.ws(end)
		switch s.at(i) {
		case ',':
			i = s.ws(i + 1)
		case ']':
			return i + 1
		default:
			s.bad = true
		}
	}
	return len(s.data)
}
