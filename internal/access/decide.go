package access

import (
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

func (an *Analysis) summariseSCP(levels [][]hit) scpSummary {
	s := scpSummary{allowU: allActions, allowP: allActions}
	for i, hs := range levels {
		sum := summarise(hs)
		if levelHasAllow(an.scp.levels[i]) {
			s.allowU &= sum.allowU
			s.allowP &= sum.allowP
		}
		s.denyU |= sum.denyU
		s.denyP |= sum.denyP
	}
	return s
}

// levelHasAllow: a level whose SCPs only deny is treated as if the
// FullAWSAccess every organisation entity must have were attached there
// (see docs/access.md).
func levelHasAllow(docs []*cdoc) bool {
	for _, d := range docs {
		for _, st := range d.pol.Statements {
			if st.Effect == policy.Allow {
				return true
			}
		}
	}
	return false
}

// decide combines the layers into the actions allowed unconditionally (okU)
// and possibly (okP).
func decide(kind Kind, kp, id summary, hasBnd bool, bnd summary, scp scpSummary, gU, gP ActionSet, external bool) (okU, okP ActionSet) {
	bU, bP := allActions, allActions
	if hasBnd {
		bU, bP = bnd.allowU, bnd.allowP
	}
	dBU, dBP := allActions, allActions
	if kind == KindRole {
		dBU, dBP = bU, bP
	}
	idU, idP := id.allowU, id.allowP
	if kind == KindRoot {
		idU, idP = allActions, allActions
	}
	viaU, viaP := kp.viaU&idU&bU, kp.viaP&idP&bP
	dirU, dirP := kp.dirU&dBU, kp.dirP&dBP
	if external {
		dirU = 0 // the principal's own account must allow it as well
	}
	denyU := kp.denyU | id.denyU | bnd.denyU | scp.denyU
	denyP := kp.denyP | id.denyP | bnd.denyP | scp.denyP
	okP = (viaP | dirP | gP&dBP) & scp.allowP &^ denyU
	okU = (viaU | dirU | gU&dBU) & scp.allowU &^ denyP
	return okU, okP
}

func (an *Analysis) evalPrincipal(kr *keyResult, kp *cdoc, p *prin, keyCtx policy.Context, resClass int, grants []grantHit) *single {
	r := &request{principal: p.rp, resource: kr.key.ARN, ctx: merge(p.ctx, keyCtx), class: classPrincipal | resClass, keyIdx: kr.idx}
	s := &single{pr: p.Principal, p: p, hasBnd: p.hasBnd, grants: grants}
	s.kp = evalDocs([]*cdoc{kp}, r, nil)
	if len(p.unknown) > 0 {
		if len(s.kp) > 0 || len(grants) > 0 {
			kr.unknown = append(kr.unknown, Unknown{Principal: p.Principal, Reason: strings.Join(p.unknown, "; ")})
		}
		return nil
	}
	s.id = append(append([]hit(nil), p.baseID...), evalStmts(p.depID, r)...)
	s.bnd = append(append([]hit(nil), p.baseBnd...), evalStmts(p.depBnd, r)...)
	scp := scpSummary{allowU: allActions, allowP: allActions}
	if an.scp.known {
		for _, level := range an.scp.levels {
			s.scp = append(s.scp, evalDocs(level, r, nil))
		}
		scp = an.summariseSCP(s.scp)
	}
	gU, gP := grantBits(grants)
	s.okU, s.okP = decide(p.Kind, summarise(s.kp), summarise(s.id), p.hasBnd, summarise(s.bnd), scp, gU, gP, false)
	if s.okP == 0 {
		return nil
	}
	return s
}

func evalStmts(ss []*cstmt, r *request) []hit {
	var out []hit
	for _, s := range ss {
		if h, ok := s.eval(r); ok {
			out = append(out, h)
		}
	}
	return out
}

// evalOther evaluates a principal outside the account's IAM inventory: a
// principal of another account, a service, or "*". SCPs, boundaries and
// this account's IAM policies do not apply to it.
func (an *Analysis) evalOther(k *inventory.Key, kp *cdoc, name string, kind Kind, keyCtx policy.Context, resClass int, grants []grantHit) *single {
	rp := policy.RequestPrincipal{ID: name}
	switch kind {
	case KindService:
		rp.Type = policy.PrincipalService
	case KindAnyone:
		rp.ID = ""
	}
	pr := Principal{ARN: name, Kind: kind}
	if kind == KindExternal {
		pr.Account = arnAccount(name)
		if pr.Account == an.acct.ID && an.iamErr == nil {
			pr.Kind = KindUnlisted
		}
		if strings.Contains(name, ":role/") {
			pr.Sessions = sessionsOf(name)
		}
	}
	r := &request{principal: rp, resource: k.ARN, ctx: keyCtx, class: resClass, keyIdx: -1}
	s := &single{pr: pr, grants: grants, external: kind == KindExternal}
	if pr.Kind == KindUnlisted {
		kind = KindUnlisted
	}
	s.kp = evalDocs([]*cdoc{kp}, r, nil)
	gU, gP := grantBits(grants)
	if s.external {
		gU = 0 // the principal's own account (or its existence) must allow it as well
	}
	s.okU, s.okP = decide(kind, summarise(s.kp), summary{}, false, summary{}, scpSummary{allowU: allActions, allowP: allActions}, gU, gP, s.external)
	if s.okP == 0 {
		return nil
	}
	return s
}
