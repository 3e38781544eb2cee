package policy

import (
	"slices"
	"strings"
)

// classify partitions the alphabet into classes of characters that no edge
// set tells apart: one class per distinct membership signature among the
// runes the sets mention, plus one for every other rune. Deciding over
// classes instead of characters is what keeps the automata small.
type alphabet struct {
	classOf map[rune]int32
	other   int32  // class of every rune no set mentions
	reps    []rune // a representative character for each class, for witnesses
	members [][]rune
}

func (n *nfa) classify() alphabet {
	var mentioned []rune
	for _, s := range n.sets {
		mentioned = append(mentioned, s.runes...)
	}
	slices.Sort(mentioned)
	mentioned = slices.Compact(mentioned)
	// A signature is built in one reused buffer; the map lookup with
	// string(sig) does not allocate, only a new class's key does.
	sig := make([]byte, len(n.sets))
	signature := func(contains func(charSet) bool) []byte {
		for i, s := range n.sets {
			sig[i] = '0'
			if contains(s) {
				sig[i] = '1'
			}
		}
		return sig
	}
	a := alphabet{classOf: make(map[rune]int32, len(mentioned))}
	bySig := map[string]int32{}
	bySig[string(signature(func(s charSet) bool { return s.neg }))] = 0
	a.other = 0
	a.members = [][]rune{nil}
	for _, r := range mentioned {
		sig := signature(func(s charSet) bool { return s.contains(r) })
		id, ok := bySig[string(sig)]
		if !ok {
			id = int32(len(a.members))
			bySig[string(sig)] = id
			a.members = append(a.members, nil)
		}
		a.classOf[r] = id
		a.members[id] = append(a.members[id], r)
	}
	a.reps = make([]rune, len(a.members))
	for id, ms := range a.members {
		a.reps[id] = pickRep(ms, id == int(a.other), a.classOf)
	}
	return a
}

// pickRep chooses a readable character for a class: the first of
// "0-9a-z-" it holds, else its first member, else (for the class of
// unmentioned runes) a readable rune no set mentions.
func pickRep(members []rune, isOther bool, classOf map[rune]int32) rune {
	const readable = "0123456789abcdefghijklmnopqrstuvwxyz-_ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for _, r := range readable {
		if slices.Contains(members, r) {
			return r
		}
	}
	if len(members) > 0 {
		return members[0]
	}
	if isOther {
		for _, r := range readable {
			if _, used := classOf[r]; !used {
				return r
			}
		}
		for r := rune(0xA1); ; r++ {
			if _, used := classOf[r]; !used {
				return r
			}
		}
	}
	return '?'
}

func (a alphabet) class(r rune) int32 {
	if c, ok := a.classOf[r]; ok {
		return c
	}
	return a.other
}

// witnessOrder lists the classes in the order witnesses prefer: by the
// rank of their representative in "0-9a-z-", the others by class id. The
// machine's search and the fast path (fastpath.go) both spell witnesses
// in this order, which is what makes their witnesses identical.
func (a alphabet) witnessOrder() []int32 {
	order := make([]int32, len(a.reps))
	for i := range order {
		order[i] = int32(i)
	}
	const readable = "0123456789abcdefghijklmnopqrstuvwxyz-"
	rank := func(c int32) int {
		if i := strings.IndexRune(readable, a.reps[c]); i >= 0 {
			return i
		}
		return len(readable) + int(c)
	}
	slices.SortFunc(order, func(x, y int32) int { return rank(x) - rank(y) })
	return order
}
