package policy

// Coverage says how much of a set of actions a statement's Action or
// NotAction element covers.
type Coverage string

// Coverage values.
const (
	CoversAll  Coverage = "all"  // every action the pattern matches
	CoversSome Coverage = "some" // some but not all of them
	CoversNone Coverage = "none" // none of them
	// CoverageUnknown: the automata outgrew the size cap.
	CoverageUnknown Coverage = "unknown"
)

// ActionCoverage is the answer to CoverAction.
type ActionCoverage struct {
	Pattern  string
	Coverage Coverage
	// Example is a shortest (lower-case) action name in the pattern that
	// the statement covers; Missed one it does not. Empty when there is
	// none, or when the answer is UNKNOWN.
	Example string
	Missed  string
}

// CoverAction decides exactly, case-insensitively, how much of the
// actions matched by pattern (for example "kms:Decrypt" or "kms:ReEncrypt*",
// as in AWS Config's blockedActionsPatterns) the statement's Action or
// NotAction element covers.
func (a *Analyzer) CoverAction(st *Statement, pattern string) ActionCoverage {
	u := GlobUniverse("actions matching "+pattern, []string{pattern}, true)
	q := newQuestionLangs()
	lower := lowerAll(st.Actions)
	lang := q.add(cacheKey("actions", lower), func() []glob { return compileAll(lower) })
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.machineFor(u, q)
	if m == nil {
		return ActionCoverage{Pattern: pattern, Coverage: CoverageUnknown}
	}
	covered := func(d int32) bool { return m.accepts(d, lang) != st.NotAction }
	ex, some, over1 := m.search(covered)
	miss, notAll, over2 := m.search(func(d int32) bool { return !covered(d) })
	res := ActionCoverage{Pattern: pattern, Example: ex, Missed: miss}
	switch {
	case over1 || over2:
		res.Coverage, res.Example, res.Missed = CoverageUnknown, "", ""
	case some && !notAll:
		res.Coverage = CoversAll
	case some:
		res.Coverage = CoversSome
	default:
		res.Coverage = CoversNone
	}
	return res
}
