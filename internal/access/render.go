package access

import (
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// Key answers, for one key of the account, who can perform each of the
// actions, with every path. Actions must be canonical (see ParseAction).
func (an *Analysis) Key(k *inventory.Key, actions []string) KeyAccess {
	ka := KeyAccess{Key: k.ARN, Actions: actions}
	ki, ok := an.keyIndex[k]
	if !ok {
		ka.Unknown = append(ka.Unknown, Unknown{Reason: "the key is not in the analysed account"})
		return ka
	}
	kr := an.result(ki)
	ka.Caveats = kr.caveats
	if kr.unknownKey != "" {
		ka.Unknown = append(ka.Unknown, Unknown{Principal: Principal{ARN: "*", Kind: KindAnyone}, Reason: kr.unknownKey})
		return ka
	}
	ka.Unknown = append(ka.Unknown, kr.unknown...)
	for _, a := range actions {
		ai := actionIndex(a)
		if ai < 0 {
			continue
		}
		for _, gr := range kr.groups {
			if gr.okP&(1<<ai) == 0 {
				continue
			}
			for _, p := range gr.g.members {
				if !kr.special[p] {
					ka.Access = append(ka.Access, an.groupAccess(kr, p, ai))
				}
			}
		}
		for _, s := range kr.singles {
			if s.okP&(1<<ai) != 0 {
				ka.Access = append(ka.Access, an.singleAccess(kr, s, ai))
			}
		}
	}
	sortAccess(ka.Access)
	return ka
}

// Principal answers which keys of the account the principal (an ARN from
// the IAM inventory, another account's principal, a service, or "*") can
// use with the actions, one KeyAccess per key where it has any access or an
// undecided answer.
func (an *Analysis) Principal(arn string, actions []string) []KeyAccess {
	p := an.byARN[arn]
	var out []KeyAccess
	for ki, k := range an.acct.Keys {
		kr := an.result(ki)
		ka := KeyAccess{Key: k.ARN, Actions: actions, Caveats: kr.caveats}
		if kr.unknownKey != "" {
			ka.Unknown = append(ka.Unknown, Unknown{Principal: Principal{ARN: "*", Kind: KindAnyone}, Reason: kr.unknownKey})
			out = append(out, ka)
			continue
		}
		for _, u := range kr.unknown {
			if u.Principal.ARN == arn || (p != nil && p.Kind != KindRoot && u.Principal.Account == an.acct.ID && strings.HasPrefix(u.Principal.ARN, "IAM users and roles")) {
				ka.Unknown = append(ka.Unknown, u)
			}
		}
		grouped := p != nil && p.group >= 0 && kr.groupable && !kr.special[p]
		for _, a := range actions {
			ai := actionIndex(a)
			if ai < 0 {
				continue
			}
			bit := ActionSet(1) << ai
			if grouped {
				for _, gr := range kr.groups {
					if gr.g.idx == p.group && gr.okP&bit != 0 {
						ka.Access = append(ka.Access, an.groupAccess(kr, p, ai))
					}
				}
				continue
			}
			for _, s := range kr.singles {
				if s.pr.ARN == arn && s.okP&bit != 0 {
					ka.Access = append(ka.Access, an.singleAccess(kr, s, ai))
				}
			}
		}
		if len(ka.Access) > 0 || len(ka.Unknown) > 0 {
			sortAccess(ka.Access)
			out = append(out, ka)
		}
	}
	return out
}

func sortAccess(as []Access) {
	slices.SortStableFunc(as, func(a, b Access) int {
		if c := strings.Compare(a.Principal.ARN, b.Principal.ARN); c != 0 {
			return c
		}
		return actionIndex(a.Action) - actionIndex(b.Action)
	})
}

func (an *Analysis) groupAccess(kr *keyResult, p *prin, ai int) Access {
	s := &single{pr: p.Principal, p: p, kp: kr.genKP, id: p.baseID, bnd: p.baseBnd, hasBnd: p.hasBnd, scp: kr.genSCP}
	return an.singleAccess(kr, s, ai)
}

func (an *Analysis) singleAccess(kr *keyResult, s *single, ai int) Access {
	a := Access{Principal: s.pr, Action: keyActionNames()[ai], Paths: an.paths(s, ai)}
	if s.p != nil && !an.scp.known {
		a.Caveats = append(a.Caveats, an.scp.reason)
	}
	return a
}

// layerStep is the step a layer contributes for an action: an unconditional
// Allow if it has one, else the disjunction of its conditional Allows.
func layerStep(hs []hit, bit ActionSet) (Step, bool) {
	var conds []hit
	for _, h := range hs {
		if h.s.st.Effect != policy.Allow || h.s.acts&bit == 0 || h.match == policy.MatchNone {
			continue
		}
		if len(h.cond) == 0 {
			return h.step(), true
		}
		conds = append(conds, h)
	}
	if len(conds) == 0 {
		return Step{}, false
	}
	st := conds[0].step()
	for _, h := range conds[1:] {
		o := h.step()
		st.Source += " | " + o.Source
		st.Statement += " | " + o.Statement
		st.Condition = "(" + st.Condition + ") or (" + o.Condition + ")"
	}
	return st, true
}

func (an *Analysis) paths(s *single, ai int) []Path {
	bit := ActionSet(1) << ai
	var unless []Step
	addDenies := func(hs []hit) {
		for _, h := range hs {
			if h.s.st.Effect == policy.Deny && h.s.acts&bit != 0 && len(h.cond) > 0 {
				unless = append(unless, h.step())
			}
		}
	}
	addDenies(s.kp)
	addDenies(s.id)
	addDenies(s.bnd)
	var tail []Step // boundary and SCP steps every path needs
	for i, level := range s.scp {
		addDenies(level)
		if !levelHasAllow(an.scp.levels[i]) {
			continue
		}
		if st, ok := layerStep(level, bit); ok {
			tail = append(tail, st)
		}
	}
	var bndStep *Step
	if s.hasBnd {
		if st, ok := layerStep(s.bnd, bit); ok {
			bndStep = &st
		}
	}
	kind := s.pr.Kind
	withTail := func(steps []Step, boundary bool) []Step {
		if boundary && bndStep != nil {
			steps = append(steps, *bndStep)
		}
		return append(steps, tail...)
	}
	var out []Path
	for _, h := range s.kp {
		if h.s.st.Effect != policy.Allow || h.s.acts&bit == 0 {
			continue
		}
		st := h.step()
		switch {
		case kind == KindRoot:
			out = append(out, Path{Via: "key policy (root user)", Steps: withTail([]Step{st}, false), Unless: unless})
		case h.match == policy.MatchViaAccount:
			idStep, ok := layerStep(s.id, bit)
			if !ok {
				continue
			}
			out = append(out, Path{Via: "key policy + IAM", Steps: withTail([]Step{st, idStep}, true), Unless: unless})
		default:
			steps := []Step{st}
			if s.external {
				steps = append(steps, outsideStep(s.pr))
			}
			out = append(out, Path{Via: "key policy (direct)", Steps: withTail(steps, kind == KindRole), Unless: unless})
		}
	}
	for _, g := range s.grants {
		if g.acts&bit == 0 {
			continue
		}
		steps := []Step{g.step}
		if s.external {
			steps = append(steps, outsideStep(s.pr))
		}
		out = append(out, Path{Via: "grant", Steps: withTail(steps, kind == KindRole), Unless: unless})
	}
	return out
}
