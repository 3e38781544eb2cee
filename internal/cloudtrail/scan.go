package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Scanner walks a stream of JSON values and returns the raw bytes of each
// CloudTrail record without decoding it. It understands the structure of
// the files CloudTrail writes, not the records themselves:
//
//   - an object with a "Records" array (a CloudTrail log file) yields each
//     element of the array; when "Records" is the first key the array is
//     streamed, so a 100 MB log file never sits in memory whole;
//   - any other object (one record per line, or a pretty-printed record)
//     yields the object itself;
//   - a top-level array yields its elements, each treated as above;
//   - values may follow each other with or without newlines in between.
//
// A hand-written structural scan (strings, escapes, depth) finds the
// boundaries, so scanning runs at memory speed and allocates nothing per
// record once the buffer has grown to the largest record. Records inside
// arrays are walked in 64-byte blocks with SIMD where the CPU has AVX2
// (stage1.go); top-level values, where line-oriented input is recovered
// line by line, are walked byte by byte. Envelopes
// (EventBridge, CloudWatch Logs, lookup-events) are unwrapped one layer up,
// by RecordReader.
type Scanner struct {
	r    io.Reader
	rerr error // sticky read error or io.EOF
	buf  []byte
	own  []byte // s's own buffer (buf is the caller's after ResetBytes)
	pos  int    // next unread byte in buf
	end  int    // end of valid data in buf
	base int64  // stream offset of buf[0]

	lines   int // newlines before buf[linePos]
	linePos int

	bomChecked bool
	lineMode   bool     // scanning a top-level value: recover at line starts
	walk       walkMode // how values outside line mode are walked (stage1.go)
	mode       scanMode
	done       bool
	inRecord   bool // the last value came from a "Records" array

	recOff  int64
	recLine int

	queue []queued // elements of an in-memory "Records" array, see splitRecords
	qbuf  []byte
}

type queued struct {
	raw []byte
	off int64
}

type scanMode int

const (
	modeTop     scanMode = iota // between top-level values
	modeRecords                 // inside the streamed "Records" array of a top-level object
	modeArray                   // inside a top-level array
)

// MaxValueSize bounds one JSON value (a record, or an envelope that is not
// streamed), and so a Scanner's memory. CloudTrail records are at most a
// few hundred KiB.
const MaxValueSize = 64 << 20

const initialBufSize = 256 << 10

// SyntaxError reports input that is not a well-formed CloudTrail stream at
// a byte offset (and line, 1-based). After a Fatal error the stream ends;
// otherwise scanning resumes after the bad value or line.
type SyntaxError struct {
	Offset int64
	Line   int
	Msg    string
	Fatal  bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, offset %d: %s", e.Line, e.Offset, e.Msg)
}

// NewScanner returns a Scanner reading r.
func NewScanner(r io.Reader) *Scanner {
	s := &Scanner{}
	s.Reset(r)
	return s
}

// Reset makes s read r from the beginning, keeping its buffer.
func (s *Scanner) Reset(r io.Reader) {
	own, qbuf := s.own, s.qbuf
	if own == nil {
		own = make([]byte, initialBufSize)
	}
	*s = Scanner{r: r, buf: own, own: own, qbuf: qbuf, queue: s.queue[:0], walk: s.walk}
}

// ResetBytes makes s read data, in place: the whole input is already in
// memory (an inflated object), so it is not copied into s's buffer.
// Records alias data, which must not change until the next Reset.
func (s *Scanner) ResetBytes(data []byte) {
	own, qbuf := s.own, s.qbuf
	*s = Scanner{buf: data[:len(data):len(data)], end: len(data), rerr: io.EOF,
		own: own, qbuf: qbuf, queue: s.queue[:0], walk: s.walk}
}

// Offset returns the stream offset of the first byte of the last value.
func (s *Scanner) Offset() int64 { return s.recOff }

// Line returns the 1-based line on which the last value starts.
func (s *Scanner) Line() int { return s.recLine }

// InRecords reports whether the last value was an element of a "Records"
// array, and so is known to be a CloudTrail record rather than an envelope.
func (s *Scanner) InRecords() bool { return s.inRecord }

// Next returns the raw bytes of the next record, valid until the next call.
// It returns io.EOF at the end of the stream. A *SyntaxError describes bad
// input; unless it is Fatal, call Next again to go on with the rest.
func (s *Scanner) Next() ([]byte, error) {
	raw, err := s.next()
	if err != nil { // not before: errors.As's target escapes, one allocation per record
		var se *SyntaxError
		if errors.As(err, &se) && se.Fatal {
			s.done, s.queue = true, s.queue[:0] // the stream is over
		}
	}
	return raw, err
}

func (s *Scanner) next() ([]byte, error) {
	for !s.done || len(s.queue) > 0 {
		if len(s.queue) > 0 {
			q := s.queue[0]
			s.queue = s.queue[1:]
			s.recOff, s.inRecord = q.off, true
			if q.raw[0] != '{' {
				return nil, &SyntaxError{Offset: q.off, Line: s.recLine, Msg: "array element is not a JSON object"}
			}
			return q.raw, nil
		}
		c, ok, err := s.skipSpace()
		if err != nil {
			return nil, err
		}
		if !ok {
			s.done = true
			if s.mode != modeTop {
				return nil, s.fatal(s.pos, "truncated: unterminated array")
			}
			return nil, io.EOF
		}
		switch s.mode {
		case modeTop:
			raw, err := s.top(c)
			if raw != nil || err != nil {
				return raw, err
			}
		case modeRecords, modeArray:
			raw, err := s.element(c)
			if raw != nil || err != nil {
				return raw, err
			}
		}
	}
	return nil, io.EOF
}

// top handles one byte c at the top level.
func (s *Scanner) top(c byte) ([]byte, error) {
	switch c {
	case '{':
		if s.recordsFirst() {
			s.mode = modeRecords
			return nil, nil
		}
		return s.object(false)
	case '[':
		s.pos++
		s.mode = modeArray
		return nil, nil
	}
	// Not JSON we understand: report the line and resume after it.
	start := s.pos
	s.markRecord(start)
	if err := s.skipLine(); err != nil {
		return nil, err
	}
	return nil, s.recordError(fmt.Sprintf("not a JSON object (starts with %q)", c))
}

// element handles one byte c inside the Records array or a top-level array.
func (s *Scanner) element(c byte) ([]byte, error) {
	switch c {
	case ',':
		s.pos++
		return nil, nil
	case ']':
		s.pos++
		if s.mode == modeRecords {
			// The rest of the log file object: skip its other keys.
			start := s.pos
			if _, _, err := s.scanComposite(start, 1); err != nil {
				return nil, err
			}
		}
		s.mode = modeTop
		return nil, nil
	case '{':
		return s.object(s.mode == modeRecords)
	}
	start := s.pos
	s.markRecord(start)
	var err error
	if c == '[' {
		_, _, err = s.scanComposite(start, 0)
	} else {
		err = s.skipScalar()
	}
	if err != nil {
		return nil, err
	}
	if s.base+int64(s.pos) == s.recOff { // a stray '}' or ':'; always make progress
		s.pos++
	}
	return nil, s.recordError("array element is not a JSON object")
}

// object scans the object at s.pos and returns it, or the elements of its
// "Records" array when it is a log file whose Records key is not first.
func (s *Scanner) object(inRecords bool) ([]byte, error) {
	start := s.pos
	s.markRecord(start)
	s.lineMode = s.mode == modeTop
	a, b, err := s.scanComposite(start, 0)
	s.lineMode = false
	if err != nil {
		var broken brokenLine
		if errors.As(err, &broken) {
			return nil, s.recordError(string(broken) + ": not a complete JSON object")
		}
		return nil, err
	}
	raw := s.buf[a:b]
	s.inRecord = inRecords
	if !inRecords && !startsWithKey(raw, `"eventVersion"`) {
		if a, b, ok := recordsArray(raw); ok {
			s.splitRecords(raw[a:b], s.recOff+int64(a))
			return nil, nil
		}
	}
	return raw, nil
}

// splitRecords queues the elements of a "Records" array that was not the
// first key of its object (rare: CloudTrail writes it first). The object is
// in memory already; its elements are copied out because the buffer moves.
func (s *Scanner) splitRecords(arr []byte, arrOff int64) {
	s.qbuf = append(s.qbuf[:0], arr...)
	s.queue = s.queue[:0]
	forEachElement(s.qbuf, func(a, b int) {
		s.queue = append(s.queue, queued{raw: s.qbuf[a:b], off: arrOff + int64(a)})
	})
}

func (s *Scanner) markRecord(p int) {
	s.countLines(p)
	s.recOff = s.base + int64(p)
	s.recLine = s.lines + 1
	s.inRecord = false
}

func (s *Scanner) countLines(p int) {
	if p > s.linePos {
		s.lines += bytes.Count(s.buf[s.linePos:p], []byte{'\n'})
		s.linePos = p
	}
}

func (s *Scanner) errorAt(p int, msg string, fatal bool) error {
	s.countLines(p)
	if fatal {
		s.done = true
	}
	return &SyntaxError{Offset: s.base + int64(p), Line: s.lines + 1, Msg: msg, Fatal: fatal}
}

// recordError reports a non-fatal error at the value marked last.
func (s *Scanner) recordError(msg string) error {
	return &SyntaxError{Offset: s.recOff, Line: s.recLine, Msg: msg}
}

func (s *Scanner) fatal(p int, msg string) error { return s.errorAt(p, msg, true) }

var errTooLarge = errors.New("value too large")

// fill reads more input, keeping buf[keep:]. It returns how far the kept
// bytes moved left, and ok=false when no more input will come.
func (s *Scanner) fill(keep int) (shift int, ok bool, err error) {
	if errors.Is(s.rerr, io.EOF) {
		return 0, false, nil
	}
	if s.rerr != nil {
		return 0, false, s.rerr // sticky: report a broken stream wherever it is noticed
	}
	if keep > 0 {
		s.countLines(keep)
		copy(s.buf, s.buf[keep:s.end])
		s.end -= keep
		s.pos -= keep
		s.linePos -= keep
		s.base += int64(keep)
		shift = keep
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= MaxValueSize {
			return shift, false, errTooLarge
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf, s.own = nb, nb // kept across Reset, like the first buffer
	}
	for tries := 0; tries < 100; tries++ {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				s.rerr = err
				return shift, n > 0, nil
			}
			s.rerr = &SyntaxError{Offset: s.base + int64(s.end), Line: s.lines + 1,
				Msg: "read error: " + err.Error(), Fatal: true}
			return shift, n > 0, s.rerr
		}
		if n > 0 {
			return shift, true, nil
		}
	}
	s.rerr = io.ErrNoProgress
	return shift, false, nil
}
