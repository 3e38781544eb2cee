package policy

import "slices"

// uniDFA is a universe (with its exclusions) as a complete deterministic
// automaton over the universe's own character classes, built once per
// Analyzer and universe for the fast path (fastpath.go). It holds only
// the states from which a word of the universe can still be completed,
// with their distance to the nearest such completion.
// uniStart is the start state of every uniDFA: its states are the
// machine's, and newMachine interns the start set first.
const uniStart int32 = 0

type uniDFA struct {
	alpha    alphabet
	nClasses int
	// trans[s*nClasses+c] is the successor of s on class c, or -1 when no
	// word of the universe continues that way.
	trans []int32
	dist  []int32 // per state, the length of its shortest completion; state 0 is the start
	// sets are the edge sets of the universe and its exclusions: a
	// question's classes are these refined by the patterns' characters.
	sets      []charSet
	singles   runeSet // runes that already form a one-character set
	nfaStates int     // states of the universe's NFA, for the size cap

	alphas map[alphaKey]*fastAlpha // question alphabets by pattern runes
}

// fastAlpha is a question's alphabet as the machine would build it: the
// same classes, representatives and witness order, with each class's
// universe class.
type fastAlpha struct {
	reps  []rune
	order []int32
	toU   []int32
	// edges[s] lists, in witness order, the classes on which universe
	// state s continues, with their successors (built on first use).
	edges [][]fastEdge
	first []rune // the least shortest word of the universe, once known
}

type fastEdge struct {
	rep rune
	to  int32
}

// edgesOf returns the continuations of universe state s in witness order.
func (ud *uniDFA) edgesOf(fa *fastAlpha, s int32) []fastEdge {
	if e := fa.edges[s]; e != nil {
		return e
	}
	e := []fastEdge{}
	for _, c := range fa.order {
		if t := ud.next(s, fa.toU[c]); t >= 0 {
			e = append(e, fastEdge{rep: fa.reps[c], to: t})
		}
	}
	fa.edges[s] = e
	return e
}

// maxAlphas bounds the question alphabets cached per universe.
const maxAlphas = 256

// buildUniDFA determinises the universe u with at most maxStates states;
// nil when it has more or when the universe is empty.
func buildUniDFA(u Universe, maxStates int) *uniDFA {
	n := newNFA()
	langs := []language{u.build(n), n.addGlobs(compileAll(u.exclude))}
	m := newMachine(n, langs, maxStates)
	if m == nil {
		return nil
	}
	nc := m.nClasses
	var trans []int32
	for d := int32(0); int(d) < m.sets.len(); d++ {
		for c := range nc {
			t := int32(-1)
			if m.liveState[d] {
				if t = m.step(d, int32(c)); t == transOverflow {
					return nil
				}
				if !m.liveState[t] {
					t = -1
				}
			}
			trans = append(trans, t)
		}
	}
	states := m.sets.len()
	// Distances to a word end of the universe, by a backward search.
	preds := make([][]int32, states)
	for s := range states {
		for c := range nc {
			if t := trans[s*nc+c]; t >= 0 {
				preds[t] = append(preds[t], int32(s))
			}
		}
	}
	dist := make([]int32, states)
	var queue []int32
	for s := range states {
		dist[s] = -1
		if m.liveState[s] && m.accepts(int32(s), 0) && !m.accepts(int32(s), 1) {
			dist[s] = 0
			queue = append(queue, int32(s))
		}
	}
	for head := 0; head < len(queue); head++ {
		s := queue[head]
		for _, p := range preds[s] {
			if dist[p] < 0 {
				dist[p] = dist[s] + 1
				queue = append(queue, p)
			}
		}
	}
	if dist[uniStart] < 0 {
		return nil // an empty universe: leave it to the machine
	}
	for i, t := range trans {
		if t >= 0 && dist[t] < 0 {
			trans[i] = -1
		}
	}
	ud := &uniDFA{alpha: m.alpha, nClasses: nc, trans: trans, dist: dist, sets: slices.Clone(n.sets),
		alphas: map[alphaKey]*fastAlpha{}, nfaStates: len(n.edges)}
	for _, s := range n.sets {
		if !s.neg && len(s.runes) == 1 {
			ud.singles.add(s.runes[0])
		}
	}
	return ud
}

// next returns the successor of state s on universe class c, or -1.
func (ud *uniDFA) next(s, c int32) int32 { return ud.trans[int(s)*ud.nClasses+int(c)] }

// inU reports whether state s ends a word of the universe.
func (ud *uniDFA) inU(s int32) bool { return ud.dist[s] == 0 }

// runeSet is a set of runes: ASCII in a bit set, the rest in a list.
type runeSet struct {
	ascii [2]uint64
	other []rune
}

func (s *runeSet) add(r rune) {
	if r < 128 {
		s.ascii[r/64] |= 1 << (r % 64)
	} else if !slices.Contains(s.other, r) {
		s.other = append(s.other, r)
	}
}

func (s *runeSet) has(r rune) bool {
	if r < 128 {
		return s.ascii[r/64]&(1<<(r%64)) != 0
	}
	return slices.Contains(s.other, r)
}

// alphaKey names the runes a question adds to its universe's classes.
type alphaKey struct {
	ascii [2]uint64
	other string
}

// questionAlpha returns the alphabet of a question whose patterns hold
// the literal characters runes: the classes newMachine would compute for
// the universe and those patterns, since a pattern's only edge sets are
// its literals (one-character sets) and "any character", which tells no
// characters apart.
func (ud *uniDFA) questionAlpha(runes *runeSet) *fastAlpha {
	// Runes that already form a one-character set change nothing.
	key := alphaKey{ascii: [2]uint64{runes.ascii[0] &^ ud.singles.ascii[0], runes.ascii[1] &^ ud.singles.ascii[1]}}
	var other []rune
	for _, r := range runes.other {
		if !ud.singles.has(r) {
			other = append(other, r)
		}
	}
	if len(other) > 0 {
		slices.Sort(other)
		key.other = string(other)
	}
	if fa, ok := ud.alphas[key]; ok {
		return fa
	}
	sets := slices.Clip(ud.sets)
	for r := range rune(128) {
		if key.ascii[r/64]&(1<<(r%64)) != 0 {
			sets = append(sets, charSet{runes: []rune{r}})
		}
	}
	for _, r := range other {
		sets = append(sets, charSet{runes: []rune{r}})
	}
	alpha := (&nfa{sets: sets}).classify()
	fa := &fastAlpha{reps: alpha.reps, order: alpha.witnessOrder(), toU: make([]int32, len(alpha.reps)),
		edges: make([][]fastEdge, len(ud.dist))}
	for c, ms := range alpha.members {
		fa.toU[c] = ud.alpha.other
		if len(ms) > 0 {
			fa.toU[c] = ud.alpha.class(ms[0])
		}
	}
	if len(ud.alphas) >= maxAlphas {
		clear(ud.alphas)
	}
	ud.alphas[key] = fa
	return fa
}

// enumerate calls visit with the words of the universe of the shortest
// length, in the witness order of fa (each spelled with its classes'
// representatives), until visit returns true or limit words were visited.
// It reports whether visit stopped it; false means the words ran out or
// the limit was reached, and the caller cannot conclude.
//
// Every state on the way is exactly its distance from a word end, so the
// walk never enters a dead end: a word of the shortest length L passes
// through states whose distance is L minus the characters read.
func (ud *uniDFA) enumerate(fa *fastAlpha, limit int, visit func(word []rune) bool) bool {
	if fa.first != nil && limit == 1 {
		return visit(fa.first)
	}
	length := int(ud.dist[uniStart])
	word := make([]rune, length)
	state := make([]int32, length+1)
	next := make([]int, length+1)
	state[0] = uniStart
	pos, seen := 0, 0
	for {
		if pos == length {
			if fa.first == nil {
				fa.first = slices.Clone(word)
			}
			if visit(word) {
				return true
			}
			if seen++; seen >= limit || pos == 0 {
				return false
			}
			pos--
			continue
		}
		advanced := false
		edges := ud.edgesOf(fa, state[pos])
		for next[pos] < len(edges) {
			e := edges[next[pos]]
			next[pos]++
			if int(ud.dist[e.to]) == length-pos-1 {
				word[pos], state[pos+1] = e.rep, e.to
				pos++
				next[pos] = 0
				advanced = true
				break
			}
		}
		if !advanced {
			if pos == 0 {
				return false
			}
			pos--
		}
	}
}
