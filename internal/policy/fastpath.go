package policy

import "slices"

// The fast path answers a set question without the product automaton
// of the universe and every pattern, when it can do so exactly:
//
//   - A bound is proved from relations between the universe U and ONE
//     statement's language at a time ("U ⊆ L", "U ∩ L = ∅"), decided by
//     simulating the statement's patterns over U's deterministic
//     automaton (fast_globs.go) and cached per Analyzer.
//   - A witness is the least word of U (shortest, then in the machine's
//     witness order, spelled with the machine's class representatives)
//     satisfying the question's predicate; the fast path enumerates the
//     shortest words of U in exactly that order and tests each one
//     concretely against the statements.
//
// Whatever it cannot settle (a bound that holds only through a union of
// statements, a witness that is not among the first words, a universe
// too large) goes to the machine, so the answers are the machine's.

// maxFastCandidates bounds the words the fast path tests for a witness.
const maxFastCandidates = 64

// maxUniDFAs bounds the universes whose automata an Analyzer keeps.
const maxUniDFAs = 64

// maxRelations bounds the cached universe/language relations.
const maxRelations = 8192

// relation caches what is known of one universe and one language.
type relation struct {
	covers, disjoint int8 // 0 not yet asked, 1 holds, 2 does not, 3 undecided
}

// fastQuestion is the fast path's view of one question.
type fastQuestion struct {
	a      *Analyzer
	ud     *uniDFA
	u      Universe
	q      *questionLangs
	globs  [][]glob // per language index (the universe's two are nil)
	status []int8   // per language, for the word being tested: 0 unknown, 1 in, 2 out
	word   []rune
	alpha  *fastAlpha
}

// uniDFAFor returns the universe's automaton, or nil when the fast path
// cannot use it. The caller holds a.mu.
func (a *Analyzer) uniDFAFor(u Universe) *uniDFA {
	if ud, ok := a.unis[u.key]; ok {
		return ud
	}
	ud := buildUniDFA(u, a.maxStates)
	if len(a.unis) >= maxUniDFAs {
		clear(a.unis)
	}
	a.unis[u.key] = ud
	return ud
}

// newFastQuestion prepares the fast path, or returns nil when it does not
// apply.
func (a *Analyzer) newFastQuestion(u Universe, q *questionLangs) *fastQuestion {
	if a.noFast {
		return nil
	}
	ud := a.uniDFAFor(u)
	if ud == nil {
		return nil
	}
	f := &fastQuestion{a: a, ud: ud, u: u, q: q, globs: make([][]glob, len(q.sets)+2), status: make([]int8, len(q.sets)+2)}
	var runes []rune
	cells := ud.nfaStates
	for i, s := range q.sets {
		f.globs[i+2] = s.compile()
		for _, g := range f.globs[i+2] {
			cells += len(g) + 1 // the states addGlobs makes
			for _, t := range g {
				if t.kind == globLit {
					runes = append(runes, t.r)
				}
			}
		}
	}
	slices.Sort(runes)
	f.alpha = ud.questionAlpha(slices.Compact(runes))
	// The machine refuses a question whose successor table would exceed
	// maxNFACells (UNKNOWN, "too large to decide"); so does the fast path,
	// so that the size cap means the same whichever path answers.
	if cells*len(f.alpha.reps) > maxNFACells {
		return nil
	}
	return f
}

// relate returns whether U ⊆ L(lang) (covers) or U ∩ L(lang) = ∅, and
// whether that was decided.
func (f *fastQuestion) relate(lang int, covers bool) (holds, decided bool) {
	key := f.u.key + "\x00" + f.q.sets[lang-2].key
	r := f.a.relations[key]
	v := &r.disjoint
	if covers {
		v = &r.covers
	}
	if *v == 0 {
		*v = 3
		if s, ok := newGlobSim(f.globs[lang]); ok {
			if h, d := f.ud.relate(s, covers, f.a.maxStates); d {
				*v = 2
				if h {
					*v = 1
				}
			}
		}
		if len(f.a.relations) >= maxRelations {
			clear(f.a.relations)
		}
		f.a.relations[key] = r
	}
	return *v == 1, *v != 3
}

// coversU reports that term t holds for every word of U (false when not
// or not decided); missesU that it holds for none.
func (f *fastQuestion) coversU(t term) bool {
	h, d := f.relate(t.lang, !t.negate)
	return d && h
}

func (f *fastQuestion) missesU(t term) bool {
	h, d := f.relate(t.lang, t.negate)
	return d && h
}

// provesAll reports that the bound "every word of U is allowed" holds:
// one counted Allow covers U and no counted Deny touches it.
func (f *fastQuestion) provesAll(allows, denies []term) bool {
	if !slices.ContainsFunc(allows, f.coversU) {
		return false
	}
	for _, d := range denies {
		if !f.missesU(d) {
			return false
		}
	}
	return true
}

// provesNone reports that the bound "some word of U is allowed" fails:
// every counted Allow misses U, or one counted Deny covers it.
func (f *fastQuestion) provesNone(allows, denies []term) bool {
	for _, a := range allows {
		if !f.missesU(a) {
			return slices.ContainsFunc(denies, f.coversU)
		}
	}
	return true
}

// holds reports whether term t holds for the word being tested.
func (f *fastQuestion) holds(t term) bool {
	st := &f.status[t.lang]
	if *st == 0 {
		*st = 2
		for _, g := range f.globs[t.lang] {
			if g.matchRunes(f.word) {
				*st = 1
				break
			}
		}
	}
	return (*st == 1) != t.negate
}

// allowed evaluates one bound on the word being tested.
func (f *fastQuestion) allowed(allows, denies []term) bool {
	return slices.ContainsFunc(allows, f.holds) && !slices.ContainsFunc(denies, f.holds)
}

// search finds, for each want, the least shortest word of U satisfying
// it; ok is false when some want has no word among the candidates.
func (f *fastQuestion) search(wants []func() bool, limit int) (words []*string, ok bool) {
	words = make([]*string, len(wants))
	missing := len(wants)
	stopped := f.ud.enumerate(f.alpha, limit, func(word []rune) bool {
		f.word = word
		clear(f.status)
		for i, want := range wants {
			if words[i] == nil && want() {
				w := string(word)
				words[i] = &w
				missing--
			}
		}
		return missing == 0
	})
	return words, stopped
}

// covering lists the statements whose resource element (its larger
// reading) covers the word, as the machine's covering does.
func (f *fastQuestion) covering(word string, allows, denies []stmtTerms) []Evidence {
	f.word = []rune(word)
	clear(f.status)
	var out []Evidence
	for _, group := range [][]stmtTerms{denies, allows} {
		for _, s := range group {
			if f.holds(s.large) {
				out = append(out, s.ev)
			}
		}
	}
	return out
}

// answer decides the question, or reports ok false when the fast path
// cannot do so exactly. The first word of U settles many bounds at once
// (it is the least word, so a bound it refutes has it as witness); only
// the bounds it leaves open are proved, or searched further.
func (f *fastQuestion) answer(question string, b boundTerms) (r bounds, ok bool) {
	type want struct {
		pred  func() bool
		into  **string
		proof func() bool // true when no word satisfies pred
		found *bool       // what a word satisfying pred shows
		yes   bool
	}
	var wants []want
	if question == "all" {
		wants = []want{
			{func() bool { return !f.allowed(b.upperAllow, b.upperDeny) }, &r.upperW,
				func() bool { return f.provesAll(b.upperAllow, b.upperDeny) }, &r.upper, false},
			{func() bool { return !f.allowed(b.lowerAllow, b.lowerDeny) }, &r.lowerW,
				func() bool { return f.provesAll(b.lowerAllow, b.lowerDeny) }, &r.lower, false},
			{func() bool { return true }, &r.anyW, nil, nil, false},
		}
	} else {
		wants = []want{
			{func() bool { return f.allowed(b.upperAllow, b.upperDeny) }, &r.upperW,
				func() bool { return f.provesNone(b.upperAllow, b.upperDeny) }, &r.upper, true},
			{func() bool { return f.allowed(b.lowerAllow, b.lowerDeny) }, &r.lowerW,
				func() bool { return f.provesNone(b.lowerAllow, b.lowerDeny) }, &r.lower, true},
		}
	}
	preds := make([]func() bool, len(wants))
	for i, w := range wants {
		preds[i] = w.pred
	}
	words, _ := f.search(preds, 1)
	var open []func() bool
	var openIdx []int
	for i, w := range wants {
		*w.into = words[i]
		switch {
		case words[i] != nil:
			if w.found != nil {
				*w.found = w.yes
			}
		case w.proof != nil && w.proof():
			*w.found = !w.yes
		default:
			open, openIdx = append(open, w.pred), append(openIdx, i)
		}
	}
	if len(open) == 0 {
		return r, true
	}
	more, all := f.search(open, maxFastCandidates)
	if !all {
		return bounds{}, false
	}
	for j, i := range openIdx {
		*wants[i].into = more[j]
		if wants[i].found != nil {
			*wants[i].found = wants[i].yes
		}
	}
	return r, true
}
