package access

import (
	"math/bits"
	"strings"

	"github.com/kmsguard/kmsguard/internal/policy"
)

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
