package policy

import (
	"slices"
)

// charSet is a set of characters: the listed runes, or with neg every rune
// except them. Automata label their edges with charSets so that the
// alphabet stays symbolic (Unicode is never enumerated).
type charSet struct {
	neg   bool
	runes []rune // sorted, unique
}

func anyChar() charSet { return charSet{neg: true} }

func oneOf(s string) charSet {
	rs := []rune(s)
	slices.Sort(rs)
	return charSet{runes: slices.Compact(rs)}
}

func (c charSet) contains(r rune) bool {
	_, found := slices.BinarySearch(c.runes, r)
	return found != c.neg
}

func (c charSet) key() string {
	if c.neg {
		return "^" + string(c.runes)
	}
	return "+" + string(c.runes)
}

// nfa is a nondeterministic automaton with epsilon moves. One nfa holds
// several languages at once (the universe and every pattern set of a
// question); each language is a set of start and final states, and the
// languages share no states, so one subset construction runs them all in
// lock-step (an implicit product automaton).
type nfa struct {
	edges [][]nfaEdge
	eps   [][]int32
	sets  []charSet
	setID map[string]int32
	// singleID indexes the one-character sets, which are most edges,
	// without building their string key.
	singleID map[rune]int32
	// last is the most recent other set: builders repeat one set value
	// (the 32 hex digits of a key id), recognised by its backing array
	// without building its key again. Sets are never modified.
	last   charSet
	lastID int32
}

type nfaEdge struct {
	set int32 // index into nfa.sets
	to  int32
}

// language is one language inside an nfa.
type language struct {
	starts []int32
	finals []int32
}

func newNFA() *nfa { return &nfa{setID: map[string]int32{}, singleID: map[rune]int32{}} }

func (n *nfa) state() int32 {
	n.edges = append(n.edges, nil)
	n.eps = append(n.eps, nil)
	return int32(len(n.edges) - 1)
}

func (n *nfa) edge(from int32, set charSet, to int32) {
	n.edges[from] = append(n.edges[from], nfaEdge{set: n.setIndex(set), to: to})
}

// setIndex returns the index of set in n.sets, adding it when new.
func (n *nfa) setIndex(set charSet) int32 {
	if !set.neg && len(set.runes) == 1 {
		if id, ok := n.singleID[set.runes[0]]; ok {
			return id
		}
		id := int32(len(n.sets))
		n.sets = append(n.sets, set)
		n.singleID[set.runes[0]] = id
		return id
	}
	if len(set.runes) > 0 && set.neg == n.last.neg && len(set.runes) == len(n.last.runes) &&
		&set.runes[0] == &n.last.runes[0] {
		return n.lastID
	}
	k := set.key()
	id, ok := n.setID[k]
	if !ok {
		id = int32(len(n.sets))
		n.sets = append(n.sets, set)
		n.setID[k] = id
	}
	n.last, n.lastID = set, id
	return id
}

func (n *nfa) epsilon(from, to int32) { n.eps[from] = append(n.eps[from], to) }

// addGlobs adds the union of variable-free glob patterns as one language.
// An empty list is the empty language.
func (n *nfa) addGlobs(patterns []glob) language {
	var l language
	for _, g := range patterns {
		s := n.state()
		l.starts = append(l.starts, s)
		for _, t := range g {
			switch t.kind {
			case globStar:
				n.edge(s, anyChar(), s)
				next := n.state()
				n.epsilon(s, next)
				s = next
			case globAny:
				next := n.state()
				n.edge(s, anyChar(), next)
				s = next
			default:
				next := n.state()
				n.edge(s, charSet{runes: []rune{t.r}}, next)
				s = next
			}
		}
		l.finals = append(l.finals, s)
	}
	return l
}

// seq is a small builder for universes written as a sequence of pieces.
type seq struct {
	n   *nfa
	cur int32
}

// lit appends literal text.
func (b *seq) lit(s string) *seq {
	for _, r := range s {
		next := b.n.state()
		b.n.edge(b.cur, charSet{runes: []rune{r}}, next)
		b.cur = next
	}
	return b
}

// repeat appends exactly count characters from set.
func (b *seq) repeat(set charSet, count int) *seq {
	for range count {
		next := b.n.state()
		b.n.edge(b.cur, set, next)
		b.cur = next
	}
	return b
}

// plus appends one or more characters from set.
func (b *seq) plus(set charSet) *seq {
	next := b.n.state()
	b.n.edge(b.cur, set, next)
	b.n.edge(next, set, next)
	b.cur = next
	return b
}

// oneOfWords appends one of the words.
func (b *seq) oneOfWords(words ...string) *seq {
	end := b.n.state()
	start := b.cur
	for _, w := range words {
		b.cur = start
		b.lit(w)
		b.n.epsilon(b.cur, end)
	}
	b.cur = end
	return b
}

// alternatives appends one of several sub-sequences built by the functions.
func (b *seq) alternatives(parts ...func(*seq)) *seq {
	end := b.n.state()
	start := b.cur
	for _, part := range parts {
		b.cur = start
		part(b)
		b.n.epsilon(b.cur, end)
	}
	b.cur = end
	return b
}

// run reports whether the language l of n accepts s.
func (n *nfa) run(l language, s string) bool {
	cur := n.closeOver(l.starts)
	for _, r := range s {
		var next []int32
		for _, st := range cur {
			for _, e := range n.edges[st] {
				if n.sets[e.set].contains(r) {
					next = append(next, e.to)
				}
			}
		}
		if cur = n.closeOver(next); len(cur) == 0 {
			return false
		}
	}
	for _, st := range cur {
		if slices.Contains(l.finals, st) {
			return true
		}
	}
	return false
}

// closeOver returns the epsilon closure of states, without duplicates.
func (n *nfa) closeOver(states []int32) []int32 {
	seen := map[int32]bool{}
	var out []int32
	stack := slices.Clone(states)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
		stack = append(stack, n.eps[s]...)
	}
	return out
}
