package cloudtrail

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// referenceDecode is what Decode must agree with.
func referenceDecode(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if rest := bytes.TrimLeft(raw[d.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, errNotObject // data after the value
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errNotObject
	}
	return m, nil
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	tests := map[string]string{
		"escapes":        `{"a":"q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","b":"plain"}`,
		"lone surrogate": `{"a":"\ud800x","b":"\udc00","c":"\ud800\u0041"}`,
		"invalid utf8":   "{\"a\":\"x\xffy\xc3\"}",
		"utf8":           `{"a":"naïve – ✓"}`,
		"numbers":        `{"a":0,"b":-1.5e+10,"c":12345678901234567890,"d":1E2,"e":-0}`,
		"nested":         `{"a":[1,[2,{"b":null}],{}],"c":{"d":[]},"e":true,"f":false}`,
		"duplicate keys": `{"a":1,"a":2}`,
		"white space":    " \n{ \"a\" : [ 1 , 2 ] }\t",
		"bad number":     `{"a":01}`,
		"bad number 2":   `{"a":1.}`,
		"bad number 3":   `{"a":-}`,
		"control char":   "{\"a\":\"x\ny\"}",
		"bad escape":     `{"a":"\x"}`,
		"short unicode":  `{"a":"\u12"}`,
		"trailing comma": `{"a":1,}`,
		"trailing data":  `{"a":1} x`,
		"truncated":      `{"a":[1,2`,
		"not an object":  `[1]`,
		"null":           `null`,
		"empty":          ``,
		"bad literal":    `{"a":tru}`,
		"missing colon":  `{"a" 1}`,
		"unquoted key":   `{a:1}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			compareDecoders(t, []byte(in))
		})
	}
}

func compareDecoders(t *testing.T, raw []byte) {
	t.Helper()
	want, wantErr := referenceDecode(raw)
	got, err := Decode(raw)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Decode(%q) error %v, encoding/json error %v", raw, err, wantErr)
	}
	if err != nil {
		return
	}
	if diff := cmp.Diff(want, got.Fields); diff != "" {
		t.Fatalf("Decode(%q) differs from encoding/json (-want +got):\n%s", raw, diff)
	}
}

func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			f.Add([]byte(line))
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		compareDecoders(t, raw)
	})
}
