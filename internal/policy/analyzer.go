package policy

import (
	"strings"
	"sync"
)

// Analyzer answers set questions. It caches the automata it builds per
// universe and pattern sets, so asking about many policies that share
// patterns (or the same policy for several actions) reuses work. It is
// safe for concurrent use; the zero value is not, use NewAnalyzer.
type Analyzer struct {
	maxStates int
	mu        sync.Mutex
	cache     map[string]*machine
}

// maxCachedMachines bounds the cache; when full it is emptied.
const maxCachedMachines = 512

// NewAnalyzer returns an Analyzer whose questions build at most maxStates
// deterministic states each (DefaultMaxStates when <= 0) before answering
// UNKNOWN.
func NewAnalyzer(maxStates int) *Analyzer {
	if maxStates <= 0 {
		maxStates = DefaultMaxStates
	}
	return &Analyzer{maxStates: maxStates, cache: map[string]*machine{}}
}

// patternSet is one language a question needs, as variable-free patterns.
type patternSet struct {
	patterns []glob
	key      string
}

// questionLangs collects the languages of a question, deduplicated, with
// the universe first and its exclusions second.
type questionLangs struct {
	sets  []patternSet
	index map[string]int
}

func newQuestionLangs() *questionLangs {
	q := &questionLangs{index: map[string]int{}}
	return q
}

// add returns the language index of the union of patterns, adding it when
// new.
func (q *questionLangs) add(patterns []glob) int {
	var b strings.Builder
	for _, g := range patterns {
		b.WriteString(literalTextWithWildcards(g))
		b.WriteByte(0)
	}
	k := b.String()
	if i, ok := q.index[k]; ok {
		return i
	}
	i := len(q.sets) + 2 // 0 is the universe, 1 its exclusions
	q.index[k] = i
	q.sets = append(q.sets, patternSet{patterns: patterns, key: k})
	return i
}

// literalTextWithWildcards renders a variable-free pattern unambiguously
// for cache keys: wildcards are escaped with a NUL-free prefix byte.
func literalTextWithWildcards(g glob) string {
	var b strings.Builder
	for _, t := range g {
		switch t.kind {
		case globStar:
			b.WriteString("\x01*")
		case globAny:
			b.WriteString("\x01?")
		default:
			if t.r == 1 {
				b.WriteByte(1)
			}
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// machineFor returns the (cached) machine for a universe and languages.
// The caller must hold a.mu.
func (a *Analyzer) machineFor(u Universe, q *questionLangs) *machine {
	var kb strings.Builder
	kb.WriteString(u.key)
	for _, s := range q.sets {
		kb.WriteByte(2)
		kb.WriteString(s.key)
	}
	key := kb.String()
	if m, ok := a.cache[key]; ok {
		return m
	}
	n := newNFA()
	langs := []language{u.build(n)}
	excl := make([]glob, len(u.exclude))
	for i, p := range u.exclude {
		excl[i] = compileGlob(p, false)
	}
	langs = append(langs, n.addGlobs(excl))
	for _, s := range q.sets {
		langs = append(langs, n.addGlobs(s.patterns))
	}
	m := newMachine(n, langs, a.maxStates)
	if len(a.cache) >= maxCachedMachines {
		clear(a.cache)
	}
	a.cache[key] = m
	return m
}
