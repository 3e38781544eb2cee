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
// too large) goes to the machine. Its answers are the machine's, except
// that it can decide a question whose product automaton would outgrow the
// state cap, where the machine says UNKNOWN.

// maxFastCandidates bounds the words the fast path tests for a witness.
const maxFastCandidates = 64

// maxUniDFAs bounds the universes whose automata an Analyzer keeps.
const maxUniDFAs = 64

// maxRelations bounds the cached universe/language relations.
const maxRelations = 8192

// relationKey names a universe and a language by their cache keys.
type relationKey struct{ universe, lang string }

// relation caches what is known of one universe and one language.
type relation struct {
	covers, disjoint int8 // 0 not yet asked, 1 holds, 2 does not, 3 undecided
}

// fastQuestion is the fast path's view of one question.
type fastQuestion struct {
	a  *Analyzer
	ud *uniDFA
	u  Universe
	q  *questionLangs
	// Per language index (the universe's two are unused): its patterns
	// as plain wildcard text, or compiled when they had policy variables.
	plain  [][]string
	globs  [][]glob
	status []int8 // per language, for the word being tested: 0 unknown, 1 in, 2 out
	word   string
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
	n := len(q.sets) + 2
	f := &fastQuestion{a: a, ud: ud, u: u, q: q, plain: make([][]string, n), globs: make([][]glob, n), status: make([]int8, n)}
	var runes runeSet
	cells := ud.nfaStates
	for i, s := range q.sets {
		if s.plain != nil {
			f.plain[i+2] = s.plain
			for _, p := range s.plain {
				cells++
				for _, r := range p {
					cells++ // the states addGlobs makes: one per token, one to start
					if r != '*' && r != '?' {
						runes.add(r)
					}
				}
			}
			continue
		}
		f.globs[i+2] = s.compile()
		for _, g := range f.globs[i+2] {
			cells += len(g) + 1
			for _, t := range g {
				if t.kind == globLit {
					runes.add(t.r)
				}
			}
		}
	}
	f.alpha = ud.questionAlpha(&runes)
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
	key := relationKey{universe: f.u.key, lang: f.q.sets[lang-2].key}
	r := f.a.relations[key]
	v := &r.disjoint
	if covers {
		v = &r.covers
	}
	if *v == 0 {
		*v = 3
		if s, ok := newGlobSim(f.tokens(lang)); ok {
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

// tokens returns the patterns of a language as simulation tokens.
func (f *fastQuestion) tokens(lang int) [][]simTok {
	var out [][]simTok
	for _, p := range f.plain[lang] {
		ts := make([]simTok, 0, len(p))
		for _, r := range p {
			t := charTok(r)
			ts = append(ts, simTok{kind: t.kind, r: t.r})
		}
		out = append(out, ts)
	}
	for _, g := range f.globs[lang] {
		ts := make([]simTok, len(g))
		for i, t := range g {
			ts[i] = simTok{kind: t.kind, r: t.r}
		}
		out = append(out, ts)
	}
	return out
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

// anyCovers reports whether one of the terms covers U, trying first the
// terms whose relations are known ("*" is in nearly every policy).
func (f *fastQuestion) anyCovers(ts []term) bool {
	for _, t := range ts {
		r, ok := f.a.relations[relationKey{universe: f.u.key, lang: f.q.sets[t.lang-2].key}]
		v := r.covers
		if t.negate {
			v = r.disjoint
		}
		if ok && v == 1 {
			return true
		}
	}
	return slices.ContainsFunc(ts, f.coversU)
}

// provesAll reports that the bound "every word of U is allowed" holds:
// one counted Allow covers U and no counted Deny touches it.
func (f *fastQuestion) provesAll(allows, denies []term) bool {
	if !f.anyCovers(allows) {
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
			return f.anyCovers(denies)
		}
	}
	return true
}
