package cloudtrail

import (
	"math/rand/v2"
	"testing"
)

// indexAnchorLoop is the definition indexAnchor implements.
func indexAnchorLoop(b []byte) int {
	for i := range b {
		if b[i] == '\\' || b[i] == 't' && i+1 < len(b) && (b[i+1] == 'N' || b[i+1] == 'S') {
			return i
		}
	}
	return -1
}

// TestIndexAnchor holds indexAnchor, with and without SIMD, to its
// definition: one anchor at every position of every length around the
// 32-byte steps, then random bytes from a small alphabet.
func TestIndexAnchor(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		want := indexAnchorLoop(b)
		for _, simd := range []bool{false, haveSIMD} {
			if got := indexAnchor(b, simd); got != want {
				t.Fatalf("indexAnchor(%q, simd %v) = %d, want %d", b, simd, got, want)
			}
		}
	}
	for n := 0; n <= 140; n++ {
		for p := 0; p < n; p++ {
			for _, anchor := range []string{`\`, "tN", "tS", "t"} {
				b := make([]byte, n)
				for i := range b {
					b[i] = 'a'
				}
				copy(b[p:], anchor)
				check(b)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = `tNSa"\`
	for range 20000 {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet)-1)] // no backslash: anchors far in
		}
		if len(b) > 0 && r.IntN(4) == 0 {
			b[r.IntN(len(b))] = '\\'
		}
		check(b)
	}
}
