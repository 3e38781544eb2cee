package policy

import (
	"math/bits"
	"slices"
)

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
	start := len(m.adjArena)
	classes := m.universeClasses(d)
	m.collectStates(d)
	reps := m.repBuf[:0]
	for _, c := range m.order {
		if c < 64 && classes&(1<<c) == 0 {
			continue // the universe cannot continue on this class
		}
		// A class whose successor rows equal, in every NFA state of d,
		// those of a class already stepped leads to the same DFA state:
		// reuse that answer instead of building the same set again.
		t := int32(transUnknown)
		for _, r := range reps {
			if m.sameRows(r.class, c) {
				t = r.to
				break
			}
		}
		if t == transUnknown {
			if t = m.step(d, c); t == transOverflow {
				m.adjArena = m.adjArena[:start]
				return nil, false
			}
			reps = append(reps, adjEdge{to: t, class: c})
		}
		out := m.adjArena[start:]
		if !m.liveState[t] || slices.ContainsFunc(out, func(e adjEdge) bool { return e.to == t }) {
			continue
		}
		m.adjArena = append(m.adjArena, adjEdge{to: t, class: c})
	}
	m.repBuf = reps
	// The full slice expression keeps later appends to the arena from
	// writing into this state's list.
	m.adj[d], m.adjDone[d] = m.adjArena[start:len(m.adjArena):len(m.adjArena)], true
	return m.adj[d], true
}

// collectStates lists the NFA states of DFA state d that can tell
// classes apart in m.stateBuf, for sameRows.
func (m *machine) collectStates(d int32) {
	states := m.stateBuf[:0]
	for w, word := range m.sets.set(d) {
		word &= m.telling[w]
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			states = append(states, int32(w*64+b))
		}
	}
	m.stateBuf = states
}

// sameRows reports whether every NFA state in m.stateBuf has the same
// successors on classes a and b (compared by rowKey, which may say
// "different" for equal rows but never "equal" for different ones).
func (m *machine) sameRows(a, b int32) bool {
	for _, s := range m.stateBuf {
		row := int(s) * m.nClasses
		if m.rowKey[row+int(a)] != m.rowKey[row+int(b)] {
			return false
		}
	}
	return true
}

// walk visits the states of the universe in breadth-first order and calls
// visit on each state that accepts a word of the universe, with the search
// tree from which m.spell(d, parent) reads a shortest such word. It stops
// when visit returns true, and reports overflow when the state cap was
// reached first.
func (m *machine) walk(visit func(d int32, parent []adjEdge) bool) (overflow bool) {
	// The buffers are reused across searches (the Analyzer serialises
	// them); they grow when the search interns new states.
	parent, seen, queue := m.bfsParent[:0], m.bfsSeen[:0], m.bfsQueue[:0]
	parent = append(parent, make([]adjEdge, m.sets.len())...)
	seen = append(seen, make([]bool, m.sets.len())...)
	defer func() { m.bfsParent, m.bfsSeen, m.bfsQueue = parent, seen, queue }()
	seen[0] = true
	queue = append(queue, 0)
	for head := 0; head < len(queue); head++ {
		d := queue[head]
		if m.accepts(d, 0) && visit(d, parent) {
			return false
		}
		edges, ok := m.successors(d)
		if !ok {
			return true
		}
		for _, e := range edges {
			if int(e.to) >= len(seen) {
				seen = append(seen, make([]bool, m.sets.len()-len(seen))...)
				parent = append(parent, make([]adjEdge, m.sets.len()-len(parent))...)
			}
			if seen[e.to] {
				continue
			}
			seen[e.to] = true
			parent[e.to] = adjEdge{to: d, class: e.class}
			queue = append(queue, e.to)
		}
	}
	return false
}

// explore finds a shortest word of the universe satisfying each of wants
// (nil when none does), in one breadth-first search that stops as soon as
// every want is met. With overflow the answers are incomplete.
func (m *machine) explore(wants ...func(d int32) bool) (words []*string, overflow bool) {
	words = make([]*string, len(wants))
	missing := len(wants)
	if t := m.searchTree(); t != nil {
		for _, d := range t.accepting {
			for i, want := range wants {
				if words[i] == nil && want(d) {
					w := m.spell(d, t.parent)
					words[i] = &w
					missing--
				}
			}
			if missing == 0 {
				break
			}
		}
		return words, false
	}
	overflow = m.walk(func(d int32, parent []adjEdge) bool {
		for i, want := range wants {
			if words[i] == nil && want(d) {
				w := m.spell(d, parent)
				words[i] = &w
				missing--
			}
		}
		return missing == 0
	})
	return words, overflow
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

// bfsTree is a complete breadth-first search of a machine's universe: the
// accepting states in the order the search meets them, and the search
// tree. Walking it visits the same states in the same order as walk, so
// answers and witnesses are identical; it only skips the states that
// accept nothing.
type bfsTree struct {
	accepting []int32
	parent    []adjEdge
}

// searchTree returns the machine's complete search tree, building it on
// the second question asked of the machine (the first one may stop early,
// which is cheaper when the machine is used once), or nil when it is not
// built yet or the state cap stops it.
func (m *machine) searchTree() *bfsTree {
	if m.tree != nil || m.treeFailed {
		return m.tree
	}
	if m.questions++; m.questions < 2 {
		return nil
	}
	t := &bfsTree{}
	overflow := m.walk(func(d int32, _ []adjEdge) bool {
		t.accepting = append(t.accepting, d)
		return false
	})
	if overflow {
		m.treeFailed = true
		return nil
	}
	t.parent = slices.Clone(m.bfsParent)
	m.tree = t
	return t
}

// endState returns the DFA state a word leads to (negative on overflow).
// The states of the last few words are remembered: the machine keeps no
// transition table, and a question asked again names the same witness.
func (m *machine) endState(word string) int32 {
	if d, ok := m.wordEnd[word]; ok {
		return d
	}
	d := int32(0)
	for _, r := range word {
		if d = m.step(d, m.alpha.class(r)); d < 0 {
			return d
		}
	}
	if m.wordEnd == nil || len(m.wordEnd) >= 16 {
		m.wordEnd = map[string]int32{}
	}
	m.wordEnd[word] = d
	return d
}
