package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Verdict answers a set question.
type Verdict string

// Verdicts. CONDITIONAL means the answer is yes only when some conditions
// hold: the upper bound says yes and the lower bound says no.
const (
	Yes         Verdict = "YES"
	No          Verdict = "NO"
	Conditional Verdict = "CONDITIONAL"
	Unknown     Verdict = "UNKNOWN" // the automata outgrew the size cap
)

// Evidence names a statement that bears on an answer.
type Evidence struct {
	Index  int
	Ref    string // Sid or "#index"
	Effect Effect
	// Conditional is true when the statement applies only under conditions:
	// it has a Condition block or names specific principals.
	Conditional bool
	// Variables is true when its Resource/NotResource holds policy
	// variables, which the bounds treat as unknown values.
	Variables bool
}

// SetAnswer is the answer to a set question with its evidence.
type SetAnswer struct {
	Question string // "all" (is every resource allowed) or "any" (is some resource allowed)
	Action   string // as asked; may be a wildcard pattern
	// ExampleAction is the action the answer is about: the action asked,
	// or for a pattern a shortest (lower-case) action with the strongest
	// answer.
	ExampleAction string
	Universe      string
	Verdict       Verdict
	// UpperBound is the answer when every conditional Allow applies and no
	// conditional Deny does; LowerBound when no conditional Allow applies
	// and every conditional Deny does. KMS.1/KMS.2 use the upper bound.
	UpperBound bool
	LowerBound bool
	// Witness is a shortest resource that shows the answer; WitnessMeaning
	// says what it shows; WitnessStatements are the statements (that cover
	// the action) whose resource element covers the witness.
	Witness           string
	WitnessMeaning    string
	WitnessStatements []Evidence
	// Allows and Denies are the statements whose action element covers the
	// action: the only ones that can matter.
	Allows []Evidence
	Denies []Evidence
	Reason string // why the verdict is UNKNOWN
}

// termMask is a disjunction of terms as bit masks over languages: it holds
// when some language of pos is accepted or some language of neg is not.
type termMask struct {
	pos, neg []uint64
}

func newTermMask(words int) termMask {
	return termMask{pos: make([]uint64, words), neg: make([]uint64, words)}
}

func (t termMask) add(x term) {
	if x.negate {
		t.neg[x.lang/64] |= 1 << (x.lang % 64)
	} else {
		t.pos[x.lang/64] |= 1 << (x.lang % 64)
	}
}

func (t termMask) any(acc []uint64) bool {
	for w, a := range acc {
		if a&t.pos[w] != 0 || ^a&t.neg[w] != 0 {
			return true
		}
	}
	return false
}

// term is "the resource is in language lang", negated for NotResource.
type term struct {
	lang   int
	negate bool
}

// stmtTerms is one statement of a question: its resource element as a
// larger and a smaller language (they differ only when policy variables
// make the element uncertain).
type stmtTerms struct {
	ev           Evidence
	large, small term
}

// AllowsAll answers "for action, is every resource in u allowed by p?"
// over the condition-free part, exactly. action may be a wildcard pattern
// (as in AWS Config's blockedActionsPatterns): the question is then "is
// there an action matching it that is allowed on every resource?", and
// ExampleAction names the action the answer is about.
func (a *Analyzer) AllowsAll(p *Policy, action string, u Universe) (SetAnswer, error) {
	return a.ask(p, action, u, "all")
}

// AllowsAny answers "for action, is some resource in u allowed by p?"
// (for a pattern: by some action matching it).
func (a *Analyzer) AllowsAny(p *Policy, action string, u Universe) (SetAnswer, error) {
	return a.ask(p, action, u, "any")
}

func (a *Analyzer) ask(p *Policy, action string, u Universe, question string) (SetAnswer, error) {
	if action == "" {
		return SetAnswer{}, fmt.Errorf("set questions need an action")
	}
	if strings.ContainsAny(action, "*?") {
		return a.askPattern(p, action, u, question), nil
	}
	return a.askFor(p, action, func(i int) bool { return p.Statements[i].MatchesAction(action) }, u, question), nil
}

// askFor answers a question for the statements that applies selects (by
// position): those whose action element covers the action asked about.
func (a *Analyzer) askFor(p *Policy, action string, applies func(i int) bool, u Universe, question string) SetAnswer {
	ans := SetAnswer{Question: question, Action: action, ExampleAction: action, Universe: u.name}
	q := newQuestionLangs()
	var allows, denies []stmtTerms
	for i := range p.Statements {
		st := &p.Statements[i]
		if !applies(i) {
			continue
		}
		t := resourceTerms(st, q, p.VariablesEnabled())
		if st.Effect == Allow {
			allows = append(allows, t)
			ans.Allows = append(ans.Allows, t.ev)
		} else {
			denies = append(denies, t)
			ans.Denies = append(ans.Denies, t.ev)
		}
	}

	b := countedTerms(allows, denies)

	a.mu.Lock()
	defer a.mu.Unlock()
	a.fastAsked++
	if f := a.newFastQuestion(u, q); f != nil {
		if r, ok := f.answer(question, b); ok {
			a.fastAnswers++
			settle(&ans, r, func(w string) []Evidence { return f.covering(w, allows, denies) })
			return ans
		}
	}
	m := a.machineFor(u, q)
	if m == nil {
		ans.Verdict = Unknown
		ans.Reason = "the patterns are too large to decide"
		return ans
	}
	// Each bound is "some counted Allow term holds and no counted Deny
	// term does"; compiled to bit masks over the accepted languages, one
	// state is judged with a few word operations.
	masks := make([]termMask, 4)
	for i, ts := range [][]term{b.upperAllow, b.upperDeny, b.lowerAllow, b.lowerDeny} {
		masks[i] = newTermMask(m.accWords)
		for _, t := range ts {
			masks[i].add(t)
		}
	}
	allowed := func(d int32, upper bool) bool {
		acc := m.acceptSet(d)
		if upper {
			return masks[0].any(acc) && !masks[1].any(acc)
		}
		return masks[2].any(acc) && !masks[3].any(acc)
	}
	inU := func(d int32) bool { return !m.accepts(d, 1) }

	var r bounds
	var over bool
	if question == "all" {
		ws, o := m.explore(
			func(d int32) bool { return inU(d) && !allowed(d, true) },
			func(d int32) bool { return inU(d) && !allowed(d, false) },
			inU)
		r.upperW, r.lowerW, r.anyW, over = ws[0], ws[1], ws[2], o
		r.upper, r.lower = r.upperW == nil, r.lowerW == nil
	} else {
		ws, o := m.explore(
			func(d int32) bool { return inU(d) && allowed(d, true) },
			func(d int32) bool { return inU(d) && allowed(d, false) })
		r.upperW, r.lowerW, over = ws[0], ws[1], o
		r.upper, r.lower = r.upperW != nil, r.lowerW != nil
	}
	if over {
		ans.Verdict = Unknown
		ans.Reason = fmt.Sprintf("the automata for this question exceed %d states", a.maxStates)
		return ans
	}
	settle(&ans, r, func(w string) []Evidence { return covering(m, w, allows, denies) })
	return ans
}

// covering lists the statements whose resource element (its larger
// reading) covers the word, found by running the automaton over it.
func covering(m *machine, word string, allows, denies []stmtTerms) []Evidence {
	d := m.endState(word)
	if d < 0 {
		return nil
	}
	var out []Evidence
	for _, group := range [][]stmtTerms{denies, allows} {
		for _, s := range group {
			if m.accepts(d, s.large.lang) != s.large.negate {
				out = append(out, s.ev)
			}
		}
	}
	return out
}

// resourceTerms registers a statement's resource element. A policy
// variable is an unknown value: the larger reading of a Resource pattern
// replaces it with '*', the smaller drops the pattern; for NotResource the
// roles swap, since it removes what it matches.
func resourceTerms(st *Statement, q *questionLangs, variables bool) stmtTerms {
	ev := evidenceOf(st)
	if !st.HasResource {
		all := q.addPlain(cacheKey("r", []string{"*"}), []string{"*"})
		return stmtTerms{ev: ev, large: term{lang: all}, small: term{lang: all}}
	}
	if !variables || !slices.ContainsFunc(st.Resources, func(r string) bool { return strings.Contains(r, "${") }) {
		lang := q.addPlain(cacheKey("r", st.Resources), st.Resources)
		t := term{lang: lang, negate: st.NotResource}
		return stmtTerms{ev: ev, large: t, small: t}
	}
	// With policy variables the statement needs two readings.
	patterns := slices.Clone(st.Resources)
	starred := func() []glob {
		var out []glob
		for _, pat := range patterns {
			g := compileGlob(pat, true)
			for i := range g {
				if g[i].kind == globVar {
					g[i] = globTok{kind: globStar}
				}
			}
			out = append(out, g)
		}
		return out
	}
	dropped := func() []glob {
		var out []glob
		for _, pat := range patterns {
			if g := compileGlob(pat, true); !g.hasVariables() {
				out = append(out, g)
			}
		}
		return out
	}
	for _, pat := range patterns {
		ev.Variables = ev.Variables || compileGlob(pat, true).hasVariables()
	}
	big, small := q.add(cacheKey("v*", patterns), starred), q.add(cacheKey("v-", patterns), dropped)
	if st.NotResource {
		return stmtTerms{ev: ev, large: term{lang: small, negate: true}, small: term{lang: big, negate: true}}
	}
	return stmtTerms{ev: ev, large: term{lang: big}, small: term{lang: small}}
}
