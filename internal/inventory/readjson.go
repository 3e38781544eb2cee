package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Problem is something wrong with the snapshot itself (a corrupt or unreadable
// file), as opposed to a call that failed at collection time. Facts the file
// would have provided are unknown with the same reason.
type Problem struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

func (p Problem) String() string { return p.File + ": " + p.Reason }

// errorFileName is where a failed call's error is stored: "x.error.json"
// stands in for "x.json" (and "x.error.json" for a directory "x/" whose
// listing call failed). This is the one convention of the snapshot format.
func errorFileName(file string) string {
	return strings.TrimSuffix(file, ".json") + ".error.json"
}

// readCall reads one API response file into v. It returns nil when v was
// filled; otherwise the ReadError explaining why not: the .error.json content
// for a failed call, NotCollected for a missing file, ParseError (also
// reported through report) for a corrupt one.
func readCall(fsys fs.FS, file, call string, v any, report func(Problem)) *ReadError {
	data, err := fs.ReadFile(fsys, file)
	if err == nil {
		if perr := decodeStrict(data, v); perr != nil {
			reason := perr.Error()
			report(Problem{File: file, Reason: reason})
			return &ReadError{Call: call, File: file, Code: CodeParseError, Message: reason}
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		report(Problem{File: file, Reason: err.Error()})
		return &ReadError{Call: call, File: file, Code: "ReadError", Message: err.Error()}
	}
	if rerr, ok := readErrorFile(fsys, errorFileName(file), call, report); ok {
		return rerr
	}
	return &ReadError{Call: call, File: file, Code: CodeNotCollected, Message: "no response file in the snapshot"}
}

// readErrorFile reads {"Code": ..., "Message": ...}; ok is false when the file
// does not exist.
func readErrorFile(fsys fs.FS, file, call string, report func(Problem)) (*ReadError, bool) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false
		}
		report(Problem{File: file, Reason: err.Error()})
		return &ReadError{Call: call, File: file, Code: "ReadError", Message: err.Error()}, true
	}
	var body struct {
		Code    string
		Message string
	}
	if perr := decodeStrict(data, &body); perr != nil {
		report(Problem{File: file, Reason: perr.Error()})
		return &ReadError{Call: call, File: file, Code: CodeParseError, Message: "error file is corrupt: " + perr.Error()}, true
	}
	if body.Code == "" {
		body.Code = "UnknownError"
	}
	return &ReadError{Call: call, File: file, Code: body.Code, Message: body.Message}, true
}

// decodeOpts keep the leniency of the v1 encoding/json the AWS CLI format
// was first read with: case-insensitive field names, duplicate names (last
// wins) and invalid UTF-8 (replaced) are accepted.
var decodeOpts = json.JoinOptions(json.MatchCaseInsensitiveNames(true),
	jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// unmarshal decodes one JSON value with decodeOpts. It uses the JSON v2
// implementation (github.com/go-json-experiment/json, which becomes the
// standard library's encoding/json/v2): it decodes the large IAM file about
// twice as fast as encoding/json, and one import path changes when v2 leaves
// GOEXPERIMENT.
func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v, decodeOpts) }

// decodeStrict decodes one JSON value and rejects trailing data; errors
// carry the line.
func decodeStrict(data []byte, v any) error {
	if err := unmarshal(data, v); err != nil {
		if len(bytes.TrimSpace(data)) == 0 {
			return errors.New("empty or truncated JSON")
		}
		return jsonErrorAt(data, 0, "", err)
	}
	return nil
}

// jsonErrorAt adds a line number (and the JSON path for type errors) to an
// encoding/json error from decoding the value that starts at offset base of
// data; path prefixes the field path (e.g. "RoleDetailList[3]").
func jsonErrorAt(data []byte, base int64, path string, err error) error {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("empty or truncated JSON")
	case errors.As(err, &syn):
		var cause error = syn
		if syn.Err != nil {
			cause = syn.Err
		}
		return fmt.Errorf("line %d: invalid JSON at %q: %v", lineOf(data, base+syn.ByteOffset), path+string(syn.JSONPointer), cause)
	case errors.As(err, &sem):
		what := "cannot use JSON " + sem.JSONKind.String()
		if sem.GoType != nil {
			what += " as " + sem.GoType.String()
		}
		if sem.Err != nil {
			what += ": " + sem.Err.Error()
		}
		return fmt.Errorf("line %d: field %q: %s", lineOf(data, base+sem.ByteOffset), path+string(sem.JSONPointer), what)
	default:
		return fmt.Errorf("line %d: invalid JSON: %v", lineOf(data, base), err)
	}
}

func lineOf(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// awsTime accepts a timestamp as the AWS CLI prints it (ISO 8601 with offset,
// e.g. "2024-03-01T10:20:30.123000+00:00") or as the JSON APIs send it
// (seconds since the epoch, possibly fractional).
type awsTime struct{ time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
}

func (t *awsTime) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		str, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("timestamp %s: %v", s, err)
		}
		for _, layout := range timeLayouts {
			if v, err := time.Parse(layout, str); err == nil {
				t.Time = v.UTC()
				return nil
			}
		}
		return fmt.Errorf("timestamp %q is neither ISO 8601 nor epoch seconds", str)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return fmt.Errorf("timestamp %s is neither ISO 8601 nor epoch seconds", s)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
	return nil
}

func (t *awsTime) ptr() *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}
