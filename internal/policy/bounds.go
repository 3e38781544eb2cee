package policy

// boundTerms are the terms each bound counts: the upper bound counts
// every Allow (its larger reading) and only unconditional Denies (their
// smaller reading), the lower bound the reverse.
type boundTerms struct {
	upperAllow, upperDeny, lowerAllow, lowerDeny []term
}

func countedTerms(allows, denies []stmtTerms) boundTerms {
	var b boundTerms
	for _, s := range allows {
		b.upperAllow = append(b.upperAllow, s.large)
		if !s.ev.Conditional {
			b.lowerAllow = append(b.lowerAllow, s.small)
		}
	}
	for _, s := range denies {
		b.lowerDeny = append(b.lowerDeny, s.large)
		if !s.ev.Conditional {
			b.upperDeny = append(b.upperDeny, s.small)
		}
	}
	return b
}

// bounds is a decided question: whether each bound holds and the least
// words of the universe that show it (nil when there is none).
type bounds struct {
	upper, lower         bool
	upperW, lowerW, anyW *string
}

// settle fills the verdict, witness and evidence of an answer from its
// bounds; cover lists the statements covering the witness.
func settle(ans *SetAnswer, r bounds, cover func(word string) []Evidence) {
	ans.UpperBound, ans.LowerBound = r.upper, r.lower
	switch {
	case ans.LowerBound:
		ans.Verdict = Yes
	case ans.UpperBound:
		ans.Verdict = Conditional
	default:
		ans.Verdict = No
	}
	ans.Witness, ans.WitnessMeaning = witness(ans.Question, ans.Verdict, r.upperW, r.lowerW, r.anyW)
	if ans.Witness != "" {
		ans.WitnessStatements = cover(ans.Witness)
	}
}

// witness picks the resource that shows the verdict.
func witness(question string, v Verdict, upper, lower, anyWord *string) (string, string) {
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if question == "all" {
		switch v {
		case No:
			return deref(upper), "a resource that is not allowed even when every condition holds (counterexample)"
		case Conditional:
			return deref(lower), "a resource that is allowed only when conditions hold"
		default:
			return deref(anyWord), "the shortest resource, allowed like every other"
		}
	}
	switch v {
	case Yes:
		return deref(lower), "a resource that is allowed unconditionally"
	case Conditional:
		return deref(upper), "a resource that is allowed when conditions hold"
	default:
		return "", ""
	}
}
