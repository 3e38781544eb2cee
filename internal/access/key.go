package access

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

const allActions = ActionSet(1)<<numKeyActions - 1

// keyResult is the evaluation of every principal and action on one key.
type keyResult struct {
	key        *inventory.Key
	idx        int
	policy     *policy.Policy // the parsed key policy; nil when unknownKey is set
	unknownKey string         // why the key policy could not be used
	groupable  bool
	genKP      []hit
	genSCP     [][]hit
	scpSum     scpSummary
	genSig     string // genKP and genSCP rendered: equal signatures render equal paths
	special    map[*prin]bool
	groups     []groupRes
	singles    []*single
	unknown    []Unknown
	caveats    []string
}

type groupRes struct {
	g        *group
	okU, okP ActionSet
}

// single is one principal evaluated on its own.
type single struct {
	pr       Principal
	p        *prin // nil for principals outside the IAM inventory
	kp, id   []hit
	bnd      []hit
	hasBnd   bool
	scp      [][]hit
	grants   []grantHit
	external bool // the principal's own account must allow it too
	okU, okP ActionSet
}

type grantHit struct {
	step Step
	acts ActionSet
}

type scpSummary struct{ allowU, allowP, denyU, denyP ActionSet }

type keySlot struct {
	once sync.Once
	r    *keyResult
}

func (an *Analysis) result(ki int) *keyResult {
	an.mu.Lock()
	if an.slots == nil {
		an.slots = make([]keySlot, len(an.acct.Keys))
	}
	slot := &an.slots[ki]
	an.mu.Unlock()
	slot.once.Do(func() { slot.r = an.evalKey(ki) })
	return slot.r
}

// EvaluateAll evaluates every key of the account, in parallel, so that later
// questions are answered from memory.
func (an *Analysis) EvaluateAll() {
	n := len(an.acct.Keys)
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ki := range work {
				an.result(ki)
			}
		}()
	}
	for ki := range n {
		work <- ki
	}
	close(work)
	wg.Wait()
}

func (an *Analysis) keyContext(k *inventory.Key) (policy.Context, int) {
	ctx := policy.Context{}
	tags, terr := k.Tags.Get()
	aliases, aerr := k.Aliases.Get()
	if terr != nil || aerr != nil {
		return ctx, 0
	}
	for t, v := range tags {
		ctx["aws:ResourceTag/"+t] = []string{v}
	}
	ctx["kms:ResourceAliases"] = aliases
	return ctx, classResource
}

func merge(a, b policy.Context) policy.Context {
	out := make(policy.Context, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func (an *Analysis) evalKey(ki int) *keyResult {
	k := an.acct.Keys[ki]
	kr := &keyResult{key: k, idx: ki, special: map[*prin]bool{}}
	doc, why := parseDoc(source{"key policy", "key policy"}, k.Policy, an.acct.Partition, &an.actions)
	if doc == nil {
		kr.unknownKey = why
		return kr
	}
	kr.policy = doc.pol
	keyCtx, resClass := an.keyContext(k)
	if resClass == 0 {
		kr.caveats = append(kr.caveats, "the key's tags or aliases could not be read: conditions on aws:ResourceTag and kms:ResourceAliases are left as conditions")
	}
	if !an.scp.known {
		kr.caveats = append(kr.caveats, an.scp.reason)
	}
	if an.iamErr != nil {
		kr.caveats = append(kr.caveats, "IAM principals not evaluated: "+an.iamErr.Error())
	}
	acct := an.acct.ID
	generic := policy.RequestPrincipal{ID: "arn:" + an.acct.Partition + ":iam::" + acct + ":user/\x00any", Account: acct}
	genCtx := merge(policy.Context{"aws:PrincipalAccount": {acct}, "kms:CallerAccount": {acct}, "aws:ResourceAccount": {acct},
		"aws:PrincipalIsAWSService": {"false"}}, keyCtx)
	gr := &request{principal: generic, resource: k.ARN, ctx: genCtx, class: classPrincipal | resClass, keyIdx: -1}
	kr.groupable = true
	others := map[string]Kind{}
	for _, s := range doc.stmts {
		st := s.st
		covers := st.Principals == nil || st.NotPrincipal || policy.MatchPrincipal(st.Principals, generic) != policy.MatchNone
		if st.Principals != nil {
			an.namedPrincipals(st.Principals, kr, others)
			if st.Principals.Wildcard || st.NotPrincipal {
				others["*"] = KindAnyone
			}
		}
		if !covers {
			continue
		}
		if s.prinDep {
			kr.groupable = false
			continue
		}
		if h, ok := s.eval(gr); ok {
			kr.genKP = append(kr.genKP, h)
		}
	}
	if an.iamErr != nil && summarise(kr.genKP).viaP != 0 {
		kr.unknown = append(kr.unknown, Unknown{Principal: Principal{ARN: "IAM users and roles of account " + acct, Kind: KindUser, Account: acct},
			Reason: "the key policy delegates to the account's IAM policies, which could not be read: " + an.iamErr.Error()})
	}
	if an.scp.known {
		for _, level := range an.scp.levels {
			var hs []hit
			for _, d := range level {
				for _, s := range d.stmts {
					if s.prinDep {
						kr.groupable = false
					} else if h, ok := s.eval(gr); ok {
						hs = append(hs, h)
					}
				}
			}
			kr.genSCP = append(kr.genSCP, hs)
		}
		kr.scpSum = an.summariseSCP(kr.genSCP)
	} else {
		kr.scpSum = scpSummary{allowU: allActions, allowP: allActions}
	}
	kr.genSig = hitsSignature(kr.genKP, kr.genSCP)
	grants, gerr := k.Grants.Get()
	if gerr != nil {
		kr.caveats = append(kr.caveats, "grants not taken into account: "+gerr.Error())
	}
	grantsOf := map[string][]grantHit{}
	for _, g := range grants {
		gh := grantStep(g)
		if gh.acts == 0 {
			continue
		}
		grantsOf[g.GranteePrincipal] = append(grantsOf[g.GranteePrincipal], gh)
		if p := an.byARN[g.GranteePrincipal]; p != nil {
			kr.special[p] = true
		} else if _, ok := others[g.GranteePrincipal]; !ok {
			others[g.GranteePrincipal] = otherKind(g.GranteePrincipal)
		}
	}
	for _, p := range an.dependent[ki] {
		kr.special[p] = true
	}
	for _, p := range an.loners {
		kr.special[p] = true
	}
	if kr.groupable {
		kpSum := summarise(kr.genKP)
		for _, g := range an.groups {
			okU, okP := decide(g.kind, kpSum, g.id, g.hasBnd, g.bnd, kr.scpSum, 0, 0, false)
			if okP != 0 {
				kr.groups = append(kr.groups, groupRes{g: g, okU: okU, okP: okP})
			}
		}
	}
	alone := an.prins
	if kr.groupable {
		alone = make([]*prin, 0, len(kr.special))
		for p := range kr.special {
			alone = append(alone, p)
		}
		sort.Slice(alone, func(i, j int) bool { return alone[i].idx < alone[j].idx })
	}
	for _, p := range alone {
		if s := an.evalPrincipal(kr, doc, p, keyCtx, resClass, grantsOf[p.ARN]); s != nil {
			kr.singles = append(kr.singles, s)
		}
	}
	names := make([]string, 0, len(others))
	for n := range others {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if s := an.evalOther(k, doc, n, others[n], keyCtx, resClass, grantsOf[n]); s != nil {
			kr.singles = append(kr.singles, s)
		}
	}
	return kr
}

// KeyPolicy returns the key's parsed policy, or why it could not be read or
// parsed.
func (an *Analysis) KeyPolicy(k *inventory.Key) (*policy.Policy, string) {
	ki, ok := an.keyIndex[k]
	if !ok {
		return nil, "the key is not in the analysed account"
	}
	kr := an.result(ki)
	return kr.policy, kr.unknownKey
}

func otherKind(p string) Kind {
	switch {
	case p == "*":
		return KindAnyone
	case !strings.HasPrefix(p, "arn:"):
		return KindService
	}
	return KindExternal
}

// namedPrincipals marks the inventory principals a Principal element names
// (they are evaluated on their own) and collects the others.
func (an *Analysis) namedPrincipals(pr *policy.Principals, kr *keyResult, others map[string]Kind) {
	root := "arn:" + an.acct.Partition + ":iam::" + an.acct.ID + ":root"
	for _, arn := range pr.AWS {
		if p := an.byARN[arn]; p != nil {
			kr.special[p] = true
			continue
		}
		if arn == root {
			continue
		}
		if p := an.sessionRole(arn); p != nil {
			kr.special[p] = true
			continue
		}
		others[arn] = KindExternal
	}
	for _, s := range pr.Service {
		others[s] = KindService
	}
}

// sessionRole maps arn:P:sts::ACCT:assumed-role/NAME/SESSION to the role.
func (an *Analysis) sessionRole(arn string) *prin {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" {
		return nil
	}
	rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return nil
	}
	name, _, _ := strings.Cut(rest, "/")
	for _, p := range an.prins {
		if p.Kind == KindRole && strings.HasSuffix(p.ARN, "/"+name) && strings.Contains(p.ARN, ":"+parts[4]+":") {
			return p
		}
	}
	return nil
}

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

func arnAccount(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}

func sessionsOf(roleARN string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	return "arn:" + parts[1] + ":sts::" + parts[4] + ":assumed-role/" + name + "/*"
}

func grantBits(gs []grantHit) (u, p ActionSet) {
	for _, g := range gs {
		p |= g.acts
		if g.step.Condition == "" {
			u |= g.acts
		}
	}
	return u, p
}

// grantStep turns a grant into a path step: only the operations a grant can
// carry count, and its encryption context constraints are its condition.
func grantStep(g inventory.Grant) grantHit {
	var acts ActionSet
	for _, op := range g.Operations {
		if a, err := ParseAction(op); err == nil && GrantOperations().Has(a) {
			acts |= Set(a)
		}
	}
	name := "grant " + g.ID
	if g.Name != "" {
		name += " (" + g.Name + ")"
	}
	var conds []string
	if c := g.Constraints; c != nil {
		for _, k := range sortedKeys(c.EncryptionContextSubset) {
			conds = append(conds, "the encryption context includes "+k+"="+c.EncryptionContextSubset[k])
		}
		if len(c.EncryptionContextEquals) > 0 {
			var pairs []string
			for _, k := range sortedKeys(c.EncryptionContextEquals) {
				pairs = append(pairs, k+"="+c.EncryptionContextEquals[k])
			}
			conds = append(conds, "the encryption context is exactly {"+strings.Join(pairs, ", ")+"}")
		}
	}
	return grantHit{acts: acts, step: Step{Layer: "grant", Source: name, Condition: strings.Join(conds, " and ")}}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hitsSignature(kp []hit, scp [][]hit) string {
	var b strings.Builder
	add := func(h hit) {
		st := h.step()
		fmt.Fprintf(&b, "%s|%s|%s|%s|%d|%d|%d\x00", st.Source, st.Statement, st.Condition, h.s.st.Effect, h.match, h.s.acts, len(h.cond))
	}
	for _, h := range kp {
		add(h)
	}
	for _, level := range scp {
		b.WriteString("\x01")
		for _, h := range level {
			add(h)
		}
	}
	return b.String()
}
