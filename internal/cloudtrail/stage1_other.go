//go:build !amd64

package cloudtrail

const haveSIMD = false

func defaultWalk() walkMode { return walkBytes }

func classifySIMD(b *[64]byte) blockMasks { return classifyGeneric(b) }

func skim(_ []byte, inStr uint64, depth int) (int, uint64, int) { return 0, inStr, depth }
