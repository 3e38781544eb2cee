//go:build !amd64

package cloudtrail

const haveSIMD = false

func defaultWalk() walkMode { return walkBytes }

func classifySIMD(b *[64]byte) blockMasks { return classifyGeneric(b) }

func skim(_ []byte, inStr uint64, depth int) (done int, inStrOut uint64, depthOut int, end int) {
	return 0, inStr, depth, -1
}

func indexAnchor(b []byte, _ bool) int {
	for i := range b {
		if b[i] == '\\' || b[i] == 't' && i+1 < len(b) && (b[i+1] == 'N' || b[i+1] == 'S') {
			return i
		}
	}
	return -1
}
