package cloudtrail

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRawLastStrings(t *testing.T) {
	tests := []struct {
		name, raw    string
		name1, name2 string // "-" for nil
		ok           bool
	}{
		{"plain", `{"eventSource":"kms.amazonaws.com","eventName":"DisableKey"}`, "DisableKey", "kms.amazonaws.com", true},
		{"nested not confused", `{"userIdentity":{"eventName":"X","a":["}"]},"eventName":"Decrypt","requestParameters":{"eventName":"Y"}}`, "Decrypt", "-", true},
		{"last duplicate counts", `{"eventName":"A","eventName":"B"}`, "B", "-", true},
		{"escaped key counts", `{"eventName":"A","event\u004eame":"B"}`, "B", "-", true},
		{"escaped value kept raw", `{"eventName":"Disable\u004bey"}`, `Disable\u004bey`, "-", true},
		{"not a string", `{"eventName":7,"eventSource":null}`, "-", "-", true},
		{"empty string", `{"eventName":""}`, "", "-", true},
		{"spaces", " { \"eventName\" : \"A\" , \"eventSource\" : \"s\" } ", "A", "s", true},
		{"empty object", `{}`, "-", "-", true},
		{"trailing comma", `{"eventName":"A",}`, "-", "-", false},
		{"truncated", `{"eventName":"A","x":{"y":1`, "-", "-", false},
		{"not an object", `["eventName"]`, "-", "-", false},
	}
	show := func(b []byte) string {
		if b == nil {
			return "-"
		}
		return string(b)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, s, ok := RawLastStrings([]byte(tt.raw), "eventName", "eventSource")
			if show(n) != tt.name1 || show(s) != tt.name2 || ok != tt.ok {
				t.Errorf("RawLastStrings = %q, %q, %v; want %q, %q, %v", show(n), show(s), ok, tt.name1, tt.name2, tt.ok)
			}
		})
	}
	rec := []byte(`{"eventVersion":"1.08","userIdentity":{"type":"Root"},"eventSource":"kms.amazonaws.com","eventName":"Decrypt"}`)
	if allocs := testing.AllocsPerRun(100, func() { RawLastStrings(rec, "eventName", "eventSource") }); allocs != 0 {
		t.Errorf("RawLastStrings allocates %v times", allocs)
	}
}

// FuzzRawLastStrings holds RawLastStrings to Decode: whenever both accept
// a record, they agree on the top-level eventName and eventSource.
func FuzzRawLastStrings(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "ndjson.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`{"eventName":"A","event\u004eame":"B","eventSource":"x\"y"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, s, ok := RawLastStrings(raw, "eventName", "eventSource")
		if ok {
			checkAgainstDecode(t, "RawLastStrings", raw, n, s)
		}
	})
}

// checkAgainstDecode fails t unless the raw eventName n and eventSource s a
// reader found in raw are, unescaped, what Decode reads (nil: not a
// string), when Decode accepts raw.
func checkAgainstDecode(t *testing.T, reader string, raw, n, s []byte) {
	t.Helper()
	rec, err := Decode(raw)
	if err != nil {
		return
	}
	for _, c := range []struct {
		key string
		got []byte
	}{{"eventName", n}, {"eventSource", s}} {
		want, isString := rec.Fields[c.key].(string)
		if (c.got != nil) != isString {
			t.Fatalf("%s(%q): %s %q, Decode %#v", reader, raw, c.key, c.got, rec.Fields[c.key])
		}
		if !isString {
			continue
		}
		var got string
		if err := json.Unmarshal(append(append([]byte{'"'}, c.got...), '"'), &got); err != nil {
			t.Fatalf("%s(%q): %s raw value %q does not unescape: %v", reader, raw, c.key, c.got, err)
		}
		if got != want {
			t.Fatalf("%s(%q): %s %q, Decode %q", reader, raw, c.key, got, want)
		}
	}
}

// rawNameSourceCases are records for RawNameSource's fast path and its
// ways out of it.
var rawNameSourceCases = []string{
	`{"eventVersion":"1.09","userIdentity":{"type":"AWSService","eventName":"Nested"},"eventTime":"2026-03-01T01:17:32Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeSecurityGroups","requestParameters":{"bucketName":"b","eventSource":"x"}}`,
	`{"eventName":"A","eventName":"B"}`,
	`{"eventName":"A","event\u004eame":"B"}`,
	`{"userAgent":"eventName","eventName" : "A" ,"eventSource": 7}`,
	`{"x":["\"eventName\":\"B\""],"eventName":"A"}`,
	`{"x":"a"}"eventName":"B"}`,
	`{"eventName":"A","tail":"` + strings.Repeat("tN", 40) + `"}`,
	`{"eventName":"unterminated}`,
	`{"eventSource":"s3.amazonaws.com","x":{"y":[{"eventName":"Q"}]},"eventName":""}`,
	` {"eventName":"A"}`,
	`[{"eventName":"A"}]`,
	// Damaged between or around the members: not validated, but the same
	// answer on every CPU.
	`{"eventName":"Decrypt" "eventSource":"kms.amazonaws.com"}`,
	`{"eventSource":"kms.amazonaws.com",,"eventName":"Decrypt"}`,
	`{"x":1 2,"eventName":"Decrypt","eventSource":"kms.amazonaws.com"}`,
	`{"eventName":"Decrypt","eventSource":"kms.amazonaws.com" "x"}`,
}

func TestRawNameSourceAgrees(t *testing.T) {
	for i, raw := range rawNameSourceCases {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkRawNameSource(t, []byte(raw)) })
	}
	rec := []byte(rawNameSourceCases[0])
	if allocs := testing.AllocsPerRun(100, func() { RawNameSource(rec) }); allocs != 0 {
		t.Errorf("RawNameSource allocates %v times", allocs)
	}
}

// checkRawNameSource holds RawNameSource (fast path and portable path) to
// RawLastStrings where that one can read the record, and to Decode.
func checkRawNameSource(t *testing.T, raw []byte) {
	t.Helper()
	wn, ws, wok := RawLastStrings(raw, "eventName", "eventSource")
	for _, f := range []struct {
		name string
		fn   func([]byte) ([]byte, []byte, bool)
	}{{"RawNameSource", RawNameSource}, {"portable", rawNameSourcePortable}} {
		n, s, ok := f.fn(raw)
		if f.name == "RawNameSource" {
			// Damaged records included: the answer must not depend on the CPU.
			pn, ps, pok := rawNameSource(raw, false)
			if pok != ok || !bytes.Equal(pn, n) || !bytes.Equal(ps, s) || (pn == nil) != (n == nil) || (ps == nil) != (s == nil) {
				t.Fatalf("RawNameSource(%q) = %q, %q, %v with SIMD %v; %q, %q, %v without", raw, n, s, ok, haveSIMD, pn, ps, pok)
			}
		}
		if wok && ok && (!bytes.Equal(n, wn) || !bytes.Equal(s, ws) || (n == nil) != (wn == nil) || (s == nil) != (ws == nil)) {
			t.Fatalf("%s(%q) = %q, %q; RawLastStrings says %q, %q", f.name, raw, n, s, wn, ws)
		}
		if ok {
			checkAgainstDecode(t, f.name, raw, n, s)
		}
	}
}

func FuzzRawNameSource(f *testing.F) {
	for _, raw := range rawNameSourceCases {
		f.Add([]byte(raw))
	}
	data, err := os.ReadFile(filepath.Join("testdata", "ndjson.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f.Add(line)
	}
	f.Fuzz(checkRawNameSource)
}
