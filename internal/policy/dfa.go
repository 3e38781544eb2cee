package policy

import (
	"math/bits"
	"slices"
	"strings"
	"unsafe"
)

// DefaultMaxStates caps the deterministic states a question may build.
// Past it the answer is UNKNOWN instead of a hang or an exhausted memory.
const DefaultMaxStates = 20000

// machine determinises an nfa on demand (subset construction) and caches
// every transition it computes, so that repeated questions over the same
// patterns only walk tables.
type machine struct {
	alpha    alphabet
	nClasses int
	order    []int32   // classes in the order witnesses prefer
	succ     [][]int32 // NFA successors, indexed state*nClasses+class
	eps      [][]int32
	langs    []language
	words    int        // uint64 words per NFA state set
	final    [][]uint64 // per language, its final NFA states
	live     []uint64   // NFA states of the universe (language 0)

	sets      [][]uint64 // DFA states: sets of NFA states
	index     map[string]int32
	trans     []int32  // DFA transitions, indexed state*nClasses+class; -1 not yet computed
	accept    []uint64 // per DFA state, the languages it accepts (accWords words each)
	accWords  int
	maxStates int
	liveState []bool      // per DFA state: still inside the universe
	adj       [][]adjEdge // per DFA state: its distinct live successors
	adjDone   []bool
	rawIndex  map[string]int32 // successor sets before closure -> DFA state
	scratch   []uint64

	bfsParent []adjEdge // reusable search buffers
	bfsSeen   []bool
	bfsQueue  []int32
}

const (
	transUnknown  = -1
	transOverflow = -2
)

// newMachine prepares a machine for the languages of n; langs[0] must be
// the universe, whose states bound every search.
func newMachine(n *nfa, langs []language, maxStates int) *machine {
	alpha := n.classify()
	m := &machine{
		alpha:     alpha,
		nClasses:  len(alpha.reps),
		eps:       n.eps,
		langs:     langs,
		words:     (len(n.edges) + 63) / 64,
		index:     map[string]int32{},
		rawIndex:  map[string]int32{},
		accWords:  (len(langs) + 63) / 64,
		maxStates: maxStates,
	}
	m.order = make([]int32, m.nClasses)
	for i := range m.order {
		m.order[i] = int32(i)
	}
	const readable = "0123456789abcdefghijklmnopqrstuvwxyz-"
	rank := func(c int32) int {
		if i := strings.IndexRune(readable, alpha.reps[c]); i >= 0 {
			return i
		}
		return len(readable) + int(c)
	}
	slices.SortFunc(m.order, func(a, b int32) int { return rank(a) - rank(b) })
	m.succ = make([][]int32, len(n.edges)*m.nClasses)
	for s, edges := range n.edges {
		for _, e := range edges {
			set := n.sets[e.set]
			for c := range m.nClasses {
				var in bool
				if int32(c) == alpha.other {
					in = set.neg
				} else {
					in = set.contains(alpha.reps[c])
				}
				if in {
					i := s*m.nClasses + c
					m.succ[i] = append(m.succ[i], e.to)
				}
			}
		}
	}
	for _, l := range langs {
		m.final = append(m.final, m.bitset(l.finals))
	}
	m.scratch = make([]uint64, m.words)
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
		next := slices.Clone(m.eps[s])
		for c := range m.nClasses {
			next = append(next, m.succ[int(s)*m.nClasses+c]...)
		}
		for _, t := range next {
			if m.live[t/64]&(1<<(t%64)) == 0 {
				m.live[t/64] |= 1 << (t % 64)
				stack = append(stack, t)
			}
		}
	}
}

func (m *machine) closure(b []uint64) {
	var stack []int32
	for w, word := range b {
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
}

// intern returns the id of a DFA state, adding it if new, or
// transOverflow when the cap is reached.
func (m *machine) intern(b []uint64) int32 {
	key := unsafe.String((*byte)(unsafe.Pointer(unsafe.SliceData(b))), len(b)*8)
	if id, ok := m.index[key]; ok {
		return id
	}
	if len(m.sets) >= m.maxStates {
		return transOverflow
	}
	id := int32(len(m.sets))
	m.index[strings.Clone(key)] = id
	m.sets = append(m.sets, b)
	for range m.nClasses {
		m.trans = append(m.trans, transUnknown)
	}
	acc := make([]uint64, m.accWords)
	for li, fin := range m.final {
		for w := range b {
			if b[w]&fin[w] != 0 {
				acc[li/64] |= 1 << (li % 64)
				break
			}
		}
	}
	m.accept = append(m.accept, acc...)
	m.liveState = append(m.liveState, m.inUniverse(b))
	m.adj = append(m.adj, nil)
	m.adjDone = append(m.adjDone, false)
	return id
}

// step returns the DFA successor of state d on class c.
func (m *machine) step(d int32, c int32) int32 {
	i := int(d)*m.nClasses + int(c)
	if t := m.trans[i]; t != transUnknown {
		return t
	}
	// Many (state, class) pairs lead to the same NFA states before the
	// epsilon closure; rawIndex remembers them so that closure and interning
	// run once per distinct set.
	next := m.scratch
	clear(next)
	for w, word := range m.sets[d] {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			for _, t := range m.succ[(w*64+b)*m.nClasses+int(c)] {
				next[t/64] |= 1 << (t % 64)
			}
		}
	}
	key := unsafe.String((*byte)(unsafe.Pointer(unsafe.SliceData(next))), len(next)*8)
	if t, ok := m.rawIndex[key]; ok {
		m.trans[i] = t
		return t
	}
	raw := strings.Clone(key)
	closed := slices.Clone(next)
	m.closure(closed)
	t := m.intern(closed)
	if t != transOverflow {
		m.rawIndex[raw] = t
	}
	m.trans[i] = t
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

// adjEdge is a transition to a DFA state that is still inside the
// universe, labelled with the first class (in witness order) leading there.
type adjEdge struct {
	to    int32
	class int32
}

// successors returns the distinct successors of d that stay inside the
// universe, computing and caching them on first use. Most classes lead to
// the same few states, so walking this list is much cheaper than walking
// every class. ok is false when the state cap was reached.
func (m *machine) successors(d int32) (edges []adjEdge, ok bool) {
	if m.adjDone[d] {
		return m.adj[d], true
	}
	var out []adjEdge
	for _, c := range m.order {
		t := m.step(d, c)
		if t == transOverflow {
			return nil, false
		}
		if !m.liveState[t] || slices.ContainsFunc(out, func(e adjEdge) bool { return e.to == t }) {
			continue
		}
		out = append(out, adjEdge{to: t, class: c})
	}
	m.adj[d], m.adjDone[d] = out, true
	return out, true
}

// explore finds, by one breadth-first search over the universe, a shortest
// word of the universe satisfying each of wants (nil when none does). It
// stops as soon as every want is met. overflow reports that the state cap
// was reached first, in which case the answers are incomplete.
func (m *machine) explore(wants ...func(d int32) bool) (words []*string, overflow bool) {
	words = make([]*string, len(wants))
	// The buffers are reused across searches (the Analyzer serialises
	// them); they grow when the search interns new states.
	parent, seen, queue := m.bfsParent[:0], m.bfsSeen[:0], m.bfsQueue[:0]
	parent = append(parent, make([]adjEdge, len(m.sets))...)
	seen = append(seen, make([]bool, len(m.sets))...)
	defer func() { m.bfsParent, m.bfsSeen, m.bfsQueue = parent, seen, queue }()
	seen[0] = true
	queue = append(queue, 0)
	missing := len(wants)
	for head := 0; head < len(queue) && missing > 0; head++ {
		d := queue[head]
		if m.accepts(d, 0) {
			for i, want := range wants {
				if words[i] == nil && want(d) {
					w := m.spell(d, parent)
					words[i] = &w
					missing--
				}
			}
		}
		edges, ok := m.successors(d)
		if !ok {
			return words, true
		}
		for _, e := range edges {
			if int(e.to) >= len(seen) {
				seen = append(seen, make([]bool, len(m.sets)-len(seen))...)
				parent = append(parent, make([]adjEdge, len(m.sets)-len(parent))...)
			}
			if seen[e.to] {
				continue
			}
			seen[e.to] = true
			parent[e.to] = adjEdge{to: d, class: e.class}
			queue = append(queue, e.to)
		}
	}
	return words, false
}

// search finds a shortest word of the universe satisfying want.
func (m *machine) search(want func(d int32) bool) (word string, found, overflow bool) {
	words, over := m.explore(want)
	if words[0] == nil {
		return "", false, over
	}
	return *words[0], true, over
}

// spell reads the word leading to d off the BFS parent links.
func (m *machine) spell(d int32, parent []adjEdge) string {
	rs := make([]rune, 0, 96)
	for d != 0 {
		rs = append(rs, m.alpha.reps[parent[d].class])
		d = parent[d].to
	}
	slices.Reverse(rs)
	return string(rs)
}
