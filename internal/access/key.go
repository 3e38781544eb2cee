package access

import (
	"runtime"
	"sort"
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
