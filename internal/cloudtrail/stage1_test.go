package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// step is one Scanner.Next result, with everything a caller can observe.
type step struct {
	Raw       string
	Err       string
	Fatal     bool
	Offset    int64
	Line      int
	InRecords bool
}

// chunkReader returns at most n bytes per Read (n varies with the pattern),
// so values straddle refills at many positions.
type chunkReader struct {
	data    []byte
	pattern []int
	k       int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := c.pattern[c.k%len(c.pattern)]
	c.k++
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// scanSteps runs a Scanner in the given walk mode over data read in chunks,
// with a buffer of bufSize bytes to start with (it grows as values need).
// chunks nil: the scanner reads data in place (ResetBytes).
func scanSteps(t testing.TB, data []byte, mode walkMode, chunks []int, bufSize int) []step {
	t.Helper()
	s := &Scanner{own: make([]byte, bufSize), walk: mode}
	if chunks == nil {
		s.ResetBytes(bytes.Clone(data))
	} else {
		s.Reset(&chunkReader{data: data, pattern: chunks})
	}
	var out []step
	for i := 0; ; i++ {
		if i > 100_000 {
			t.Fatal("scanner does not make progress")
		}
		raw, err := s.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		st := step{Raw: string(raw), Offset: s.Offset(), Line: s.Line(), InRecords: s.InRecords()}
		if err != nil {
			st.Err = err.Error()
			var se *SyntaxError
			if errors.As(err, &se) {
				st.Fatal = se.Fatal
			}
		}
		out = append(out, st)
		if err != nil && !errors.As(err, new(*SyntaxError)) {
			return out
		}
	}
}

// checkWalksAgree fails when the block walks and the byte walk disagree on
// data, for a few read patterns and buffer sizes.
func checkWalksAgree(t *testing.T, data []byte) {
	t.Helper()
	for _, c := range []struct {
		chunks  []int
		bufSize int
	}{
		{[]int{1 << 20}, initialBufSize},
		{[]int{1}, 16},
		{[]int{63, 1, 64, 65, 7}, 64},
		{[]int{100, 3, 200}, 128},
	} {
		want := scanSteps(t, data, walkBytes, c.chunks, c.bufSize)
		for _, mode := range []walkMode{walkBlocksGeneric, walkBlocksSIMD} {
			if mode == walkBlocksSIMD && !haveSIMD {
				continue
			}
			got := scanSteps(t, data, mode, c.chunks, c.bufSize)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("walk %d, reads %v, buffer %d: disagrees with the byte walk on %q (-bytes +blocks):\n%s",
					mode, c.chunks, c.bufSize, data, diff)
			}
		}
	}
	want := scanSteps(t, data, walkBytes, []int{1 << 20}, initialBufSize)
	for _, mode := range []walkMode{walkBytes, walkAuto} {
		if diff := cmp.Diff(want, scanSteps(t, data, mode, nil, 0)); diff != "" {
			t.Fatalf("walk %d in place (ResetBytes) disagrees with reading %q (-read +in place):\n%s", mode, data, diff)
		}
	}
}

func TestBlockWalkAgrees(t *testing.T) {
	tests := []struct{ name, in string }{
		{"log file", `{"Records":[{"eventID":"a"},{"eventID":"b","x":{"y":["}"]}}]}`},
		{"escaped quote", `{"Records":[{"a":"q\"}{"},{"b":"\\"},{"c":"\\\"]"}]}`},
		{"backslash outside strings", `{"Records":[{\"a":1},{"b":\\"}"}]}`},
		{"truncated in string", `{"Records":[{"a":"abc`},
		{"truncated after backslash", `{"Records":[{"a":"abc\`},
		{"truncated in object", `{"Records":[{"a":{"b":[1,2`},
		{"stray closers", `{"Records":[}]]},{"a":1}]}`},
		{"non-object elements", `{"Records":[1,"x",[{"a":"]"}],null,{"b":2}]}`},
		{"trailing keys", `{"Records":[{"a":1}],"Other":{"b":["}",{"c":"\"{"}]}}{"d":1}`},
		{"top-level array", `[{"a":1},{"b":{"c":"]"}}]`},
		{"records not first", `{"x":1,"Records":[{"a":"\\\\"}, {"b":2}]}`},
		{"ndjson", "{\"a\":1}\n{\"b\":\"x\ny\"}\n{\"c\":[\n{\"d\":1}]}\n"},
		{"garbage", "\x00\xff{\"Records\":[\"\\"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkWalksAgree(t, []byte(tc.in)) })
	}
}

// TestBlockWalkAgreesRandom places escapes, quotes and brackets at every
// position relative to the 64-byte blocks and to refills.
func TestBlockWalkAgreesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		t.Run(fmt.Sprint(n), func(t *testing.T) { checkWalksAgree(t, randomLogFile(rng, n%5 == 4)) })
	}
}

// randomLogFile returns a log file whose strings hold runs of backslashes
// and quotes, and nested values; damaged cuts it short or flips bytes.
func randomLogFile(rng *rand.Rand, damaged bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for r := range 1 + rng.IntN(8) {
		if r > 0 {
			b.WriteByte(',')
		}
		randomValue(rng, &b, 0, true)
	}
	b.WriteString(`],"x":{"y":"]"}}`)
	data := b.Bytes()
	if damaged {
		for range 1 + rng.IntN(3) {
			data[rng.IntN(len(data))] = `"\{}[],: a`[rng.IntN(10)]
		}
		if rng.IntN(2) == 0 {
			data = data[:rng.IntN(len(data))]
		}
	}
	return data
}

func randomValue(rng *rand.Rand, b *bytes.Buffer, depth int, object bool) {
	if !object {
		switch k := rng.IntN(6); {
		case k < 3 || depth > 3:
			randomString(rng, b)
			return
		case k == 3:
			b.WriteString(strings.Repeat(" ", rng.IntN(70)) + "12")
			return
		case k == 4:
			b.WriteByte('[')
			for i := range rng.IntN(4) {
				if i > 0 {
					b.WriteByte(',')
				}
				randomValue(rng, b, depth+1, false)
			}
			b.WriteByte(']')
			return
		}
	}
	b.WriteByte('{')
	for i := range rng.IntN(6) {
		if i > 0 {
			b.WriteByte(',')
		}
		randomString(rng, b)
		b.WriteByte(':')
		randomValue(rng, b, depth+1, false)
	}
	b.WriteByte('}')
}

func randomString(rng *rand.Rand, b *bytes.Buffer) {
	b.WriteByte('"')
	for range rng.IntN(90) {
		switch rng.IntN(20) {
		case 0:
			b.WriteString(strings.Repeat(`\`, 1+rng.IntN(5)))
			b.WriteByte(`"n\{}`[rng.IntN(5)])
		case 1:
			b.WriteString(`\"`)
		case 2:
			b.WriteByte(`{}[]`[rng.IntN(4)])
		default:
			b.WriteByte('a' + byte(rng.IntN(26)))
		}
	}
	b.WriteByte('"')
}

// FuzzBlockWalk checks that the block walks (SIMD and portable) and the
// byte walk agree on any input: records, offsets, lines and errors.
func FuzzBlockWalk(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 10 {
		f.Add(randomLogFile(rng, i%2 == 1))
	}
	f.Add([]byte(`{"Records":[{"a":"\\\"}"},{\"b":1}]}`))
	f.Add([]byte(`{"Records":[{"a":"` + strings.Repeat(`\`, 63) + `"}"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkWalksAgree(t, data) })
}

// TestClassifySIMD checks the SIMD classifier against the portable one.
func TestClassifySIMD(t *testing.T) {
	if !haveSIMD {
		t.Log("no SIMD classifier on this machine: classifySIMD is classifyGeneric")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var b [64]byte
	for n := range 20000 {
		for i := range b {
			if n%2 == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = ("\"\\{}[]:, a" + "\x7b\x5b\x7d\x5d\xfb\xdb")[rng.IntN(16)]
			}
		}
		if got, want := classifySIMD(&b), classifyGeneric(&b); got != want {
			t.Fatalf("classify %q: SIMD %+v, portable %+v", b, got, want)
		}
	}
}

// TestSkimLongValues checks long values, most of whose blocks are skimmed
// without being walked bracket by bracket.
func TestSkimLongValues(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for i := range 50 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"k":"%s","n":{"m":[%s]},"q":"%s"}`, strings.Repeat("x", i*13), strings.Repeat(`{"a":"}"},`, i)+"1",
			strings.Repeat(`[]`, i))
	}
	b.WriteString(`]}`)
	checkWalksAgree(t, b.Bytes())
}
