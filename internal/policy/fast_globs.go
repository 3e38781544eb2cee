package policy

import "slices"

// simWords bounds the positions of a union of patterns the fast path
// simulates (64 per word); longer unions are left to the machine.
const simWords = 8

// simMask is a set of pattern positions.
type simMask [simWords]uint64

func (m simMask) and(o simMask) (r simMask) {
	for i := range m {
		r[i] = m[i] & o[i]
	}
	return r
}

func (m simMask) or(o simMask) (r simMask) {
	for i := range m {
		r[i] = m[i] | o[i]
	}
	return r
}

func (m simMask) shl1() (r simMask) {
	var carry uint64
	for i := range m {
		r[i] = m[i]<<1 | carry
		carry = m[i] >> 63
	}
	return r
}

func (m simMask) empty() bool { return m == simMask{} }

func (m *simMask) set(i int) { m[i/64] |= 1 << (i % 64) }

// globSim runs a union of variable-free patterns bit-parallel (shift-and):
// position p of a pattern with k tokens means "its first p tokens are
// matched"; position k is its end. Patterns lie back to back.
type globSim struct {
	start, star, anyAdv, final simMask
	// sat holds the positions from which every rest is accepted (only
	// '*' tokens remain).
	sat  simMask
	lits []simLit // positions whose token is that literal
}

type simLit struct {
	r rune
	m simMask
}

// simTok is one token of a pattern (globLit, globStar or globAny).
type simTok struct {
	kind globKind
	r    rune
}

func (s *globSim) lit(r rune) (*simMask, bool) {
	for i := range s.lits {
		if s.lits[i].r == r {
			return &s.lits[i].m, true
		}
	}
	return nil, false
}

// newGlobSim compiles the union; ok is false when it is too long.
func newGlobSim(gs [][]simTok) (s *globSim, ok bool) {
	total := 0
	for _, g := range gs {
		total += len(g) + 1
	}
	if total > simWords*64 {
		return nil, false
	}
	s = &globSim{}
	p := 0
	for _, g := range gs {
		s.start.set(p)
		for i, t := range g {
			switch t.kind {
			case globStar:
				s.star.set(p + i)
			case globAny:
				s.anyAdv.set(p + i)
			default:
				m, ok := s.lit(t.r)
				if !ok {
					s.lits = append(s.lits, simLit{r: t.r})
					m = &s.lits[len(s.lits)-1].m
				}
				m.set(p + i)
			}
		}
		s.final.set(p + len(g))
		for i := len(g) - 1; i >= 0 && g[i].kind == globStar; i-- {
			s.sat.set(p + i)
		}
		p += len(g) + 1
	}
	s.start = s.closure(s.start)
	return s, true
}

// closure adds the positions after every '*' reached.
func (s *globSim) closure(m simMask) simMask {
	for {
		n := m.or(m.and(s.star).shl1())
		if n == m {
			return m
		}
		m = n
	}
}

// step reads one character whose advancing positions are adv.
func (s *globSim) step(m, adv simMask) simMask {
	return s.closure(m.and(adv).shl1().or(m.and(s.star)))
}

// classAdvs lists, per universe class, the distinct advancing sets of
// its characters: each pattern literal in the class has its own, and
// the class's other characters (if any) advance only the '?' positions.
func (s *globSim) classAdvs(ud *uniDFA) [][]simMask {
	out := make([][]simMask, ud.nClasses)
	add := func(c int32, m simMask) {
		if !slices.Contains(out[c], m) {
			out[c] = append(out[c], m)
		}
	}
	for _, l := range s.lits {
		add(ud.alpha.class(l.r), l.m.or(s.anyAdv))
	}
	for c := range ud.nClasses {
		ms := ud.alpha.members[c]
		// The class of unmentioned runes is infinite: it always has
		// characters that are no literal of the patterns.
		nonLit := int32(c) == ud.alpha.other
		for _, r := range ms {
			if _, ok := s.lit(r); !ok {
				nonLit = true
				break
			}
		}
		if nonLit {
			add(int32(c), s.anyAdv)
		}
	}
	return out
}

// simPair is a state of the product of the universe and the patterns.
type simPair struct {
	u int32
	m simMask
}

// relate decides, for the universe U and the union L of the patterns,
// "U ⊆ L" (covers) or "U ∩ L = ∅" (!covers), by a depth-first search of
// the product of the universe's automaton with the patterns' positions.
// decided is false when the search visits more than limit pairs.
func (ud *uniDFA) relate(s *globSim, covers bool, limit int) (holds, decided bool) {
	advs := s.classAdvs(ud)
	// judge says whether a pair settles the question (a counterexample)
	// or can be pruned; pairs are judged when they are made, so that a
	// counterexample stops the search at once.
	judge := func(p simPair) (counter, prune bool) {
		saturated := !p.m.and(s.sat).empty()
		accepted := !p.m.and(s.final).empty()
		// Every state here can still complete a word of the universe.
		if covers {
			if saturated {
				return false, true // every completion is in L
			}
			return p.m.empty() || ud.inU(p.u) && !accepted, false
		}
		if p.m.empty() {
			return false, true // no completion is in L
		}
		return saturated || ud.inU(p.u) && accepted, false
	}
	first := simPair{u: uniStart, m: s.start}
	if counter, prune := judge(first); counter || prune {
		return !counter, true
	}
	seen := map[simPair]bool{first: true}
	stack := []simPair{first}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for c := range int32(ud.nClasses) {
			t := ud.next(p.u, c)
			if t < 0 {
				continue
			}
			for _, adv := range advs[c] {
				q := simPair{u: t, m: s.step(p.m, adv)}
				if seen[q] {
					continue
				}
				counter, prune := judge(q)
				if counter {
					return false, true
				}
				if len(seen) >= limit {
					return false, false
				}
				seen[q] = true
				if !prune {
					stack = append(stack, q)
				}
			}
		}
	}
	return true, true
}
