package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

type scanned struct {
	Records []string
	Offsets []int64
	Errors  []string
}

// scanAll runs a Scanner to the end, collecting records and errors.
func scanAll(t testing.TB, r io.Reader) scanned {
	t.Helper()
	var got scanned
	s := NewScanner(r)
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("scanner does not make progress")
		}
		raw, err := s.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				got.Errors = append(got.Errors, err.Error())
				return got
			}
			got.Errors = append(got.Errors, se.Error())
			continue
		}
		got.Records = append(got.Records, string(raw))
		got.Offsets = append(got.Offsets, s.Offset())
	}
}

func TestScanner(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want scanned
	}{
		{
			name: "log file",
			in:   `{"Records":[{"eventID":"a"},{"eventID":"b","x":{"y":["}"]}}]}`,
			want: scanned{Records: []string{`{"eventID":"a"}`, `{"eventID":"b","x":{"y":["}"]}}`}, Offsets: []int64{12, 28}},
		},
		{
			name: "pretty log file with trailing keys",
			in:   "{\n  \"Records\" : [\n    {\"a\": \"q\\\"}\"}\n  ],\n  \"Other\": {\"b\": [1]}\n}\n{\"c\":1}",
			want: scanned{Records: []string{`{"a": "q\"}"}`, `{"c":1}`}, Offsets: []int64{22, 65}},
		},
		{
			name: "records key not first",
			in:   `{"x":1,"Records":[{"a":1}, {"b":2}]}`,
			want: scanned{Records: []string{`{"a":1}`, `{"b":2}`}, Offsets: []int64{18, 27}},
		},
		{
			name: "ndjson with bad line",
			in:   "{\"a\":1}\nnot json\n{\"b\":2}\r\n",
			want: scanned{
				Records: []string{`{"a":1}`, `{"b":2}`}, Offsets: []int64{0, 17},
				Errors: []string{`line 2, offset 8: not a JSON object (starts with 'n')`},
			},
		},
		{
			name: "concatenated and bom",
			in:   "\xEF\xBB\xBF{\"a\":1}{\"b\":\"\\\\\"}",
			want: scanned{Records: []string{`{"a":1}`, `{"b":"\\"}`}, Offsets: []int64{3, 10}},
		},
		{
			name: "top-level array with non-object",
			in:   `[{"a":1}, 2, {"Records":[{"b":1}]}]`,
			want: scanned{
				Records: []string{`{"a":1}`, `{"b":1}`}, Offsets: []int64{1, 25},
				Errors: []string{`line 1, offset 10: array element is not a JSON object`},
			},
		},
		{
			name: "truncated record",
			in:   `{"Records":[{"a":1},{"b":"xx`,
			want: scanned{
				Records: []string{`{"a":1}`}, Offsets: []int64{12},
				Errors: []string{`line 1, offset 20: truncated at offset 28: value starting at offset 20 is not closed`},
			},
		},
		{
			name: "truncated array",
			in:   `{"Records":[{"a":1},`,
			want: scanned{
				Records: []string{`{"a":1}`}, Offsets: []int64{12},
				Errors: []string{`line 1, offset 20: truncated: unterminated array`},
			},
		},
		{
			name: "ndjson line cut inside a string",
			in:   "{\"a\":1}\n{\"eventVersion\":\"1.0\n{\"b\":\"x\"}\n{\"c\":3}\n",
			want: scanned{
				Records: []string{`{"a":1}`, `{"b":"x"}`, `{"c":3}`}, Offsets: []int64{0, 29, 39},
				Errors: []string{`line 2, offset 8: unterminated string: not a complete JSON object`},
			},
		},
		{
			name: "ndjson line cut inside an object",
			in:   "{\"a\":{\"b\":[1,\n{\"c\":3}\n",
			want: scanned{
				Records: []string{`{"c":3}`}, Offsets: []int64{14},
				Errors: []string{`line 1, offset 0: line ends inside a JSON value: not a complete JSON object`},
			},
		},
		{
			name: "pretty-printed record is not a broken line",
			in:   "{\n  \"a\": {\n    \"b\": [1,\n      {\"c\": 2}]\n  }\n}\n",
			want: scanned{Records: []string{"{\n  \"a\": {\n    \"b\": [1,\n      {\"c\": 2}]\n  }\n}"}, Offsets: []int64{0}},
		},
		{
			name: "empty",
			in:   " \n",
		},
	}
	for _, tt := range tests {
		for _, chunked := range []bool{false, true} {
			name := tt.name
			var r io.Reader = strings.NewReader(tt.in)
			if chunked {
				name += "/one byte reads"
				r = iotest.OneByteReader(r)
			}
			t.Run(name, func(t *testing.T) {
				got := scanAll(t, r)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("scan mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestScannerReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"Records":[{"a":1},{"b"`), iotest.ErrReader(errors.New("unexpected EOF")))
	got := scanAll(t, r)
	want := scanned{Records: []string{`{"a":1}`}, Offsets: []int64{12},
		Errors: []string{"line 1, offset 24: read error: unexpected EOF"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestScannerReadErrorBetweenValues(t *testing.T) {
	r := io.MultiReader(strings.NewReader("{\"a\":1}\n"), iotest.ErrReader(errors.New("connection reset")))
	s := NewScanner(r)
	if raw, err := s.Next(); err != nil || string(raw) != `{"a":1}` {
		t.Fatalf("first: %q %v", raw, err)
	}
	_, err := s.Next()
	var se *SyntaxError
	if !errors.As(err, &se) || !se.Fatal || !strings.Contains(se.Msg, "connection reset") {
		t.Fatalf("second: %v, want a fatal read error", err)
	}
	for range 3 {
		if _, err := s.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("after a fatal error: %v, want io.EOF", err)
		}
	}
}

func TestScannerLargeRecordAndReuse(t *testing.T) {
	big := `{"k":"` + strings.Repeat(`ab\"`, 200_000) + `"}`
	in := `{"Records":[` + big + `,` + big + `]}`
	s := NewScanner(strings.NewReader(in))
	for i := 0; i < 2; i++ {
		raw, err := s.Next()
		if err != nil || string(raw) != big {
			t.Fatalf("record %d: err %v, len %d want %d", i, err, len(raw), len(big))
		}
	}
	s.Reset(strings.NewReader(`{"x":1}`))
	raw, err := s.Next()
	if err != nil || string(raw) != `{"x":1}` || s.Offset() != 0 || s.Line() != 1 {
		t.Fatalf("after Reset: %q %v offset %d line %d", raw, err, s.Offset(), s.Line())
	}
}

// referenceRecords finds records with encoding/json, following the
// Scanner's documented rules. ok is false when the input is not valid JSON
// or falls outside what the comparison can decide.
func referenceRecords(data []byte) (recs []string, ok bool) {
	if bytes.Count(data, []byte("Records")) > 1 || bytes.Contains(data, []byte(`\u`)) {
		return nil, false // duplicate or escaped keys: last-wins vs first-streamed
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
	object := func(raw json.RawMessage) bool {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return false
		}
		var arr []json.RawMessage
		if v, has := m["Records"]; has && json.Unmarshal(v, &arr) == nil && len(v) > 0 && v[0] == '[' {
			for _, e := range arr {
				if len(e) > 0 && e[0] == '{' {
					recs = append(recs, string(e))
				}
			}
			return true
		}
		recs = append(recs, string(raw))
		return true
	}
	for {
		var v json.RawMessage
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return recs, true
		}
		if err != nil {
			return nil, false
		}
		switch v[0] {
		case '{':
			if bytes.Contains(v, []byte("\n{")) {
				return nil, false // read as a line cut short, by design
			}
			if !object(v) {
				return nil, false
			}
		case '[':
			var arr []json.RawMessage
			if json.Unmarshal(v, &arr) != nil {
				return nil, false
			}
			for _, e := range arr {
				if e[0] == '{' && !object(e) {
					return nil, false
				}
			}
		default:
			return nil, false // a top-level scalar: the scanner skips its line
		}
	}
}

func FuzzScanRecords(f *testing.F) {
	for _, seed := range []string{
		`{"Records":[{"eventID":"a"},{"eventID":"b"}]}`,
		"{\"a\":1}\n{\"b\":[1,{\"c\":\"}\"}]}\n",
		`[{"a":1},{"Records":[{"b":"\\\""}]}]`,
		`{"x":{},"Records":[{"a":1}]}`,
		`{"Records":[{"a":1},`,
		"garbage\n{}",
		"{\"a\":\"x\n{\"b\":1}\n{\"c\":[\n{}\n",
		`{"Records":[1,"x",[],{}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := scanAll(t, bytes.NewReader(data))
		chunked := scanAll(t, iotest.OneByteReader(bytes.NewReader(data)))
		if diff := cmp.Diff(got, chunked); diff != "" {
			t.Fatalf("one-byte reads differ (-whole +chunked):\n%s", diff)
		}
		want, ok := referenceRecords(data)
		if !ok {
			return
		}
		if diff := cmp.Diff(want, got.Records, cmpEmpty); diff != "" {
			t.Fatalf("records differ from encoding/json (-want +got):\n%s", diff)
		}
	})
}

var cmpEmpty = cmp.Transformer("nilToEmpty", func(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
})
