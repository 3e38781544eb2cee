package policy

// actionClass is a set of actions, all matching the pattern asked about,
// that every statement of a policy treats alike: each statement's action
// element covers all of them or none. Within a class the resource answer
// is the same, so a question about a pattern is answered exactly by
// answering it once per class.
type actionClass struct {
	example string // a shortest action of the class, lower-case
	applies []bool // per statement position
}

// askPattern answers a question about every action matching pattern: the
// strongest answer over the action classes (YES over CONDITIONAL over
// UNKNOWN over NO), since one action allowed on every resource is enough.
func (a *Analyzer) askPattern(p *Policy, pattern string, u Universe, question string) SetAnswer {
	classes, ok := a.actionClasses(p, pattern)
	if !ok {
		return SetAnswer{Question: question, Action: pattern, Universe: u.name, Verdict: Unknown,
			Reason: "the action patterns are too large to decide"}
	}
	rank := map[Verdict]int{No: 0, Unknown: 1, Conditional: 2, Yes: 3}
	best, bestRank := SetAnswer{}, -1
	for _, c := range classes {
		ans := a.askFor(p, c.example, func(i int) bool { return c.applies[i] }, u, question)
		if r := rank[ans.Verdict]; r > bestRank {
			best, bestRank = ans, r
		}
	}
	best.Action = pattern
	return best
}

// actionClasses partitions the actions matching pattern into classes by
// walking the product of the pattern with every statement's action
// element; ok is false when the automata are too large.
func (a *Analyzer) actionClasses(p *Policy, pattern string) (classes []actionClass, ok bool) {
	u := GlobUniverse("actions matching "+pattern, []string{pattern}, true)
	q := newQuestionLangs()
	langs := make([]int, len(p.Statements))
	for i := range p.Statements {
		lower := lowerAll(p.Statements[i].Actions)
		langs[i] = q.add(cacheKey("actions", lower), func() []glob { return compileAll(lower) })
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.machineFor(u, q)
	if m == nil {
		return nil, false
	}
	seen := map[string]bool{}
	overflow := m.walk(func(d int32, parent []adjEdge) bool {
		applies := make([]bool, len(p.Statements))
		key := make([]byte, len(p.Statements))
		for i := range p.Statements {
			applies[i] = m.accepts(d, langs[i]) != p.Statements[i].NotAction
			if applies[i] {
				key[i] = 1
			}
		}
		if !seen[string(key)] {
			seen[string(key)] = true
			classes = append(classes, actionClass{example: m.spell(d, parent), applies: applies})
		}
		return false
	})
	return classes, !overflow
}
