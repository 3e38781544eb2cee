package access

import (
	"strings"
	"sync"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// Condition key categories: which condition keys the inventory determines.
const (
	catRequest   = iota // only known at request time: stays on the path as a condition
	catAccount          // the same for every IAM principal of the account
	catPrincipal        // follows from the principal (ARN, type, name, tags)
	catResource         // follows from the key (tags, aliases)
)

// Context classes: which categories a request's context determines.
const (
	classPrincipal = 1 << iota // an IAM principal (or root) of the account
	classResource              // the key's tags and aliases are known
	numClasses     = 4
)

func keyCategory(k string) int {
	lk := strings.ToLower(k)
	switch {
	case lk == "aws:principalaccount" || lk == "kms:calleraccount" || lk == "aws:resourceaccount" || lk == "aws:principalisawsservice":
		return catAccount
	case lk == "aws:principalarn" || lk == "aws:principaltype" || lk == "aws:username" || strings.HasPrefix(lk, "aws:principaltag/"):
		return catPrincipal
	case strings.HasPrefix(lk, "aws:resourcetag/") || lk == "kms:resourcealiases":
		return catResource
	}
	return catRequest
}

func determined(cat, class int) bool {
	switch cat {
	case catAccount, catPrincipal:
		return class&classPrincipal != 0
	case catResource:
		return class&classResource != 0
	}
	return false
}

// source names a document for Steps.
type source struct {
	layer string // Step.Layer
	name  string // Step.Source
}

// cdoc is a parsed document with its compiled statements.
type cdoc struct {
	src   source
	pol   *policy.Policy
	stmts []*cstmt
}

// cstmt is one statement, prepared for repeated evaluation.
type cstmt struct {
	doc     *cdoc
	st      *policy.Statement
	acts    ActionSet
	keyDep  bool // its answer depends on the key beyond the Resource patterns (tags, aliases, variables)
	prinDep bool // its answer depends on which principal of the account asks
	// det[class] evaluates the statement with only the conditions the class
	// determines; res[class] are the conditions left for the request.
	det [numClasses]*policy.Policy
	res [numClasses][]policy.Condition
	// needsCtx[class]: the determined part reads the context (conditions or
	// policy variables); otherwise it is evaluated without one (faster).
	needsCtx [numClasses]bool
	ref      string

	keysDone bool // keys and everyKey are computed (by Analysis.index, single-threaded)
	keys     []uint64
	everyKey bool
}

// actionCache remembers the action set of each Action/NotAction element:
// the same few elements recur in thousands of policies.
type actionCache struct{ m sync.Map }

func (c *actionCache) of(st *policy.Statement) ActionSet {
	if c == nil {
		return matching(st.Actions, st.NotAction, func(p, a string) bool { return policy.WildcardMatch(p, a, true) })
	}
	key := strings.Join(st.Actions, "\x00")
	if st.NotAction {
		key = "!" + key
	}
	if v, ok := c.m.Load(key); ok {
		return v.(ActionSet)
	}
	acts := matching(st.Actions, st.NotAction, func(p, a string) bool { return policy.WildcardMatch(p, a, true) })
	c.m.Store(key, acts)
	return acts
}

func compileDoc(src source, pol *policy.Policy, cache *actionCache) *cdoc {
	d := &cdoc{src: src, pol: pol}
	for i := range pol.Statements {
		st := &pol.Statements[i]
		acts := cache.of(st)
		if acts == 0 {
			continue
		}
		cs := &cstmt{doc: d, st: st, acts: acts, ref: st.Ref()}
		for _, r := range st.Resources {
			if strings.Contains(r, "${") && pol.VariablesEnabled() {
				cs.keyDep, cs.prinDep = true, true
			}
		}
		for _, c := range st.Conditions {
			switch keyCategory(c.Key) {
			case catPrincipal:
				cs.prinDep = true
			case catResource:
				cs.keyDep = true
			}
		}
		for class := range numClasses {
			cp := *st
			cp.Conditions = nil
			for _, c := range st.Conditions {
				if determined(keyCategory(c.Key), class) {
					cp.Conditions = append(cp.Conditions, c)
				} else {
					cs.res[class] = append(cs.res[class], c)
				}
			}
			cs.needsCtx[class] = len(cp.Conditions) > 0 || cs.keyDep
			cs.det[class] = &policy.Policy{Version: pol.Version, ID: pol.ID, Statements: []policy.Statement{cp}}
		}
		d.stmts = append(d.stmts, cs)
	}
	return d
}

// request is one evaluation: who asks, on which key, with which context.
type request struct {
	principal policy.RequestPrincipal
	resource  string
	ctx       policy.Context
	class     int
	keyIdx    int // the key's index in the account when stmtKeys may be used, else -1
}

// hit is a statement that applies to a request, possibly only under
// residual conditions.
type hit struct {
	s     *cstmt
	match policy.MatchKind
	cond  []policy.Condition // residual conditions; empty = unconditional
}

func (h hit) step() Step {
	return Step{Layer: h.s.doc.src.layer, Source: h.s.doc.src.name, Statement: h.s.ref, Condition: renderConditions(h.cond)}
}

// eval decides whether the statement applies, using the engine's concrete
// evaluation on the determined conditions.
func (s *cstmt) eval(r *request) (hit, bool) {
	// Cheap refusals first: most statements do not name the caller or do
	// not cover the key, and Evaluate would spend allocations saying so.
	if pr := s.st.Principals; pr != nil && !s.st.NotPrincipal && policy.MatchPrincipal(pr, r.principal) == policy.MatchNone {
		return hit{}, false
	}
	if r.keyIdx >= 0 && s.keysDone && s.keys != nil && !s.keyDep && s.keys[r.keyIdx/64]&(1<<(r.keyIdx%64)) == 0 {
		return hit{}, false
	}
	action := keyActionNames()[lowestBit(s.acts)]
	req := policy.Request{Principal: r.principal, Action: action, Resource: r.resource}
	if s.needsCtx[r.class] {
		req.Context = r.ctx
	}
	d := s.det[r.class].Evaluate(req)
	if !d.Statements[0].Applies {
		return hit{}, false
	}
	return hit{s: s, match: d.Statements[0].Match, cond: s.res[r.class]}, true
}

func lowestBit(s ActionSet) int {
	for i := range numKeyActions {
		if s&(1<<i) != 0 {
			return i
		}
	}
	return 0
}

// summary condenses a layer's hits into action sets: U holds
// unconditionally, P possibly (under conditions).
type summary struct {
	allowU, allowP ActionSet
	denyU, denyP   ActionSet
	viaU, viaP     ActionSet // key policy Allows naming the principal's account
	dirU, dirP     ActionSet // key policy Allows naming the principal directly
}

func summarise(hs []hit) summary {
	var s summary
	for _, h := range hs {
		uncond := len(h.cond) == 0
		a := h.s.acts
		if h.s.st.Effect == policy.Deny {
			s.denyP |= a
			if uncond {
				s.denyU |= a
			}
			continue
		}
		s.allowP |= a
		if uncond {
			s.allowU |= a
		}
		if h.match == policy.MatchViaAccount {
			s.viaP |= a
			if uncond {
				s.viaU |= a
			}
		} else {
			s.dirP |= a
			if uncond {
				s.dirU |= a
			}
		}
	}
	return s
}

func evalDocs(docs []*cdoc, r *request, keep func(*cstmt) bool) []hit {
	var out []hit
	for _, d := range docs {
		for _, s := range d.stmts {
			if keep != nil && !keep(s) {
				continue
			}
			if h, ok := s.eval(r); ok {
				out = append(out, h)
			}
		}
	}
	return out
}

// StatementActions returns the KMS key actions a statement's Action or
// NotAction element covers (cached per element).
func (an *Analysis) StatementActions(st *policy.Statement) ActionSet { return an.actions.of(st) }
