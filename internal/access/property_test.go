package access

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// reference decides one request straight from AWS's documented logic, with
// whole-document concrete evaluation and nothing precomputed: an explicit
// Deny in the key policy, an identity policy, the boundary or an applicable
// SCP refuses; otherwise the key policy must allow the caller directly
// (a role then also needs its boundary), or allow its account while its
// identity policies and boundary allow it, or a grant must carry the
// operation; and every SCP level with an Allow must allow it.
func reference(t *testing.T, acct *inventory.Account, k *inventory.Key, principal, action string, extra policy.Context) bool {
	t.Helper()
	parse := func(f inventory.Fact[inventory.Document]) *policy.Policy {
		d, rerr := f.Get()
		if rerr != nil {
			t.Fatal(rerr)
		}
		p, err := policy.Parse([]byte(d.Text))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	iam := acct.IAM.MustGet()
	kind, typ, username, tags := KindRoot, "Account", "", map[string]string(nil)
	for _, u := range iam.Users {
		if u.ARN == principal {
			kind, typ, username, tags = KindUser, "User", u.Name, u.Tags
		}
	}
	for _, r := range iam.Roles {
		if r.ARN == principal {
			kind, typ, tags = KindRole, "AssumedRole", r.Tags
		}
	}
	ctx := policy.Context{"aws:PrincipalArn": {principal}, "aws:PrincipalAccount": {acct.ID}, "kms:CallerAccount": {acct.ID},
		"aws:ResourceAccount": {acct.ID}, "aws:PrincipalType": {typ}, "aws:PrincipalIsAWSService": {"false"},
		"kms:ResourceAliases": k.Aliases.MustGet()}
	if username != "" {
		ctx["aws:username"] = []string{username}
	}
	for ek, ev := range extra {
		ctx[ek] = ev
	}
	for tk, v := range tags {
		ctx["aws:PrincipalTag/"+tk] = []string{v}
	}
	for tk, v := range k.Tags.MustGet() {
		ctx["aws:ResourceTag/"+tk] = []string{v}
	}
	req := policy.Request{Principal: policy.RequestPrincipal{ID: principal, Account: acct.ID}, Action: action, Resource: k.ARN, Context: ctx}
	kp := parse(k.Policy).Evaluate(req)
	if kp.Outcome == policy.ExplicitDeny {
		return false
	}
	idAllowed := false
	if kind != KindRoot {
		sources, _ := iam.IdentityPolicies(principal)
		for _, s := range sources {
			switch parse(s.Document).Evaluate(req).Outcome {
			case policy.ExplicitDeny:
				return false
			case policy.Allowed:
				idAllowed = true
			}
		}
	} else {
		idAllowed = true
	}
	bndAllowed := true
	if b, has := iam.PermissionsBoundary(principal); has {
		switch parse(b).Evaluate(req).Outcome {
		case policy.ExplicitDeny:
			return false
		case policy.ImplicitDeny:
			bndAllowed = false
		}
	}
	levels := map[string][]*policy.Policy{}
	for _, s := range acct.ApplicableSCPs().MustGet() {
		p, err := policy.Parse([]byte(s.Document.Text))
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range s.Targets {
			levels[tg.ID] = append(levels[tg.ID], p)
		}
	}
	for _, ps := range levels {
		hasAllow, allowed := false, false
		for _, p := range ps {
			for _, st := range p.Statements {
				hasAllow = hasAllow || st.Effect == policy.Allow
			}
			switch p.Evaluate(req).Outcome {
			case policy.ExplicitDeny:
				return false
			case policy.Allowed:
				allowed = true
			}
		}
		if hasAllow && !allowed {
			return false
		}
	}
	direct, via := false, false
	for _, d := range kp.Deciding {
		direct = direct || d.Match == policy.MatchDirect
		via = via || d.Match == policy.MatchViaAccount
	}
	if kind == KindRoot {
		return direct || via
	}
	needBnd := kind == KindRole
	if direct && (!needBnd || bndAllowed) {
		return true
	}
	if via && idAllowed && bndAllowed {
		return true
	}
	for _, g := range k.Grants.MustGet() {
		if g.GranteePrincipal != principal || (needBnd && !bndAllowed) {
			continue
		}
		for _, op := range g.Operations {
			if "kms:"+op == action && GrantOperations().Has(action) {
				return true
			}
		}
	}
	return false
}

// randomAccount builds an account whose conditions all use keys the
// inventory determines, so that every answer is a definite yes or no.
func randomAccount(r *rand.Rand, undetermined bool) *inventory.Account {
	pick := func(xs ...any) any { return xs[r.IntN(len(xs))] }
	keyIDs := []string{"k0", "k1", "k2"}
	keyARN := func(id string) string { return "arn:aws:kms:us-east-1:" + tAcct + ":key/" + id }
	roles := []string{"app-a", "app-b", "ops", "BreakGlass"}
	users := []string{"u1", "u2", "u3"}
	actions := []any{"kms:*", "kms:Decrypt", "kms:Schedule*", "kms:Disable*", "kms:PutKeyPolicy", "*", []string{"kms:Encrypt", "kms:Decrypt"}}
	resource := func() any {
		return pick("*", keyARN(keyIDs[r.IntN(3)]), "arn:aws:kms:*:"+tAcct+":key/*", "arn:aws:kms:us-east-1:"+tAcct+":key/k?")
	}
	cond := func() obj {
		if undetermined && r.IntN(3) == 0 {
			return obj{pick("StringEquals", "StringNotEquals").(string): obj{"kms:ViaService": pick("s3.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com")}}
		}
		switch r.IntN(6) {
		case 0:
			return obj{"ArnLike": obj{"aws:PrincipalArn": pick("arn:aws:iam::*:role/app-*", "arn:aws:iam::"+tAcct+":user/u?", roleARN("BreakGlass"))}}
		case 1:
			return obj{"ArnNotLike": obj{"aws:PrincipalArn": roleARN("BreakGlass")}}
		case 2:
			return obj{"StringEquals": obj{"aws:ResourceTag/env": pick("prod", "dev")}}
		case 3:
			return obj{"StringEquals": obj{"aws:PrincipalTag/team": pick("u1", "u2")}}
		case 4:
			return obj{"StringEquals": obj{"kms:CallerAccount": pick(tAcct, "444455556666")}}
		}
		return nil
	}
	stmt := func(effect string) obj {
		st := obj{"Effect": effect, "Resource": resource()}
		if r.IntN(5) == 0 {
			st["NotAction"] = pick("iam:*", "kms:Decrypt", "kms:*")
		} else {
			st["Action"] = pick(actions...)
		}
		if r.IntN(8) == 0 {
			delete(st, "Resource")
			st["NotResource"] = keyARN(keyIDs[r.IntN(3)])
		}
		if c := cond(); c != nil && r.IntN(2) == 0 {
			st["Condition"] = c
		}
		return st
	}
	idDoc := func() inventory.Fact[inventory.Document] {
		sts := []obj{stmt("Allow")}
		for r.IntN(3) == 0 {
			sts = append(sts, stmt(pick("Allow", "Deny").(string)))
		}
		return doc(sts...)
	}
	principalElem := func() any {
		switch r.IntN(5) {
		case 0:
			return "*"
		case 1:
			return obj{"AWS": tAcct}
		case 2:
			return obj{"AWS": roleARN(roles[r.IntN(len(roles))])}
		case 3:
			return obj{"AWS": []string{userARN(users[r.IntN(len(users))]), roleARN(roles[r.IntN(len(roles))])}}
		}
		return obj{"AWS": "arn:aws:iam::" + tAcct + ":root"}
	}
	var keys []*inventory.Key
	for _, id := range keyIDs {
		var sts []obj
		if r.IntN(4) != 0 {
			sts = append(sts, rootStmt())
		}
		for n := r.IntN(3); n >= 0; n-- {
			st := stmt(pick("Allow", "Allow", "Deny").(string))
			st["Principal"] = principalElem()
			sts = append(sts, st)
		}
		var grants []inventory.Grant
		if r.IntN(3) == 0 {
			grants = append(grants, inventory.Grant{ID: "g-" + id, GranteePrincipal: roleARN(roles[r.IntN(len(roles))]),
				Operations: []string{"Decrypt", pick("Encrypt", "ScheduleKeyDeletion", "CreateGrant").(string)}})
		}
		keys = append(keys, tKey(id, map[string]string{"env": pick("prod", "dev").(string)}, doc(sts...), grants...))
	}
	b := newAcct(keys...)
	for i := range 4 {
		b.managed(fmt.Sprintf("m%d", i), idDoc())
	}
	managed := func() []string {
		var out []string
		for i := range 4 {
			if r.IntN(4) == 0 {
				out = append(out, polARN(fmt.Sprintf("m%d", i)))
			}
		}
		return out
	}
	inl := func() []inventory.InlinePolicy {
		if r.IntN(2) == 0 {
			return nil
		}
		return []inventory.InlinePolicy{inline("inline", idDoc())}
	}
	boundary := func() string {
		if r.IntN(4) == 0 {
			return polARN(fmt.Sprintf("m%d", r.IntN(4)))
		}
		return ""
	}
	b.group("g1", inl(), managed()...)
	for _, n := range roles {
		b.role(n, boundary(), inl(), managed()...)
	}
	for _, n := range users {
		var groups []string
		if r.IntN(2) == 0 {
			groups = []string{"g1"}
		}
		b.user(n, boundary(), groups, inl(), managed()...)
	}
	if r.IntN(2) == 0 {
		b.scp("p-full", "r-1", inventory.TargetRoot, doc(allow("*", "*")))
		if r.IntN(2) == 0 {
			b.scp("p-x", pick("ou-1", tAcct).(string), pick(inventory.TargetOU, inventory.TargetAccount).(string), idDoc())
		}
	}
	return b.a
}

// principalsOf lists the account root and every user and role: the
// principals the property tests ask about.
func principalsOf(acct *inventory.Account) []string {
	iam := acct.IAM.MustGet()
	out := []string{"arn:aws:iam::" + tAcct + ":root"}
	for _, u := range iam.Users {
		out = append(out, u.ARN)
	}
	for _, ro := range iam.Roles {
		out = append(out, ro.ARN)
	}
	return out
}

// TestPropertyAgreesWithReference: for random accounts and every
// (principal, action, key), the analysis gives "yes" exactly when the
// reference evaluation allows the request.
func TestPropertyAgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	checked := 0
	for trial := range 300 {
		acct := randomAccount(r, false)
		an := New(acct, Options{})
		principals := principalsOf(acct)
		for range 20 {
			k := acct.Keys[r.IntN(len(acct.Keys))]
			p := principals[r.IntN(len(principals))]
			action := keyActionNames()[r.IntN(numKeyActions)]
			got, paths := answer(an, k, p, action)
			want := "no"
			if reference(t, acct, k, p, action, nil) {
				want = "yes"
			}
			checked++
			viaPrincipal := "no"
			for _, ka := range an.Principal(p, []string{action}) {
				if ka.Key == k.ARN && len(ka.Access) > 0 {
					viaPrincipal = "yes"
					if !ka.Access[0].Unconditional() {
						viaPrincipal = "conditional"
					}
				}
			}
			if viaPrincipal != got {
				t.Fatalf("trial %d: %s %s on %s: Key says %s, Principal says %s", trial, p, action, k.ID, got, viaPrincipal)
			}
			if got != want {
				kp, _ := k.Policy.Get()
				t.Fatalf("trial %d: %s %s on %s: analysis %s (%s), reference %s\nkey policy %s", trial, p, action, k.ID, got, paths, want, kp.Text)
			}
		}
	}
	t.Logf("%d requests agree", checked)
}

// TestPropertyConditionalIsSound adds conditions on kms:ViaService, which
// the inventory cannot decide, and checks the three-valued answer against
// the reference under every value it can take (absent, s3, ec2): "yes"
// must hold in all of them, "no" in none, and any context that allows
// must not be answered "no".
func TestPropertyConditionalIsSound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	contexts := []policy.Context{nil, {"kms:ViaService": {"s3.us-east-1.amazonaws.com"}}, {"kms:ViaService": {"ec2.us-east-1.amazonaws.com"}}}
	counts := map[string]int{}
	for trial := range 300 {
		acct := randomAccount(r, true)
		an := New(acct, Options{})
		principals := principalsOf(acct)
		for range 20 {
			k := acct.Keys[r.IntN(len(acct.Keys))]
			p := principals[r.IntN(len(principals))]
			action := keyActionNames()[r.IntN(numKeyActions)]
			got, paths := answer(an, k, p, action)
			allowed := 0
			for _, c := range contexts {
				if reference(t, acct, k, p, action, c) {
					allowed++
				}
			}
			counts[got]++
			bad := (got == "yes" && allowed != len(contexts)) || (got == "no" && allowed != 0)
			if bad {
				kp, _ := k.Policy.Get()
				t.Fatalf("trial %d: %s %s on %s: analysis %s (%s), reference allows in %d of %d contexts\nkey policy %s",
					trial, p, action, k.ID, got, paths, allowed, len(contexts), kp.Text)
			}
		}
	}
	if counts["conditional"] == 0 || counts["yes"] == 0 || counts["no"] == 0 {
		t.Errorf("the generator should produce every answer: %v", counts)
	}
	t.Logf("answers: %v", counts)
}
