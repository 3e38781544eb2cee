//go:build libdeflate && cgo

package source

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func gzipOf(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLibdeflateInflate(t *testing.T) {
	big := strings.Repeat(`{"eventName":"Decrypt","eventSource":"kms.amazonaws.com"},`, 20000)
	member := gzipOf(t, "first member\n")
	tests := []struct {
		name    string
		in      []byte
		limit   int
		want    string
		wantErr bool
	}{
		{name: "one member", in: gzipOf(t, "hello"), limit: 1 << 20, want: "hello"},
		{name: "empty content", in: gzipOf(t, ""), limit: 1 << 20, want: ""},
		{name: "grows past the trailer hint", in: append(gzipOf(t, big), gzipOf(t, "x")...), limit: 8 << 20, want: big + "x"},
		{name: "several members", in: append(append([]byte{}, member...), gzipOf(t, "second")...), limit: 1 << 20, want: "first member\nsecond"},
		{name: "truncated", in: member[:len(member)-3], limit: 1 << 20, wantErr: true},
		{name: "corrupt CRC", in: func() []byte { b := bytes.Clone(member); b[len(b)-6] ^= 0xff; return b }(), limit: 1 << 20, wantErr: true},
		{name: "trailing garbage", in: append(bytes.Clone(member), "garbage-garbage-garbage"...), limit: 1 << 20, wantErr: true},
		{name: "over the limit", in: gzipOf(t, big), limit: 1000, wantErr: true},
	}
	inf := newWholeInflater()
	if inf == nil {
		t.Fatal("libdeflate build without an inflater")
	}
	defer inf.close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inf.inflate(nil, tt.in, tt.limit)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && string(got) != tt.want {
				t.Errorf("got %d bytes, want %d", len(got), len(tt.want))
			}
			if tt.name == "over the limit" && !errors.Is(err, errTooLarge) {
				t.Errorf("err = %v, want errTooLarge", err)
			}
		})
	}
}

// FuzzLibdeflateMatchesKlauspost: whatever the input, libdeflate either
// fails (and Read falls back to the streaming reader) or returns exactly
// what the pure-Go reader returns.
func FuzzLibdeflateMatchesKlauspost(f *testing.F) {
	f.Add(gzipOf(f, `{"Records":[{"eventName":"DisableKey"}]}`))
	f.Add(append(gzipOf(f, "a"), gzipOf(f, "b")...))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	inf := newWholeInflater()
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := inf.inflate(nil, in, 1<<20)
		if err != nil {
			return
		}
		zr, zerr := gzip.NewReader(bytes.NewReader(in))
		if zerr != nil {
			t.Fatalf("libdeflate inflated what klauspost rejects: %v", zerr)
		}
		var want bytes.Buffer
		if _, zerr := want.ReadFrom(zr); zerr != nil {
			t.Fatalf("libdeflate inflated what klauspost rejects: %v", zerr)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("libdeflate gave %d bytes, klauspost %d", len(got), want.Len())
		}
	})
}
