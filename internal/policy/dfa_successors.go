package policy

// buildSuccessors fills the NFA successor table in compressed rows, one
// row per (state, class), in the order state-major then class. Each
// edge's character set is tested against each class once, not once per
// edge, and the rows share one backing array: with per-row slices the
// table cost thousands of small allocations for every new question.
func (m *machine) buildSuccessors(n *nfa) {
	in := make([]bool, len(n.sets)*m.nClasses)
	for si, set := range n.sets {
		for c := range m.nClasses {
			if int32(c) == m.alpha.other {
				in[si*m.nClasses+c] = set.neg
			} else {
				in[si*m.nClasses+c] = set.contains(m.alpha.reps[c])
			}
		}
	}
	edges := 0
	for _, es := range n.edges {
		edges += len(es)
	}
	m.succOff = make([]int32, len(n.edges)*m.nClasses+1)
	m.succTo = make([]int32, 0, edges*2)
	for s, es := range n.edges {
		for c := range m.nClasses {
			for _, e := range es {
				if in[int(e.set)*m.nClasses+c] {
					m.succTo = append(m.succTo, e.to)
				}
			}
			m.succOff[s*m.nClasses+c+1] = int32(len(m.succTo))
		}
	}
	// rowKey names each row so that equal keys mean equal rows: -1 for
	// no successor, the successor itself for one, and for longer rows a
	// key unique to the row (such rows are rare; treating equal long rows
	// as different only costs a transition computed twice).
	m.rowKey = make([]int32, len(m.succOff)-1)
	for i := range m.rowKey {
		switch lo, hi := m.succOff[i], m.succOff[i+1]; hi - lo {
		case 0:
			m.rowKey[i] = -1
		case 1:
			m.rowKey[i] = m.succTo[lo]
		default:
			m.rowKey[i] = -2 - int32(i)
		}
	}
	// A state whose rows all have one key (a '*' loop, a state with no
	// edges) never tells two classes apart; sameRows skips it, and most
	// pattern states of a deterministic state are of that kind.
	m.telling = make([]uint64, (len(n.edges)+63)/64)
	for s := range n.edges {
		row := m.rowKey[s*m.nClasses : (s+1)*m.nClasses]
		for _, k := range row {
			if k != row[0] {
				m.telling[s/64] |= 1 << (s % 64)
				break
			}
		}
	}
}
