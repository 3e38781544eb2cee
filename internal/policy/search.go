package policy

import "slices"

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
	classes := m.universeClasses(d)
	for _, c := range m.order {
		if c < 64 && classes&(1<<c) == 0 {
			continue // the universe cannot continue on this class
		}
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
