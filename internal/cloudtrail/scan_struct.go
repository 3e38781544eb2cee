package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
)

// This file holds the structural JSON walk: the streaming form used by
// Scanner (which refills its buffer mid-value) and the in-memory form used
// on values already read.

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// skipSpace moves s.pos to the next non-space byte and returns it; ok is
// false at the end of input.
func (s *Scanner) skipSpace() (c byte, ok bool, err error) {
	if !s.bomChecked {
		s.bomChecked = true
		for s.end < 3 {
			if _, ok, err := s.fill(0); err != nil || !ok {
				break
			}
		}
		if bytes.HasPrefix(s.buf[:s.end], []byte("\xEF\xBB\xBF")) {
			s.pos = 3 // UTF-8 byte order mark
		}
	}
	for {
		for s.pos < s.end {
			c = s.buf[s.pos]
			if !isSpace(c) {
				return c, true, nil
			}
			s.pos++
		}
		if _, ok, err := s.fill(s.pos); err != nil || !ok {
			return 0, false, err
		}
	}
}

// recordsFirst reports whether the object at s.pos starts with the key
// "Records" holding an array, and if so moves s.pos into the array.
func (s *Scanner) recordsFirst() bool {
	const lookahead = 4096
	for s.end-s.pos < lookahead && s.rerr == nil {
		if _, ok, err := s.fill(s.pos); err != nil || !ok {
			break
		}
	}
	b := s.buf[s.pos:s.end]
	i := skipWS(b, 1)
	if !bytes.HasPrefix(b[i:], []byte(`"Records"`)) {
		return false
	}
	i = skipWS(b, i+len(`"Records"`))
	if i >= len(b) || b[i] != ':' {
		return false
	}
	i = skipWS(b, i+1)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	s.pos += i + 1
	return true
}

// scanComposite scans from s.pos to the end of an object or array, starting
// at the given depth (0 when s.pos is at its opening bracket, 1 to skip the
// rest of an object already entered). start is the first byte to keep.
// It returns the value's bounds in s.buf and leaves s.pos after it.
func (s *Scanner) scanComposite(start, depth int) (int, int, error) {
	if !s.lineMode && s.walk.blocks() {
		return s.scanBlocks(start, depth)
	}
	i := s.pos
	for {
		if i >= s.end {
			var err error
			if i, start, err = s.refillInValue(i, start); err != nil {
				return 0, 0, err
			}
			continue
		}
		switch s.buf[i] {
		case '"':
			// Fast path, inlined: the closing quote is in the buffer and
			// not escaped (most strings). Line mode checks newlines.
			if k := bytes.IndexByte(s.buf[i+1:s.end], '"'); k >= 0 && s.buf[i+k] != '\\' && !s.lineMode {
				i += k + 2
				continue
			}
			j, err := s.stringEnd(&start, i)
			if err != nil {
				return 0, 0, err
			}
			i = j
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.pos = i + 1
				return start, i + 1, nil
			}
		case '\n':
			// One record per line: a line starting with '{' inside an
			// unclosed value means the previous line was cut short.
			// (Pretty-printed JSON indents nested braces.)
			if s.lineMode && i+1 == s.end {
				s.pos = i
				shift, ok, err := s.fill(start)
				i -= shift
				start -= shift
				if err != nil {
					return 0, 0, s.fillFailed(start, ok, err)
				}
			}
			if s.lineMode && i+1 < s.end && s.buf[i+1] == '{' {
				s.pos = i + 1
				return 0, 0, brokenLine("line ends inside a JSON value")
			}
		}
		i++
	}
}

// brokenLine is a value cut short in line-oriented input; scanning resumes
// at s.pos, the start of the next line.
type brokenLine string

func (b brokenLine) Error() string { return string(b) }

// stringEnd returns the index after the closing quote of the string whose
// opening quote is at i, refilling as needed (which moves *start and i).
func (s *Scanner) stringEnd(start *int, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(s.buf[j:s.end], '"')
		if k < 0 {
			j = s.end
			s.pos = j
			shift, ok, err := s.fill(*start)
			i -= shift
			j -= shift
			*start -= shift
			if err := s.fillFailed(*start, ok, err); err != nil {
				return 0, err
			}
			continue
		}
		q := j + k
		n := 0
		for p := q - 1; s.buf[p] == '\\'; p-- { // stops at the opening quote
			n++
		}
		if n%2 == 0 {
			if s.lineMode {
				// JSON strings hold no raw newlines: this one runs past
				// the end of its line, so that line is broken.
				if k := bytes.IndexByte(s.buf[i+1:q], '\n'); k >= 0 {
					s.pos = i + 1 + k + 1
					return 0, brokenLine("unterminated string")
				}
			}
			return q + 1, nil
		}
		j = q + 1
	}
}

// refillInValue reads more input when a value that started at start is
// walked up to i, the end of the buffer: it returns i and start shifted
// with the buffer, or the error a value cut short is.
func (s *Scanner) refillInValue(i, start int) (int, int, error) {
	s.pos = i
	shift, ok, err := s.fill(start)
	i, start = i-shift, start-shift
	return i, start, s.fillFailed(start, ok, err)
}

// fillFailed turns a failed refill in the middle of a value into an error.
func (s *Scanner) fillFailed(start int, ok bool, err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return s.fatal(start, fmt.Sprintf("value larger than %d bytes", MaxValueSize))
	case err != nil:
		s.done = true
		return err
	case !ok:
		return s.fatal(start, fmt.Sprintf("truncated at offset %d: value starting at offset %d is not closed",
			s.base+int64(s.end), s.base+int64(start)))
	}
	return nil
}

// skipScalar moves s.pos past a string, number or literal.
func (s *Scanner) skipScalar() error {
	start := s.pos
	if s.buf[s.pos] == '"' {
		j, err := s.stringEnd(&start, s.pos)
		if err != nil {
			return err
		}
		s.pos = j
		return nil
	}
	for {
		for s.pos < s.end {
			if c := s.buf[s.pos]; c == ',' || c == ']' || c == '}' || c == '{' || c == '[' || c == '"' || isSpace(c) {
				return nil
			}
			s.pos++
		}
		if _, ok, err := s.fill(s.pos); err != nil || !ok {
			return err
		}
	}
}

// skipLine moves s.pos past the next newline, or to the end of input.
func (s *Scanner) skipLine() error {
	for {
		if k := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); k >= 0 {
			s.pos += k + 1
			return nil
		}
		s.pos = s.end
		if _, ok, err := s.fill(s.pos); err != nil || !ok {
			return err
		}
	}
}
