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

// classifyGeneric is the portable classifier; classifyBlock (per
// architecture) may use SIMD and must return the same masks.
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

// scanBlocks is scanComposite for values outside line mode (the elements
// of a Records array, the rest of a log file object): it finds the end of
// the object or array at s.pos, entered at the given depth, with the same
// refills, results and errors as the byte walk.
func (s *Scanner) scanBlocks(start, depth int) (int, int, error) {
	simd := s.walk == walkBlocksSIMD || (s.walk == walkAuto && defaultWalk() == walkBlocksSIMD)
	classify := classifyGeneric
	if simd {
		classify = classifySIMD
	}
	i := s.pos
	var inStr uint64 // all ones when byte i is inside a string
	esc := false     // byte i is escaped
	var tail [64]byte
	for {
		if i >= s.end {
			s.pos = i
			shift, ok, err := s.fill(start)
			i -= shift
			start -= shift
			if err := s.fillFailed(start, ok, err); err != nil {
				return 0, 0, err
			}
			continue
		}
		if !esc && simd {
			k := 0
			k, inStr, depth = skim(s.buf[i:s.end], inStr, depth)
			if i += k; i >= s.end {
				continue
			}
		}
		n := s.end - i
		var m blockMasks
		if n >= 64 {
			n = 64
			m = classify((*[64]byte)(s.buf[i : i+64]))
		} else {
			copy(tail[:], s.buf[i:s.end])
			for k := n; k < 64; k++ {
				tail[k] = ' '
			}
			m = classify(&tail)
		}
		var str uint64
		if m.backslash == 0 && !esc {
			str = prefixXor(m.quote) ^ inStr
		} else {
			str, esc = exactStrings(m, inStr != 0, esc, n)
		}
		inStr = -(str >> uint(n-1) & 1)
		open, closing := m.open&^str, m.close&^str
		nc := bits.OnesCount64(closing)
		if depth > nc {
			depth += bits.OnesCount64(open) - nc
			i += n
			continue
		}
		for x := open | closing; x != 0; x &= x - 1 {
			p := bits.TrailingZeros64(x)
			if open>>uint(p)&1 != 0 {
				depth++
				continue
			}
			if depth--; depth == 0 {
				s.pos = i + p + 1
				return start, i + p + 1, nil
			}
		}
		i += n
	}
}
