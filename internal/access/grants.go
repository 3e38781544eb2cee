package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

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
