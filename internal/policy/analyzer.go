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
	relations map[string]relation
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
	return &Analyzer{maxStates: maxStates, cache: map[string]*machine{}, unis: map[string]*uniDFA{}, relations: map[string]relation{}}
}

// patternSet is one language a question needs, as variable-free patterns
// compiled only when the machine is not in the cache.
type patternSet struct {
	compile func() []glob
	key     string
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

// add returns the language index of a union of patterns, adding it when
// new. key must identify the language: the same key, the same language.
func (q *questionLangs) add(key string, compile func() []glob) int {
	if i, ok := q.index[key]; ok {
		return i
	}
	i := len(q.sets) + 2 // 0 is the universe, 1 its exclusions
	q.index[key] = i
	q.sets = append(q.sets, patternSet{compile: compile, key: key})
	return i
}

// cacheKey encodes a kind and a list of strings unambiguously (each
// string is length-prefixed), so that different pattern lists never share
// a cached automaton, whatever characters the patterns hold.
func cacheKey(kind string, parts []string) string {
	var b strings.Builder
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
