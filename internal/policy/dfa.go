package policy

import (
	"math/bits"
	"slices"
)

// DefaultMaxStates caps the deterministic states a question may build.
// Past it the answer is UNKNOWN instead of a hang or an exhausted memory.
const DefaultMaxStates = 20000

// machine determinises an nfa on demand (subset construction) and caches
// each state's successors (see successors), so that repeated questions
// over the same patterns only walk tables.
type machine struct {
	alpha    alphabet
	nClasses int
	order    []int32 // classes in the order witnesses prefer
	// NFA successors in compressed rows: those of state s on class c are
	// succTo[succOff[s*nClasses+c]:succOff[s*nClasses+c+1]].
	succOff []int32
	succTo  []int32
	rowKey  []int32  // per row, a key equal only for equal rows
	telling []uint64 // NFA states whose rows differ between classes
	eps     [][]int32
	langs   []language
	words   int        // uint64 words per NFA state set
	final   [][]uint64 // per language, its final NFA states
	live    []uint64   // NFA states of the universe (language 0)

	sets      setTable // DFA states: sets of NFA states, valued by their id
	accept    []uint64 // per DFA state, the languages it accepts (accWords words each)
	accWords  int
	maxStates int
	liveState []bool      // per DFA state: still inside the universe
	adj       [][]adjEdge // per DFA state: its distinct live successors
	adjDone   []bool
	adjArena  []adjEdge // backing store of adj
	stateBuf  []int32   // scratch for successors
	repBuf    []adjEdge
	rawIndex  setTable // successor sets before closure -> DFA state
	scratch   []uint64
	closed    []uint64 // closure of scratch, before interning copies it
	stack     []int32  // closure work list, reused
	hasEps    []uint64 // NFA states with epsilon moves

	// stateClasses holds, per NFA state of the universe, the classes on
	// which it has an edge (nil when there are more than 64 classes). A
	// class no universe state of a DFA state can take leaves the universe,
	// so the search never computes that transition.
	stateClasses []uint64

	tree       *bfsTree         // complete search, once a second question needs it
	wordEnd    map[string]int32 // recent witnesses and their DFA states
	treeFailed bool
	questions  int

	bfsParent []adjEdge // reusable search buffers
	bfsSeen   []bool
	bfsQueue  []int32
}

const (
	transUnknown  = -1
	transOverflow = -2
)

// maxNFACells bounds NFA states times alphabet classes, the size of the
// successor table, so that a huge policy cannot exhaust memory.
const maxNFACells = 4 << 20

// newMachine prepares a machine for the languages of n; langs[0] must be
// the universe, whose states bound every search. It returns nil when the
// automaton would exceed maxNFACells.
func newMachine(n *nfa, langs []language, maxStates int) *machine {
	alpha := n.classify()
	if len(n.edges)*len(alpha.reps) > maxNFACells {
		return nil
	}
	m := &machine{
		alpha:     alpha,
		nClasses:  len(alpha.reps),
		eps:       n.eps,
		langs:     langs,
		words:     (len(n.edges) + 63) / 64,
		accWords:  (len(langs) + 63) / 64,
		maxStates: maxStates,
	}
	m.order = alpha.witnessOrder()
	m.buildSuccessors(n)
	for _, l := range langs {
		m.final = append(m.final, m.bitset(l.finals))
	}
	if m.nClasses <= 64 {
		m.stateClasses = make([]uint64, len(n.edges))
		for s := range n.edges {
			for c := range m.nClasses {
				if i := s*m.nClasses + c; m.succOff[i+1] > m.succOff[i] {
					m.stateClasses[s] |= 1 << c
				}
			}
		}
	}
	m.scratch = make([]uint64, m.words)
	m.hasEps = make([]uint64, m.words)
	for s, eps := range m.eps {
		if len(eps) > 0 {
			m.hasEps[s/64] |= 1 << (s % 64)
		}
	}
	m.closed = make([]uint64, m.words)
	// Typical questions build a few hundred states: sizing the tables for
	// that avoids regrowing them state by state.
	m.sets = newSetTable(m.words, 512)
	m.rawIndex = newSetTable(m.words, 512)
	m.accept = make([]uint64, 0, 512*m.accWords)
	m.liveState = make([]bool, 0, 512)
	m.adj = make([][]adjEdge, 0, 512)
	m.adjDone = make([]bool, 0, 512)
	m.adjArena = make([]adjEdge, 0, 1024)
	m.live = make([]uint64, m.words)
	m.markReachable(langs[0].starts)
	start := m.bitset(nil)
	for _, l := range langs {
		for _, s := range l.starts {
			start[s/64] |= 1 << (s % 64)
		}
	}
	m.closure(start)
	m.intern(start)
	return m
}

func (m *machine) bitset(states []int32) []uint64 {
	b := make([]uint64, m.words)
	for _, s := range states {
		b[s/64] |= 1 << (s % 64)
	}
	return b
}

// markReachable marks every NFA state reachable from the universe's starts:
// a DFA state holding none of them has left the universe for good.
func (m *machine) markReachable(starts []int32) {
	stack := slices.Clone(starts)
	for _, s := range starts {
		m.live[s/64] |= 1 << (s % 64)
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		row := int(s) * m.nClasses
		for _, next := range [][]int32{m.eps[s], m.succTo[m.succOff[row]:m.succOff[row+m.nClasses]]} {
			for _, t := range next {
				if m.live[t/64]&(1<<(t%64)) == 0 {
					m.live[t/64] |= 1 << (t % 64)
					stack = append(stack, t)
				}
			}
		}
	}
}

func (m *machine) closure(b []uint64) {
	stack := m.stack[:0]
	for w, word := range b {
		word &= m.hasEps[w] // only these can add states
		for word != 0 {
			i := bits.TrailingZeros64(word)
			word &^= 1 << i
			stack = append(stack, int32(w*64+i))
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, t := range m.eps[s] {
			if b[t/64]&(1<<(t%64)) == 0 {
				b[t/64] |= 1 << (t % 64)
				stack = append(stack, t)
			}
		}
	}
	m.stack = stack
}

// intern returns the id of a DFA state, adding it if new, or
// transOverflow when the cap is reached.
func (m *machine) intern(b []uint64) int32 {
	if id, ok := m.sets.find(b); ok {
		return id
	}
	if m.sets.len() >= m.maxStates {
		return transOverflow
	}
	id := int32(m.sets.len())
	m.sets.add(b, id)
	base := len(m.accept)
	m.accept = slices.Grow(m.accept, m.accWords)[:base+m.accWords]
	acc := m.accept[base:]
	clear(acc)
	for li, fin := range m.final {
		for w := range b {
			if b[w]&fin[w] != 0 {
				acc[li/64] |= 1 << (li % 64)
				break
			}
		}
	}
	m.liveState = append(m.liveState, m.inUniverse(b))
	m.adj = append(m.adj, nil)
	m.adjDone = append(m.adjDone, false)
	return id
}

// step returns the DFA successor of state d on class c. It keeps no
// table of transitions: the search asks for each (state, class) at most
// once (successors caches the result per state), so a dense table only
// cost memory, which for a question asked once was a large part of the
// price.
func (m *machine) step(d int32, c int32) int32 {
	// Many (state, class) pairs lead to the same NFA states before the
	// epsilon closure; rawIndex remembers them so that closure and interning
	// run once per distinct set.
	next := m.scratch
	clear(next)
	for w, word := range m.sets.set(d) {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			j := (w*64+b)*m.nClasses + int(c)
			for _, t := range m.succTo[m.succOff[j]:m.succOff[j+1]] {
				next[t/64] |= 1 << (t % 64)
			}
		}
	}
	if t, ok := m.rawIndex.find(next); ok {
		return t
	}
	closed := m.closed
	copy(closed, next)
	m.closure(closed)
	t := m.intern(closed)
	if t != transOverflow {
		m.rawIndex.add(next, t)
	}
	return t
}

// accepts reports whether DFA state d accepts language li.
func (m *machine) accepts(d int32, li int) bool {
	return m.accept[int(d)*m.accWords+li/64]&(1<<(li%64)) != 0
}

// acceptSet returns the languages DFA state d accepts, as a bit set.
func (m *machine) acceptSet(d int32) []uint64 {
	return m.accept[int(d)*m.accWords : int(d+1)*m.accWords]
}

func (m *machine) inUniverse(b []uint64) bool {
	for w, word := range b {
		if word&m.live[w] != 0 {
			return true
		}
	}
	return false
}

// universeClasses returns the classes on which some universe NFA state of
// DFA state d has an edge, or all classes when that is not tracked.
func (m *machine) universeClasses(d int32) uint64 {
	if m.stateClasses == nil {
		return ^uint64(0)
	}
	var mask uint64
	for w, word := range m.sets.set(d) {
		word &= m.live[w]
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			mask |= m.stateClasses[w*64+b]
		}
	}
	return mask
}
