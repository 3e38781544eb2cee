package policy

import (
	"strconv"
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
	// The fast path's universe automata and relations (fastpath.go);
	// noFast turns it off, for tests that compare it with the machine.
	unis      map[string]*uniDFA
	relations map[relationKey]relation
	noFast    bool
	// fastAsked and fastAnswers count the questions put to the fast path
	// and those it answered, for tests.
	fastAsked, fastAnswers int
}

// maxCachedMachines bounds the cache; when full it is emptied.
const maxCachedMachines = 128

// NewAnalyzer returns an Analyzer whose questions build at most maxStates
// deterministic states each (DefaultMaxStates when <= 0) before answering
// UNKNOWN.
func NewAnalyzer(maxStates int) *Analyzer {
	if maxStates <= 0 {
		maxStates = DefaultMaxStates
	}
	return &Analyzer{maxStates: maxStates, cache: map[string]*machine{}, unis: map[string]*uniDFA{}, relations: map[relationKey]relation{}}
}

// patternSet is one language a question needs, as variable-free patterns
// compiled only when the machine is not in the cache.
type patternSet struct {
	compile func() []glob
	key     string
	// plain holds the patterns when they are plain wildcard text (no
	// policy variables), which the fast path matches without compiling.
	plain []string
}

// questionLangs collects the languages of a question, deduplicated, with
// the universe first and its exclusions second.
type questionLangs struct {
	sets  []patternSet
	index map[string]int
}

func newQuestionLangs() *questionLangs { return &questionLangs{} }

// questionLangsIndexed is the number of languages past which a question
// indexes them by key; below it, comparing keys is cheaper than a map.
const questionLangsIndexed = 8

// add returns the language index of a union of patterns, adding it when
// new. key must identify the language: the same key, the same language.
func (q *questionLangs) add(key string, compile func() []glob) int {
	return q.addSet(patternSet{compile: compile, key: key})
}

// addPlain adds the union of wildcard patterns without policy variables.
func (q *questionLangs) addPlain(key string, patterns []string) int {
	return q.addSet(patternSet{compile: func() []glob { return compileAll(patterns) }, key: key, plain: patterns})
}

func (q *questionLangs) addSet(s patternSet) int {
	if q.index != nil {
		if i, ok := q.index[s.key]; ok {
			return i
		}
	} else {
		for i, o := range q.sets {
			if o.key == s.key {
				return i + 2
			}
		}
	}
	i := len(q.sets) + 2 // 0 is the universe, 1 its exclusions
	q.sets = append(q.sets, s)
	switch {
	case q.index != nil:
		q.index[s.key] = i
	case len(q.sets) > questionLangsIndexed:
		q.index = make(map[string]int, 2*len(q.sets))
		for j, o := range q.sets {
			q.index[o.key] = j + 2
		}
	}
	return i
}

// cacheKey encodes a kind and a list of strings unambiguously (each
// string is length-prefixed), so that different pattern lists never share
// a cached automaton, whatever characters the patterns hold.
func cacheKey(kind string, parts []string) string {
	var b strings.Builder
	size := len(kind)
	for _, p := range parts {
		size += len(p) + 8
	}
	b.Grow(size)
	b.WriteString(kind)
	for _, p := range parts {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteString(":")
		b.WriteString(p)
	}
	return b.String()
}

// machineFor returns the (cached) machine for a universe and languages,
// or nil when the patterns are too large to decide. The caller must hold
// a.mu.
func (a *Analyzer) machineFor(u Universe, q *questionLangs) *machine {
	keys := make([]string, 0, len(q.sets)+1)
	keys = append(keys, u.key)
	for _, s := range q.sets {
		keys = append(keys, s.key)
	}
	key := cacheKey("machine", keys)
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
		langs = append(langs, n.addGlobs(s.compile()))
	}
	m := newMachine(n, langs, a.maxStates)
	if m == nil {
		return nil
	}
	if len(a.cache) >= maxCachedMachines {
		clear(a.cache)
	}
	a.cache[key] = m
	return m
}
