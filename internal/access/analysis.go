package access

import (
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// Options tunes an Analysis.
type Options struct {
	// Authorised marks principals a caller does not want listed by Holders
	// (the configured allowlist). Nil marks none.
	Authorised func(arn string) bool
}

// Analysis holds an account's parsed policies and principal index. Build it
// once with New and ask it about any number of keys; it is safe for
// concurrent use.
type Analysis struct {
	acct      *inventory.Account
	opts      Options
	prins     []*prin
	byARN     map[string]*prin
	groups    []*group
	loners    []*prin // principals never grouped (root, unreadable documents)
	keyIndex  map[*inventory.Key]int
	keyByARN  map[string]int
	dependent map[int][]*prin // key index -> principals with key-dependent statements that may apply to it
	scp       scpSet
	iamErr    *inventory.ReadError
	anyKey    string

	actions  actionCache
	patMu    sync.Mutex
	patterns map[string][]uint64

	mu    sync.Mutex
	slots []keySlot
	lines map[lineKey]string
}

type lineKey struct {
	group   int
	purpose string
	bits    ActionSet
	bitsU   ActionSet
	sig     string // the key's generic key-policy and SCP answer (repLine)
	rep     *prin
}

// prin is one IAM principal of the account (or its root user).
type prin struct {
	Principal
	rp       policy.RequestPrincipal
	ctx      policy.Context
	docs     []*cdoc // identity policies
	boundary *cdoc   // nil without one
	hasBnd   bool
	unknown  []string // why some of its documents could not be read
	baseID   []hit    // identity hits that hold on every key alike
	baseBnd  []hit
	depID    []*cstmt // identity statements to evaluate per key
	depBnd   []*cstmt
	auth     bool
	idx      int // position in Analysis.prins
	group    int // -1: always evaluated alone
}

type group struct {
	idx     int
	kind    Kind
	members []*prin
	nonAuth int // members not in the authorised list
	id, bnd summary
	hasBnd  bool
}

type scpSet struct {
	known  bool
	reason string
	levels [][]*cdoc // per organisation level on the account's path
}

// New parses every policy of the account once and indexes its principals.
// Unreadable or unparsable documents are recorded, never dropped: answers
// that depend on them are Unknown with the reason.
func New(acct *inventory.Account, opts Options) *Analysis {
	an := &Analysis{acct: acct, opts: opts, byARN: map[string]*prin{}, keyIndex: map[*inventory.Key]int{},
		keyByARN: map[string]int{}, dependent: map[int][]*prin{}, patterns: map[string][]uint64{},
		lines: map[lineKey]string{}}
	for i, k := range acct.Keys {
		an.keyIndex[k] = i
		an.keyByARN[k.ARN] = i
	}
	if len(acct.Keys) > 0 {
		an.anyKey = acct.Keys[0].ARN
	}
	an.loadSCPs()
	an.loadPrincipals()
	an.index()
	for _, p := range an.prins {
		if p.group < 0 {
			an.loners = append(an.loners, p)
		}
	}
	return an
}

func parseDoc(src source, doc inventory.Fact[inventory.Document], partition string, cache *actionCache) (*cdoc, string) {
	d, rerr := doc.Get()
	if rerr != nil {
		return nil, src.name + " could not be read: " + rerr.Error()
	}
	pol, err := policy.ParseWith([]byte(d.Text), policy.ParseOptions{Partition: partition})
	if err != nil {
		return nil, src.name + " does not parse: " + err.Error()
	}
	return compileDoc(src, pol, cache), ""
}

func (an *Analysis) loadSCPs() {
	scps, rerr := an.acct.ApplicableSCPs().Get()
	if rerr != nil {
		an.scp = scpSet{reason: "SCPs not taken into account (" + rerr.Error() + "): an SCP may still deny this"}
		return
	}
	an.scp.known = true
	onPath := map[string]bool{an.acct.ID: true}
	if path, err := an.acct.OUPath.Get(); err == nil {
		for _, n := range path {
			onPath[n.ID] = true
		}
	}
	levels := map[string][]*cdoc{}
	var order []string
	for _, s := range scps {
		d, why := parseDoc(source{"SCP", "SCP " + s.ID + " (" + s.Name + ")"}, inventory.Known(s.Document), an.acct.Partition, &an.actions)
		if d == nil {
			an.scp = scpSet{reason: why}
			return
		}
		for _, t := range s.Targets {
			if t.Type == inventory.TargetRoot || onPath[t.ID] {
				if _, ok := levels[t.ID]; !ok {
					order = append(order, t.ID)
				}
				levels[t.ID] = append(levels[t.ID], d)
			}
		}
	}
	for _, id := range order {
		an.scp.levels = append(an.scp.levels, levels[id])
	}
}

func (an *Analysis) loadPrincipals() {
	acct, part := an.acct.ID, an.acct.Partition
	root := &prin{Principal: Principal{ARN: "arn:" + part + ":iam::" + acct + ":root", Kind: KindRoot, Account: acct}, group: -1}
	root.rp = policy.RequestPrincipal{ID: root.ARN, Account: acct}
	root.ctx = an.principalContext(root.ARN, "Account", "", nil)
	an.add(root)
	iam, rerr := an.acct.IAM.Get()
	if rerr != nil {
		an.iamErr = rerr
		return
	}
	policies := make(map[string]*inventory.ManagedPolicy, len(iam.Policies))
	for _, mp := range iam.Policies {
		policies[mp.ARN] = mp
	}
	managed := map[string]*cdoc{}
	managedErr := map[string]string{}
	an.parseManaged(iam, policies, managed, managedErr)
	managedDoc := func(arn, via string) (*cdoc, string) {
		key := via + "\x00" + arn
		if d, ok := managed[key]; ok {
			return d, managedErr[key]
		}
		name := "managed policy " + arn
		if via != "" {
			name += " (via group " + via + ")"
		}
		var doc inventory.Fact[inventory.Document]
		if mp := policies[arn]; mp != nil {
			doc = mp.Default
		} else {
			doc = inventory.Unknown[inventory.Document](&inventory.ReadError{Call: "iam:GetAccountAuthorizationDetails", Code: inventory.CodeIncomplete, Message: arn + " is not in the Policies list"})
		}
		d, why := parseDoc(source{"identity policy", name}, doc, part, &an.actions)
		managed[key], managedErr[key] = d, why
		return d, why
	}
	addDocs := func(p *prin, pr *inventory.Principal, inlineKind, via string) {
		for _, ip := range pr.InlinePolicies {
			d, why := parseDoc(source{"identity policy", fmt.Sprintf("%s %q", inlineKind, ip.Name)}, ip.Document, part, &an.actions)
			p.addDoc(d, why)
		}
		for _, arn := range pr.AttachedPolicyARNs {
			p.addDoc(managedDoc(arn, via))
		}
	}
	groupDocs := map[string]*prin{}
	for _, g := range iam.Groups {
		gp := &prin{}
		addDocs(gp, &g.Principal, "inline policy of group "+g.Name, g.Name)
		groupDocs[g.Name] = gp
	}
	boundary := func(p *prin, arn string) {
		if arn == "" {
			return
		}
		p.hasBnd = true
		var doc inventory.Fact[inventory.Document]
		if mp := policies[arn]; mp != nil {
			doc = mp.Default
		} else {
			doc = inventory.Unknown[inventory.Document](&inventory.ReadError{Call: "iam:GetAccountAuthorizationDetails", Code: inventory.CodeIncomplete, Message: arn + " is not in the Policies list"})
		}
		d, why := parseDoc(source{"permissions boundary", "permissions boundary " + arn}, doc, part, &an.actions)
		if d == nil {
			p.unknown = append(p.unknown, why)
		}
		p.boundary = d
	}
	for _, u := range iam.Users {
		p := &prin{Principal: Principal{ARN: u.ARN, Kind: KindUser, Account: acct}, group: -1}
		p.rp = policy.RequestPrincipal{ID: u.ARN, Account: acct}
		p.ctx = an.principalContext(u.ARN, "User", u.Name, u.Tags)
		addDocs(p, &u.Principal, "inline user policy", "")
		for _, g := range u.Groups {
			gp := groupDocs[g]
			if gp == nil {
				p.unknown = append(p.unknown, "group "+g+" is not in GroupDetailList")
				continue
			}
			p.docs = append(p.docs, gp.docs...)
			p.unknown = append(p.unknown, gp.unknown...)
		}
		boundary(p, u.PermissionsBoundaryARN)
		an.add(p)
	}
	for _, r := range iam.Roles {
		p := &prin{Principal: Principal{ARN: r.ARN, Kind: KindRole, Account: acct,
			Sessions: "arn:" + part + ":sts::" + acct + ":assumed-role/" + r.Name + "/*"}, group: -1}
		p.rp = policy.RequestPrincipal{ID: r.ARN, Account: acct}
		p.ctx = an.principalContext(r.ARN, "AssumedRole", "", r.Tags)
		addDocs(p, &r.Principal, "inline role policy", "")
		boundary(p, r.PermissionsBoundaryARN)
		an.add(p)
	}
}

// parseManaged parses, in parallel, the managed policies attached to users
// and roles (group attachments are named after their group and parsed
// when first met).
func (an *Analysis) parseManaged(iam *inventory.IAM, policies map[string]*inventory.ManagedPolicy, managed map[string]*cdoc, why map[string]string) {
	seen := map[string]bool{}
	var arns []string
	addAll := func(list []string) {
		for _, a := range list {
			if !seen[a] && policies[a] != nil {
				seen[a] = true
				arns = append(arns, a)
			}
		}
	}
	for _, u := range iam.Users {
		addAll(u.AttachedPolicyARNs)
	}
	for _, r := range iam.Roles {
		addAll(r.AttachedPolicyARNs)
	}
	docs := make([]*cdoc, len(arns))
	whys := make([]string, len(arns))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(arns); i += workers {
				docs[i], whys[i] = parseDoc(source{"identity policy", "managed policy " + arns[i]}, policies[arns[i]].Default, an.acct.Partition, &an.actions)
			}
		}()
	}
	wg.Wait()
	for i, a := range arns {
		managed["\x00"+a], why["\x00"+a] = docs[i], whys[i]
	}
}

func (p *prin) addDoc(d *cdoc, why string) {
	if d == nil {
		p.unknown = append(p.unknown, why)
		return
	}
	p.docs = append(p.docs, d)
}

func (an *Analysis) add(p *prin) {
	p.auth = an.opts.Authorised != nil && an.opts.Authorised(p.ARN)
	p.idx = len(an.prins)
	an.prins = append(an.prins, p)
	an.byARN[p.ARN] = p
}

func (an *Analysis) principalContext(arn, typ, username string, tags map[string]string) policy.Context {
	acct := an.acct.ID
	ctx := policy.Context{"aws:PrincipalArn": {arn}, "aws:PrincipalAccount": {acct}, "kms:CallerAccount": {acct},
		"aws:ResourceAccount": {acct}, "aws:PrincipalType": {typ}, "aws:PrincipalIsAWSService": {"false"}}
	if username != "" {
		ctx["aws:username"] = []string{username}
	}
	for k, v := range tags {
		ctx["aws:PrincipalTag/"+k] = []string{v}
	}
	return ctx
}

// index splits every principal's statements into those that treat every
// key alike (evaluated once) and those to evaluate per key, and groups
// principals whose key-independent answers are identical.
func (an *Analysis) index() {
	all := an.allKeys()
	type sig struct {
		kind    Kind
		id, bnd summary
		hasBnd  bool
	}
	bySig := map[sig]*group{}
	for pi, p := range an.prins {
		if p.Kind == KindRoot {
			continue
		}
		r := &request{principal: p.rp, resource: an.anyKey, ctx: p.ctx, class: classPrincipal, keyIdx: -1}
		split := func(docs []*cdoc) (base []hit, dep []*cstmt) {
			for _, d := range docs {
				for _, s := range d.stmts {
					keys, everyKey := an.stmtKeys(s)
					if !s.keyDep && everyKey && an.anyKey != "" {
						if h, ok := s.eval(r); ok {
							base = append(base, h)
						}
						continue
					}
					dep = append(dep, s)
					mark := func(ki int) {
						if l := an.dependent[ki]; len(l) == 0 || l[len(l)-1] != an.prins[pi] {
							an.dependent[ki] = append(l, an.prins[pi])
						}
					}
					if keys == nil {
						for _, ki := range all {
							mark(ki)
						}
						continue
					}
					for w, word := range keys {
						for word != 0 {
							b := bits.TrailingZeros64(word)
							mark(w*64 + b)
							word &= word - 1
						}
					}
				}
			}
			return base, dep
		}
		p.baseID, p.depID = split(p.docs)
		if p.boundary != nil {
			p.baseBnd, p.depBnd = split([]*cdoc{p.boundary})
		}
		if len(p.unknown) > 0 {
			continue
		}
		s := sig{kind: p.Kind, id: summarise(p.baseID), bnd: summarise(p.baseBnd), hasBnd: p.hasBnd}
		g := bySig[s]
		if g == nil {
			g = &group{idx: len(an.groups), kind: p.Kind, id: s.id, bnd: s.bnd, hasBnd: s.hasBnd}
			bySig[s] = g
			an.groups = append(an.groups, g)
		}
		g.members = append(g.members, p)
		if !p.auth {
			g.nonAuth++
		}
		p.group = g.idx
	}
}

func (an *Analysis) allKeys() []int {
	out := make([]int, len(an.acct.Keys))
	for i := range out {
		out[i] = i
	}
	return out
}

// stmtKeys returns the account keys a statement's Resource element covers
// as a bitset (nil meaning every key), and whether that is every key.
func (an *Analysis) stmtKeys(s *cstmt) ([]uint64, bool) {
	if !s.keysDone {
		s.keys, s.everyKey = an.computeStmtKeys(s)
		s.keysDone = true
	}
	return s.keys, s.everyKey
}

func (an *Analysis) computeStmtKeys(s *cstmt) ([]uint64, bool) {
	st := s.st
	if !st.HasResource {
		return nil, true
	}
	n := len(an.acct.Keys)
	set := make([]uint64, (n+63)/64)
	for _, pat := range st.Resources {
		for i, w := range an.patternKeys(pat, s.doc.pol.VariablesEnabled()) {
			set[i] |= w
		}
	}
	if st.NotResource {
		for i := range set {
			set[i] = ^set[i]
		}
	}
	if n%64 != 0 && len(set) > 0 {
		set[len(set)-1] &= (1 << (n % 64)) - 1
	}
	every := true
	for i := 0; i < n; i++ {
		if set[i/64]&(1<<(i%64)) == 0 {
			every = false
			break
		}
	}
	if every {
		return nil, true
	}
	return set, false
}

func (an *Analysis) patternKeys(pat string, variables bool) []uint64 {
	an.patMu.Lock()
	defer an.patMu.Unlock()
	if s, ok := an.patterns[pat]; ok {
		return s
	}
	n := len(an.acct.Keys)
	set := make([]uint64, (n+63)/64)
	switch {
	case variables && strings.Contains(pat, "${"):
		for i := range set {
			set[i] = ^uint64(0) // a variable may make it match any key: evaluate per key
		}
	case !strings.ContainsAny(pat, "*?"):
		if i, ok := an.keyByARN[pat]; ok {
			set[i/64] |= 1 << (i % 64)
		}
	default:
		for i, k := range an.acct.Keys {
			if policy.WildcardMatch(pat, k.ARN, false) {
				set[i/64] |= 1 << (i % 64)
			}
		}
	}
	an.patterns[pat] = set
	return set
}

// principalsSorted returns the IAM principals in ARN order.
func (an *Analysis) principalsSorted() []*prin {
	out := slices.Clone(an.prins)
	slices.SortFunc(out, func(a, b *prin) int { return strings.Compare(a.ARN, b.ARN) })
	return out
}
