package policy

import (
	"fmt"
	"strings"
)

// Context holds the request's condition keys and their values. Keys are
// compared case-insensitively. A key with several values is multi-valued
// (for example aws:TagKeys); a key present with no values is an empty set.
type Context map[string][]string

func (c Context) lower() lowerContext {
	out := make(lowerContext, len(c))
	for k, v := range c {
		lk := strings.ToLower(k)
		out[lk] = append(out[lk], v...)
	}
	return out
}

// Request is one concrete API request.
type Request struct {
	Principal RequestPrincipal // ignored by statements without Principal/NotPrincipal
	Action    string           // e.g. "kms:Decrypt"
	Resource  string           // the resource ARN
	Context   Context
}

// Outcome is AWS's decision for a request under one policy.
type Outcome int

// Outcomes, from weakest to strongest.
const (
	ImplicitDeny Outcome = iota // no statement allows the request
	Allowed                     // an Allow statement applies and no Deny does
	ExplicitDeny                // a Deny statement applies: it wins over every Allow
)

func (o Outcome) String() string {
	if names := [...]string{"implicit_deny", "allow", "explicit_deny"}; o >= 0 && int(o) < len(names) {
		return names[o]
	}
	return "unknown"
}

// StatementResult says whether one statement applies to a request, and why.
type StatementResult struct {
	Index   int
	Ref     string // Sid or "#index"
	Effect  Effect
	Applies bool
	// Match is how the statement's Principal designates the caller
	// (MatchDirect for statements without a Principal element).
	Match  MatchKind
	Reason string // why it applies or not, for people
}

// Decision is the result of Policy.Evaluate.
type Decision struct {
	Outcome Outcome
	// Match qualifies Allowed: MatchViaAccount when every applicable Allow
	// names the caller only through its account (a key policy delegating to
	// IAM), so the caller's IAM policies must allow the request too.
	Match MatchKind
	// Deciding lists the statements that decided the outcome: the applicable
	// Denies for ExplicitDeny, the applicable Allows for Allowed, none for
	// ImplicitDeny.
	Deciding []StatementResult
	// Statements has one result per statement, in document order.
	Statements []StatementResult
}

// Evaluate decides a concrete request with AWS's logic for one policy: an
// applicable Deny wins, then an applicable Allow, else implicit deny.
func (p *Policy) Evaluate(req Request) Decision {
	ctx := req.Context.lower()
	d := Decision{Outcome: ImplicitDeny, Match: MatchNone}
	for i := range p.Statements {
		r := p.evalStatement(&p.Statements[i], req, ctx)
		d.Statements = append(d.Statements, r)
	}
	for _, r := range d.Statements {
		if r.Applies && r.Effect == Deny {
			d.Outcome = ExplicitDeny
			d.Deciding = append(d.Deciding, r)
		}
	}
	if d.Outcome == ExplicitDeny {
		return d
	}
	for _, r := range d.Statements {
		if r.Applies && r.Effect == Allow {
			d.Outcome = Allowed
			d.Match = max(d.Match, r.Match)
			d.Deciding = append(d.Deciding, r)
		}
	}
	return d
}

func (p *Policy) evalStatement(st *Statement, req Request, ctx lowerContext) StatementResult {
	r := StatementResult{Index: st.Index, Ref: st.Ref(), Effect: st.Effect, Match: MatchDirect}
	if !st.MatchesAction(req.Action) {
		r.Reason = "action " + req.Action + " is not in its " + actionElement(st)
		return r
	}
	if ok, why := p.matchesResource(st, req.Resource, ctx); !ok {
		r.Reason = why
		return r
	}
	if st.Principals != nil {
		m := MatchPrincipal(st.Principals, req.Principal)
		if st.NotPrincipal {
			if m == MatchDirect {
				r.Reason = "the caller is excluded by NotPrincipal"
				return r
			}
			m = MatchDirect
		} else if m == MatchNone {
			r.Reason = "the caller is not in its Principal"
			return r
		}
		r.Match = m
	}
	for _, c := range st.Conditions {
		if !evalCondition(c, ctx, p.VariablesEnabled()) {
			r.Reason = fmt.Sprintf("condition %s %s %q is false", c.Operator, c.Key, c.Values)
			return r
		}
	}
	r.Applies = true
	r.Reason = "action, resource, principal and conditions all match"
	if r.Match == MatchViaAccount {
		r.Reason += " (the principal is named through its account)"
	}
	return r
}

func actionElement(st *Statement) string {
	if st.NotAction {
		return "Action (it is excluded by NotAction)"
	}
	return "Action"
}

// MatchesAction reports whether the statement's Action/NotAction covers
// the action. Action names compare case-insensitively.
func (st *Statement) MatchesAction(action string) bool {
	in := false
	for _, a := range st.Actions {
		if matchPattern(a, action, true) {
			in = true
			break
		}
	}
	return in != st.NotAction
}

// matchesResource reports whether the statement's Resource/NotResource
// covers the ARN, substituting policy variables under Version 2012-10-17.
func (p *Policy) matchesResource(st *Statement, arn string, ctx lowerContext) (bool, string) {
	if !st.HasResource {
		return true, ""
	}
	in := false
	for _, pat := range st.Resources {
		g, ok := compileGlob(pat, p.VariablesEnabled()).resolve(ctx)
		if ok && g.match(arn, false) {
			in = true
			break
		}
	}
	if in == st.NotResource {
		if st.NotResource {
			return false, "resource " + arn + " is excluded by NotResource"
		}
		return false, "resource " + arn + " is not in its Resource"
	}
	return true, ""
}
