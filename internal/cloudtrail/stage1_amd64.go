package cloudtrail

import "golang.org/x/sys/cpu"

// haveSIMD tells whether the AVX2 classifier and skimmer can run (they
// also need carry-less multiplication and popcount); fixed for the process.
var haveSIMD = cpu.X86.HasAVX2 && cpu.X86.HasPCLMULQDQ && cpu.X86.HasPOPCNT

func defaultWalk() walkMode {
	if haveSIMD {
		return walkBlocksSIMD
	}
	return walkBytes
}

// classifyAVX2 classifies the 64 bytes at b (stage1_amd64.s).
//
//go:noescape
func classifyAVX2(b *[64]byte) (quote, backslash, open, close uint64)

//go:noescape
func skimAVX2(p *byte, n int, inStr uint64, depth int) (done int, inStrOut uint64, depthOut int, end int)

func classifySIMD(b *[64]byte) blockMasks {
	q, bs, o, c := classifyAVX2(b)
	return blockMasks{quote: q, backslash: bs, open: o, close: c}
}

// skim consumes the whole blocks of b that have no backslash, up to the
// bracket that brings depth to zero (end: the index after it, else -1);
// see skimAVX2.
func skim(b []byte, inStr uint64, depth int) (done int, inStrOut uint64, depthOut int, end int) {
	if len(b) < 64 {
		return 0, inStr, depth, -1
	}
	return skimAVX2(&b[0], len(b), inStr, depth)
}

//go:noescape
func indexAnchorAVX2(p *byte, n int) (found int, next int)

// indexAnchor returns the first i with b[i] == '\\', or b[i] == 't' and
// b[i+1] == 'N' or 'S', or -1; with AVX2 (simd) or a byte loop.
func indexAnchor(b []byte, simd bool) int {
	if simd && len(b) >= 33 {
		if k, _ := indexAnchorAVX2(&b[0], len(b)); k >= 0 {
			return k
		}
		// The tail the 32-byte steps left: one more step over the last 33
		// bytes, overlapping positions already searched (none of which
		// matched), then the last byte, which can only be a backslash.
		n := len(b) - 33
		if k, _ := indexAnchorAVX2(&b[n], 33); k >= 0 {
			return n + k
		}
		if b[len(b)-1] == '\\' {
			return len(b) - 1
		}
		return -1
	}
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' || b[i] == 't' && i+1 < len(b) && (b[i+1] == 'N' || b[i+1] == 'S') {
			return i
		}
	}
	return -1
}
