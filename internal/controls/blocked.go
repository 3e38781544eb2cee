package controls

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// The blocked-action questions of KMS.1, KMS.2 and KMSGUARD-IAM-1, asked of
// one parsed identity policy.

// blockedVerdict is the outcome of the blocked-action question for one
// policy: the status, a one-line reason and the evidence lines.
type blockedVerdict struct {
	status   Status
	reason   string
	evidence []string
}

// askAllKeys answers KMS.1/KMS.2 for every blocked pattern: does the policy
// allow it on all KMS keys, or on all keys of the owner's account (the keys
// whose key policies delegate to this account's IAM)? It fails on the
// engine's upper bound (a conditional Allow counts, as AWS's Zelkova-based
// check counts it).
func askAllKeys(a *policy.Analyzer, p *policy.Policy, patterns []string, partition, owner string) blockedVerdict {
	if _, ok := literalAllows(p, patterns); ok {
		return passVerdict(patterns, "on every KMS key")
	}
	v := askBlocked(p, patterns, func(action string) (policy.SetAnswer, error) {
		return a.AllowsAll(p, action, policy.KMSKeys(partition))
	}, "on every KMS key")
	if v.status != StatusPass || !policy.IsAccountID(owner) {
		return v
	}
	// Region and key id are approximated by "?*-?*" and "?*" (globs cannot
	// say "[a-z]+(-[a-z]+)+-[0-9]+"), so a policy limited to some regions
	// or key ids does not cover the set, while key/* in every region does.
	own := policy.GlobUniverse("every key of account "+owner, []string{"arn:" + partition + ":kms:?*-?*:" + owner + ":key/?*"}, false)
	if w := askBlocked(p, patterns, func(action string) (policy.SetAnswer, error) {
		return a.AllowsAll(p, action, own)
	}, "on every key of account "+owner); w.status != StatusPass {
		return w
	}
	return v
}

// askOutside answers KMSGUARD-IAM-1: does the policy allow a blocked
// pattern on some key outside the trusted accounts?
func askOutside(a *policy.Analyzer, p *policy.Policy, patterns []string, outside policy.Universe, trusted []string) blockedVerdict {
	where := "on keys outside the trusted accounts (" + strings.Join(trusted, ", ") + ")"
	if lits, ok := literalAllows(p, patterns); ok {
		inOutside := func(r string) bool {
			// A key ARN of a trusted account is never outside: skip the
			// automaton run for the common case of the account's own keys.
			if parts := strings.SplitN(r, ":", 6); len(parts) == 6 && slices.Contains(trusted, parts[4]) {
				return false
			}
			return outside.Contains(r)
		}
		if !slices.ContainsFunc(lits, inOutside) {
			return passVerdict(patterns, where)
		}
	}
	return askBlocked(p, patterns, func(action string) (policy.SetAnswer, error) {
		return a.AllowsAny(p, action, outside)
	}, where)
}

func askBlocked(p *policy.Policy, patterns []string, ask func(string) (policy.SetAnswer, error), where string) blockedVerdict {
	var failing, unknown, evidence []string
	for _, action := range patterns {
		if !mayAllow(p, action) {
			continue
		}
		ans, err := ask(action)
		if err != nil {
			unknown = append(unknown, action+": "+err.Error())
			continue
		}
		switch {
		case ans.Verdict == policy.Unknown:
			unknown = append(unknown, action+": "+ans.Reason)
		case ans.UpperBound:
			failing = append(failing, describeAction(ans))
			evidence = append(evidence, answerEvidence(p, ans)...)
		}
	}
	switch {
	case len(failing) > 0:
		return blockedVerdict{status: StatusFail, evidence: evidence,
			reason: "allows " + strings.Join(failing, ", ") + " " + where}
	case len(unknown) > 0:
		return blockedVerdict{status: StatusUnknown, reason: "the policy engine could not decide: " + strings.Join(unknown, "; ")}
	}
	return passVerdict(patterns, where)
}

// mayAllow is a cheap exact pre-check: false when no Allow statement of p
// covers the concrete action, so that neither bound can allow it anywhere and
// the automata need not be built. Patterns with wildcards always go to the
// engine.
func mayAllow(p *policy.Policy, action string) bool {
	if strings.ContainsAny(action, "*?") {
		return true
	}
	for i := range p.Statements {
		if st := &p.Statements[i]; st.Effect == policy.Allow && st.MatchesAction(action) {
			return true
		}
	}
	return false
}

// mayCover reports whether st's action element may cover an action of the
// pattern: exactly for a concrete action, always for a wildcard pattern.
func mayCover(st *policy.Statement, action string) bool {
	return strings.ContainsAny(action, "*?") || st.MatchesAction(action)
}

// literalAllows returns the resources of p's Allow statements when every
// Allow names only literal ARNs (no wildcard, no policy variable, no
// NotResource, no missing Resource); ok is false otherwise. Finitely many
// literal ARNs can never cover an infinite set of keys, and whether any of
// them is in a universe is a membership test: both answers are exact
// without building automata, which matters when thousands of policies each
// name their own key.
//
// Only Allow statements that may cover one of the patterns count (for a
// wildcard pattern, every Allow does).
func literalAllows(p *policy.Policy, patterns []string) (resources []string, ok bool) {
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != policy.Allow || !slices.ContainsFunc(patterns, func(a string) bool { return mayCover(st, a) }) {
			continue
		}
		if st.NotResource || !st.HasResource {
			return nil, false
		}
		for _, r := range st.Resources {
			if strings.ContainsAny(r, "*?") || strings.Contains(r, "${") {
				return nil, false
			}
			resources = append(resources, r)
		}
	}
	return resources, true
}

func passVerdict(patterns []string, where string) blockedVerdict {
	return blockedVerdict{status: StatusPass, reason: "does not allow " + strings.Join(patterns, ", ") + " " + where}
}

// describeAction names the action an answer is about, with its verdict
// when that is only conditional.
func describeAction(ans policy.SetAnswer) string {
	s := ans.Action
	if ans.ExampleAction != "" && !strings.EqualFold(ans.ExampleAction, ans.Action) {
		s += " (e.g. " + ans.ExampleAction + ")"
	}
	if ans.Verdict == policy.Conditional {
		s += " when its conditions hold"
	}
	return s
}

// answerEvidence lists the deciding statements, the witness and the bounds.
func answerEvidence(p *policy.Policy, ans policy.SetAnswer) []string {
	ev := []string{fmt.Sprintf("%s: verdict %s (upper bound %t, lower bound %t)", ans.Action, ans.Verdict, ans.UpperBound, ans.LowerBound)}
	if ans.Witness != "" {
		ev = append(ev, fmt.Sprintf("%s: witness %s (%s)", ans.Action, ans.Witness, ans.WitnessMeaning))
	}
	refs := evidenceRefs(ans.WitnessStatements)
	if len(refs) == 0 {
		refs = evidenceRefs(ans.Allows)
	}
	if len(refs) > 0 {
		ev = append(ev, ans.Action+": deciding statements "+strings.Join(refs, ", "))
	}
	if d := evidenceRefs(ans.Denies); len(d) > 0 {
		ev = append(ev, ans.Action+": deny statements considered "+strings.Join(d, ", "))
	}
	return ev
}

func evidenceRefs(es []policy.Evidence) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		s := string(e.Effect) + " " + e.Ref
		if e.Conditional {
			s += " (conditional)"
		}
		out = append(out, s)
	}
	return out
}

// trustedAccounts is the owner plus the configured trusted accounts: the
// keys KMSGUARD-IAM-1 does not count as outside.
func trustedAccounts(cc CheckContext, owner string) []string {
	out := []string{}
	if policy.IsAccountID(owner) {
		out = append(out, owner)
	}
	for _, t := range cc.Config.Organization.TrustedAccounts {
		if policy.IsAccountID(t) && t != owner {
			out = append(out, t)
		}
	}
	return out
}
