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
func skimAVX2(p *byte, n int, inStr uint64, depth int) (done int, inStrOut uint64, depthOut int)

func classifySIMD(b *[64]byte) blockMasks {
	q, bs, o, c := classifyAVX2(b)
	return blockMasks{quote: q, backslash: bs, open: o, close: c}
}

// skim consumes the whole blocks of b that have no backslash and cannot
// close the value; see skimAVX2.
func skim(b []byte, inStr uint64, depth int) (int, uint64, int) {
	if len(b) < 64 {
		return 0, inStr, depth
	}
	return skimAVX2(&b[0], len(b), inStr, depth)
}
