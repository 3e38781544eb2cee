package cloudtrail

import "math/bits"

// Stage-1 structural scan in the style of simdjson: the input is read in
// 64-byte blocks, each classified into bitmasks (one bit per byte) of
// quotes, backslashes, opening and closing brackets. Which quotes are
// escaped, which bytes lie inside strings (a prefix XOR of the quote bits)
// and which brackets are structural then follow with a few word
// operations per block instead of a branch per byte. Depth is counted with
// popcounts; only a block in which the value may close is walked bracket
// by bracket.
//
// Semantics are exactly those of the byte walk in scan_struct.go, on any
// input: a backslash escapes the next byte inside a string and means
// nothing outside one (valid JSON has none there). Blocks with no
// backslash take the branch-free path; the others are resolved quote by
// quote (exactStrings), which is rare in CloudTrail.

// walkMode chooses how Scanner finds the end of a value outside line mode.
// The zero value is the fastest this machine has.
type walkMode int

const (
	walkAuto          walkMode = iota
	walkBytes                  // byte by byte (scan_struct.go)
	walkBlocksGeneric          // 64-byte blocks, portable classifier, no skimming
	walkBlocksSIMD             // 64-byte blocks, SIMD classifier and skimmer
)

func (w walkMode) blocks() bool {
	if w == walkAuto {
		w = defaultWalk()
	}
	return w != walkBytes
}

// blockMasks are the classification bits of one 64-byte block.
type blockMasks struct {
	quote, backslash, open, close uint64
}

// classifyGeneric is the portable classifier, and the reference for
// classifySIMD (per architecture), which must return the same masks.
func classifyGeneric(b *[64]byte) (m blockMasks) {
	for i, c := range b {
		bit := uint64(1) << uint(i)
		switch c {
		case '"':
			m.quote |= bit
		case '\\':
			m.backslash |= bit
		case '{', '[':
			m.open |= bit
		case '}', ']':
			m.close |= bit
		}
	}
	return m
}

// prefixXor sets bit i to the XOR of bits 0..i of x: with x the quotes
// that open or close strings, the bits inside strings (the opening quote
// included, the closing quote not).
func prefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// exactStrings returns the in-string mask of a block of n bytes that has
// backslashes (or starts escaped), walking its quotes and backslashes in
// order: inside a string a backslash escapes the next byte; outside, it is
// nothing. in and esc are the state at the block's first byte; escOut
// tells whether the byte after the block is escaped.
func exactStrings(m blockMasks, in, esc bool, n int) (str uint64, escOut bool) {
	inAtStart := in
	skip := -1 // the position of an escaped byte
	if esc {
		skip = 0
	}
	var real uint64 // quotes that open or close a string
	for x := m.quote | m.backslash; x != 0; x &= x - 1 {
		p := bits.TrailingZeros64(x)
		switch {
		case p == skip:
		case m.backslash>>uint(p)&1 != 0:
			if in {
				skip = p + 1
			}
		default:
			real |= 1 << uint(p)
			in = !in
		}
	}
	str = prefixXor(real)
	if inAtStart {
		str = ^str
	}
	return str, skip == n
}

// blockWalk is the state of a block walk at some byte: inside a string or
// not, escaped or not, and the bracket depth.
type blockWalk struct {
	simd  bool   // use the SIMD classifier and skimmer
	inStr uint64 // all ones when the byte is inside a string
	esc   bool   // the byte is escaped
	depth int
}

func newBlockWalk(mode walkMode, depth int) blockWalk {
	return blockWalk{simd: mode == walkBlocksSIMD || (mode == walkAuto && defaultWalk() == walkBlocksSIMD), depth: depth}
}

func (w *blockWalk) classify(b *[64]byte) blockMasks {
	if w.simd {
		return classifySIMD(b)
	}
	return classifyGeneric(b)
}

// advance walks b from i to the bracket that brings the depth to zero and
// returns the index after it, or -1 when b ends first (the walk's state is
// then that at len(b), ready to go on with more input).
func (w *blockWalk) advance(b []byte, i int) int {
	var tail [64]byte
	for i < len(b) {
		if w.simd && !w.esc {
			k, end := 0, 0
			if k, w.inStr, w.depth, end = skim(b[i:], w.inStr, w.depth); end >= 0 {
				return i + end
			}
			if i += k; i >= len(b) {
				break
			}
		}
		n := len(b) - i
		var m blockMasks
		if n >= 64 {
			n = 64
			m = w.classify((*[64]byte)(b[i : i+64]))
		} else {
			copy(tail[:], b[i:])
			for k := n; k < 64; k++ {
				tail[k] = ' ' // neutral: the states after byte n-1 and after the padding agree
			}
			if w.simd && !w.esc {
				// Skim the padded tail too: it stops only on a backslash.
				k, inStr, depth, end := skim(tail[:], w.inStr, w.depth)
				if end >= 0 {
					return i + end
				}
				if k == 64 {
					w.inStr, w.depth = inStr, depth
					break
				}
			}
			m = w.classify(&tail)
		}
		var str uint64
		if m.backslash == 0 && !w.esc {
			str = prefixXor(m.quote) ^ w.inStr
		} else {
			str, w.esc = exactStrings(m, w.inStr != 0, w.esc, n)
		}
		w.inStr = -(str >> uint(n-1) & 1)
		open, closing := m.open&^str, m.close&^str
		nc := bits.OnesCount64(closing)
		if w.depth > nc {
			w.depth += bits.OnesCount64(open) - nc
			i += n
			continue
		}
		for x := open | closing; x != 0; x &= x - 1 {
			p := bits.TrailingZeros64(x)
			if open>>uint(p)&1 != 0 {
				w.depth++
				continue
			}
			if w.depth--; w.depth == 0 {
				return i + p + 1
			}
		}
		i += n
	}
	return -1
}

// scanBlocks is scanComposite for values outside line mode (the elements
// of a Records array, the rest of a log file object): it finds the end of
// the object or array at s.pos, entered at the given depth, with the same
// refills, results and errors as the byte walk.
func (s *Scanner) scanBlocks(start, depth int) (int, int, error) {
	w := newBlockWalk(s.walk, depth)
	i := s.pos
	for {
		if i >= s.end {
			var err error
			if i, start, err = s.refillInValue(i, start); err != nil {
				return 0, 0, err
			}
			continue
		}
		if e := w.advance(s.buf[:s.end], i); e >= 0 {
			s.pos = e
			return start, e, nil
		}
		i = s.end
	}
}
