package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
)

// outsideStep is what a principal outside the IAM inventory still needs.
func outsideStep(p Principal) Step {
	if p.Kind == KindUnlisted {
		return Step{Layer: "IAM inventory", Source: "IAM inventory of account " + p.Account + " (the principal is not in it)",
			Condition: p.ARN + " exists (it may have been deleted or renamed)"}
	}
	return Step{Layer: "other account", Source: "IAM policies of account " + p.Account + " (not in this snapshot)",
		Condition: "account " + p.Account + "'s IAM policies allow it"}
}

// Holders is the compact answer controls use: the principals outside the
// authorised list (and other than the account root) that match a question
// on one key, with one evidence line per principal or per group of
// principals that share a path.
type Holders struct {
	Principals  int      // how many principals
	Conditional int      // of which only under conditions
	Lines       []string // evidence
	Unknown     []string // principals whose answer could not be decided, with why
	Caveats     []string
	KeyUnknown  string // the key policy could not be used: nothing is decided
}

// HoldersOf returns who (outside the authorised list, other than the root
// user) can perform the action on the key.
func (an *Analysis) HoldersOf(k *inventory.Key, action string) Holders {
	bit := Set(action)
	return an.holders(k, "action "+action, func(_, okP ActionSet) bool { return okP&bit != 0 }, func(ActionSet) ActionSet { return bit },
		func(s *single, kr *keyResult) string {
			ai := actionIndex(action)
			return describe(s.pr) + ": " + joinPaths(an.paths(s, ai))
		})
}

// SeparationOfDuties returns who (outside the authorised list, other than
// the root user) can perform both an action of admin and one of use on the
// key.
func (an *Analysis) SeparationOfDuties(k *inventory.Key, admin, use ActionSet) Holders {
	return an.holders(k, "sod", func(_, okP ActionSet) bool { return okP&admin != 0 && okP&use != 0 },
		func(okP ActionSet) ActionSet { return ActionSet(1) << lowestBit(okP&admin) },
		func(s *single, kr *keyResult) string {
			a, u := s.okP&admin, s.okP&use
			return fmt.Sprintf("%s administers (%s) and uses (%s); e.g. %s; %s", describe(s.pr), short(a), short(u),
				joinPaths(an.paths(s, lowestBit(a))), joinPaths(an.paths(s, lowestBit(u))))
		})
}

func short(s ActionSet) string {
	acts := s.Actions()
	for i, a := range acts {
		acts[i] = strings.TrimPrefix(a, "kms:")
	}
	return strings.Join(acts, ", ")
}

func describe(p Principal) string {
	out := p.ARN + " (" + string(p.Kind)
	if p.Sessions != "" {
		out += "; sessions " + p.Sessions
	}
	return out + ")"
}

func joinPaths(ps []Path) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

func (an *Analysis) holders(k *inventory.Key, purpose string, match func(okU, okP ActionSet) bool, bit func(okP ActionSet) ActionSet,
	line func(*single, *keyResult) string) Holders {
	var h Holders
	ki, ok := an.keyIndex[k]
	if !ok {
		h.KeyUnknown = "the key is not in the analysed account"
		return h
	}
	kr := an.result(ki)
	h.Caveats = kr.caveats
	if kr.unknownKey != "" {
		h.KeyUnknown = kr.unknownKey
		return h
	}
	for _, u := range kr.unknown {
		if !an.excluded(u.Principal.ARN, u.Principal.Kind) {
			h.Unknown = append(h.Unknown, describe(u.Principal)+": "+u.Reason)
		}
	}
	for _, s := range kr.singles {
		if an.excluded(s.pr.ARN, s.pr.Kind) || !match(s.okU, s.okP) {
			continue
		}
		h.Principals++
		if !match(s.okU, s.okU) {
			h.Conditional++
		}
		h.Lines = append(h.Lines, line(s, kr))
	}
	specials := map[int][]*prin{}
	for p := range kr.special {
		if p.group >= 0 && !p.auth {
			specials[p.group] = append(specials[p.group], p)
		}
	}
	for _, gr := range kr.groups {
		if !match(gr.okU, gr.okP) {
			continue
		}
		sp := specials[gr.g.idx]
		n := gr.g.nonAuth - len(sp)
		if n <= 0 {
			continue
		}
		var rep *prin
		for _, p := range gr.g.members {
			if !p.auth && !kr.special[p] {
				rep = p
				break
			}
		}
		h.Principals += n
		if !match(gr.okU, gr.okU) {
			h.Conditional += n
		}
		h.Lines = append(h.Lines, fmt.Sprintf("%d principal(s) whose IAM policies treat every key alike, each as for example %s",
			n, an.repLine(kr, gr, rep, purpose, line)), an.groupLine(gr, purpose, bit(gr.okP)))
		if len(sp) > 0 {
			names := make([]string, len(sp))
			for i, p := range sp {
				names[i] = p.ARN
			}
			sort.Strings(names)
			h.Lines = append(h.Lines, "except "+strings.Join(names, ", ")+" (named in the key policy or a grant, or with key-specific policies: evaluated on their own)")
		}
	}
	return h
}

// repLine renders the path of a group's representative member; keys whose
// generic key-policy and SCP answers read the same share the string.
func (an *Analysis) repLine(kr *keyResult, gr groupRes, rep *prin, purpose string, line func(*single, *keyResult) string) string {
	lk := lineKey{group: gr.g.idx, purpose: "rep " + purpose, bits: gr.okP, bitsU: gr.okU, sig: kr.genSig, rep: rep}
	an.mu.Lock()
	l, ok := an.lines[lk]
	an.mu.Unlock()
	if ok {
		return l
	}
	rs := &single{pr: rep.Principal, p: rep, kp: kr.genKP, id: rep.baseID, bnd: rep.baseBnd,
		hasBnd: rep.hasBnd, scp: kr.genSCP, okU: gr.okU, okP: gr.okP}
	l = line(rs, kr)
	an.mu.Lock()
	an.lines[lk] = l
	an.mu.Unlock()
	return l
}

// groupLine lists a group's members (other than authorised ones) with the
// identity statements that give them the access; it is built once per group
// and question and shared by every key with the same answer.
func (an *Analysis) groupLine(gr groupRes, purpose string, bit ActionSet) string {
	lk := lineKey{group: gr.g.idx, purpose: purpose, bits: gr.okP}
	an.mu.Lock()
	l, ok := an.lines[lk]
	an.mu.Unlock()
	if ok {
		return l
	}
	var b strings.Builder
	b.WriteString("members: ")
	n := 0
	for _, p := range gr.g.members {
		if p.auth {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		n++
		b.WriteString(p.ARN)
		if st, ok := layerStep(p.baseID, bit); ok {
			b.WriteString(" via " + st.String())
		}
	}
	l = b.String()
	an.mu.Lock()
	an.lines[lk] = l
	an.mu.Unlock()
	return l
}

// excluded: the root user and the authorised principals are not listed.
func (an *Analysis) excluded(arn string, kind Kind) bool {
	if kind == KindRoot {
		return true
	}
	p := an.byARN[arn]
	if p != nil {
		return p.auth
	}
	return an.opts.Authorised != nil && an.opts.Authorised(arn)
}
