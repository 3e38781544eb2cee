package policy

import "slices"

// holds reports whether term t holds for the word being tested.
func (f *fastQuestion) holds(t term) bool {
	st := &f.status[t.lang]
	if *st == 0 {
		*st = 2
		if slices.ContainsFunc(f.plain[t.lang], func(p string) bool { return matchPattern(p, f.word, false) }) ||
			slices.ContainsFunc(f.globs[t.lang], func(g glob) bool { return g.match(f.word, false) }) {
			*st = 1
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
		f.word = string(word)
		clear(f.status)
		for i, want := range wants {
			if words[i] == nil && want() {
				w := f.word
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
	if word != f.word {
		// The witness is usually the word tested last, whose
		// matches are known.
		f.word = word
		clear(f.status)
	}
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
