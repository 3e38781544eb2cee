package access

import (
	"strings"
	"testing"

	"github.com/kmsguard/kmsguard/internal/inventory"
)

// answer is "yes" (unconditional), "conditional" or "no" for one principal,
// action and key, plus the rendered paths.
func answer(an *Analysis, k *inventory.Key, principal, action string) (string, string) {
	ka := an.Key(k, []string{action})
	for _, a := range ka.Access {
		if a.Principal.ARN == principal {
			paths := joinPaths(a.Paths)
			if a.Unconditional() {
				return "yes", paths
			}
			return "conditional", paths
		}
	}
	return "no", ""
}

func TestAccessFixtures(t *testing.T) {
	kmsStar := []inventory.InlinePolicy{inline("KmsStar", doc(allow("kms:*", "*")))}
	fullSCP := doc(allow("*", "*"))
	type check struct {
		principal, action, want string
		pathHas                 string
	}
	tests := []struct {
		name   string
		acct   func() *inventory.Account
		checks []check
	}{
		{name: "root delegation present: IAM policies grant",
			acct: func() *inventory.Account {
				return newAcct(tKey("k", nil, doc(rootStmt()))).user("u", "", nil, kmsStar).a
			},
			checks: []check{{userARN("u"), "kms:ScheduleKeyDeletion", "yes", `key policy EnableIAM + inline user policy "KmsStar"`},
				{"arn:aws:iam::" + tAcct + ":root", "kms:PutKeyPolicy", "yes", "root user"}}},
		{name: "root delegation absent: IAM policies grant nothing",
			acct: func() *inventory.Account {
				kp := doc(obj{"Sid": "Admins", "Effect": "Allow", "Principal": obj{"AWS": roleARN("Admin")}, "Action": "kms:*", "Resource": "*"})
				return newAcct(tKey("k", nil, kp)).user("u", "", nil, kmsStar).role("Admin", "", nil).a
			},
			checks: []check{{userARN("u"), "kms:ScheduleKeyDeletion", "no", ""},
				{"arn:aws:iam::" + tAcct + ":root", "kms:PutKeyPolicy", "no", ""},
				{roleARN("Admin"), "kms:PutKeyPolicy", "yes", "key policy (direct): key policy Admins"}}},
		{name: "deny in the key policy for one role",
			acct: func() *inventory.Account {
				kp := doc(rootStmt(), obj{"Sid": "NoDelete", "Effect": "Deny", "Principal": obj{"AWS": roleARN("A")}, "Action": "kms:ScheduleKeyDeletion", "Resource": "*"})
				return newAcct(tKey("k", nil, kp)).role("A", "", kmsStar).role("B", "", kmsStar).a
			},
			checks: []check{{roleARN("A"), "kms:ScheduleKeyDeletion", "no", ""}, {roleARN("A"), "kms:Decrypt", "yes", ""},
				{roleARN("B"), "kms:ScheduleKeyDeletion", "yes", ""}}},
		{name: "permission boundary blocks",
			acct: func() *inventory.Account {
				kp := doc(rootStmt(), obj{"Sid": "Direct", "Effect": "Allow", "Principal": obj{"AWS": []string{roleARN("Named"), userARN("named")}}, "Action": "kms:DisableKey", "Resource": "*"})
				return newAcct(tKey("k", nil, kp)).managed("OnlyDecrypt", doc(allow("kms:Decrypt", "*"))).
					role("R", polARN("OnlyDecrypt"), kmsStar).role("Named", polARN("OnlyDecrypt"), nil).user("named", polARN("OnlyDecrypt"), nil, nil).a
			},
			checks: []check{{roleARN("R"), "kms:ScheduleKeyDeletion", "no", ""}, {roleARN("R"), "kms:Decrypt", "yes", "permissions boundary"},
				// a key policy naming a role is still limited by its boundary; naming a user is not
				{roleARN("Named"), "kms:DisableKey", "no", ""}, {userARN("named"), "kms:DisableKey", "yes", "key policy (direct)"}}},
		{name: "SCP blocks, except for the break-glass role",
			acct: func() *inventory.Account {
				return newAcct(tKey("prod", map[string]string{"env": "prod"}, doc(rootStmt())), tKey("dev", map[string]string{"env": "dev"}, doc(rootStmt()))).
					role("R", "", kmsStar).role("BreakGlass", "", kmsStar).
					scp("p-full", "r-1", inventory.TargetRoot, fullSCP).
					scp("p-deny", "ou-1", inventory.TargetOU, doc(with(deny("kms:ScheduleKeyDeletion", "*"), "Condition",
						obj{"ArnNotLike": obj{"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}, "StringEquals": obj{"aws:ResourceTag/env": "prod"}}))).a
			},
			checks: []check{{roleARN("R"), "kms:ScheduleKeyDeletion", "no", ""}, {roleARN("BreakGlass"), "kms:ScheduleKeyDeletion", "yes", "SCP p-full"}}},
		{name: "group policy",
			acct: func() *inventory.Account {
				return newAcct(tKey("k", nil, doc(rootStmt()))).managed("Ops", doc(allow("kms:Disable*", "*"))).group("Ops", nil, polARN("Ops")).
					user("u", "", []string{"Ops"}, nil).a
			},
			checks: []check{{userARN("u"), "kms:DisableKey", "yes", "via group Ops"}, {userARN("u"), "kms:Decrypt", "no", ""}}},
		{name: "NotAction in an identity policy",
			acct: func() *inventory.Account {
				return newAcct(tKey("k", nil, doc(rootStmt()))).
					user("all", "", nil, []inventory.InlinePolicy{inline("P", doc(obj{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))}).
					user("nokms", "", nil, []inventory.InlinePolicy{inline("P", doc(obj{"Effect": "Allow", "NotAction": "kms:*", "Resource": "*"}))}).a
			},
			checks: []check{{userARN("all"), "kms:PutKeyPolicy", "yes", ""}, {userARN("nokms"), "kms:PutKeyPolicy", "no", ""}}},
		{name: "grant",
			acct: func() *inventory.Account {
				g := inventory.Grant{ID: "g1", GranteePrincipal: roleARN("App"), Operations: []string{"Decrypt", "ScheduleKeyDeletion"},
					Constraints: &inventory.GrantConstraints{EncryptionContextSubset: map[string]string{"app": "x"}}}
				g2 := inventory.Grant{ID: "g2", GranteePrincipal: "arn:aws:iam::444455556666:role/Partner", Operations: []string{"Encrypt"}}
				return newAcct(tKey("k", nil, doc(rootStmt()), g, g2)).role("App", "", nil).a
			},
			checks: []check{{roleARN("App"), "kms:Decrypt", "conditional", "the encryption context includes app=x"},
				{roleARN("App"), "kms:ScheduleKeyDeletion", "no", ""},
				{"arn:aws:iam::444455556666:role/Partner", "kms:Encrypt", "conditional", "account 444455556666's IAM policies allow it"}}},
		{name: "cross-account principal in the key policy",
			acct: func() *inventory.Account {
				kp := doc(rootStmt(), obj{"Sid": "Partner", "Effect": "Allow", "Principal": obj{"AWS": "444455556666"}, "Action": "kms:Decrypt", "Resource": "*"})
				return newAcct(tKey("k", nil, kp)).a
			},
			checks: []check{{"arn:aws:iam::444455556666:root", "kms:Decrypt", "conditional", "IAM policies of account 444455556666"},
				{"arn:aws:iam::444455556666:root", "kms:Encrypt", "no", ""}}},
		{name: "Principal * without a condition",
			acct: func() *inventory.Account {
				kp := doc(obj{"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})
				return newAcct(tKey("k", nil, kp)).user("u", "", nil, nil).a
			},
			checks: []check{{"*", "kms:Decrypt", "yes", "key policy Open"}, {userARN("u"), "kms:Decrypt", "yes", ""}}},
		{name: "Principal * pinned to the account",
			acct: func() *inventory.Account {
				kp := doc(obj{"Sid": "Pinned", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
					"Condition": obj{"StringEquals": obj{"kms:CallerAccount": tAcct, "kms:ViaService": "s3.us-east-1.amazonaws.com"}}})
				return newAcct(tKey("k", nil, kp)).user("u", "", nil, nil).a
			},
			checks: []check{{"*", "kms:Decrypt", "conditional", `kms:CallerAccount StringEquals "111122223333"`},
				{userARN("u"), "kms:Decrypt", "conditional", `only if kms:ViaService StringEquals "s3.us-east-1.amazonaws.com"`}}},
		{name: "aws:PrincipalArn with wildcards",
			acct: func() *inventory.Account {
				kp := doc(obj{"Sid": "Apps", "Effect": "Allow", "Principal": obj{"AWS": "*"}, "Action": "kms:Encrypt", "Resource": "*",
					"Condition": obj{"ArnLike": obj{"aws:PrincipalArn": "arn:aws:iam::" + tAcct + ":role/app-*"}}})
				return newAcct(tKey("k", nil, kp)).role("app-web", "", nil).role("batch", "", nil).a
			},
			checks: []check{{roleARN("app-web"), "kms:Encrypt", "yes", "key policy Apps"}, {roleARN("batch"), "kms:Encrypt", "no", ""},
				{"*", "kms:Encrypt", "conditional", "aws:PrincipalArn ArnLike"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := tt.acct()
			an := New(acct, Options{})
			for _, c := range tt.checks {
				got, paths := answer(an, acct.Keys[0], c.principal, c.action)
				if got != c.want {
					t.Errorf("%s %s: got %s, want %s (%s)", c.principal, c.action, got, c.want, paths)
				}
				if c.pathHas != "" && !strings.Contains(paths, c.pathHas) {
					t.Errorf("%s %s: paths %q lack %q", c.principal, c.action, paths, c.pathHas)
				}
			}
		})
	}
}

func TestActionLists(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range KeyActions() {
		if !strings.HasPrefix(a, "kms:") || len(a) < 6 || seen[a] {
			t.Errorf("bad or duplicate action %q", a)
		}
		seen[a] = true
		if got, err := ParseAction(strings.ToLower(strings.TrimPrefix(a, "kms:"))); err != nil || got != a {
			t.Errorf("ParseAction(%q) = %q, %v", a, got, err)
		}
	}
	for name, set := range map[string]ActionSet{"admin": AdministrativeActions(), "crypto": CryptographicActions(), "grant": GrantOperations()} {
		if set == 0 || set&^(ActionSet(1)<<numKeyActions-1) != 0 {
			t.Errorf("%s set %b", name, set)
		}
	}
	if AdministrativeActions()&CryptographicActions() != 0 {
		t.Error("an action is both administrative and cryptographic")
	}
	if !GrantOperations().Has("kms:Decrypt") || GrantOperations().Has("kms:ScheduleKeyDeletion") {
		t.Error("grant operations")
	}
	if _, err := ParseAction("s3:GetObject"); err == nil {
		t.Error("s3 action accepted")
	}
}

func TestUnlistedPrincipal(t *testing.T) {
	kp := doc(rootStmt(), obj{"Sid": "Gone", "Effect": "Allow", "Principal": obj{"AWS": roleARN("Deleted")}, "Action": "kms:PutKeyPolicy", "Resource": "*"})
	g := inventory.Grant{ID: "g1", GranteePrincipal: roleARN("Deleted"), Operations: []string{"Decrypt"}}
	acct := newAcct(tKey("k", nil, kp, g)).a
	an := New(acct, Options{})
	for _, action := range []string{"kms:PutKeyPolicy", "kms:Decrypt"} {
		got, paths := answer(an, acct.Keys[0], roleARN("Deleted"), action)
		if got != "conditional" || !strings.Contains(paths, "exists (it may have been deleted or renamed)") {
			t.Errorf("%s: %s %s", action, got, paths)
		}
	}
	if h := an.HoldersOf(acct.Keys[0], "kms:Decrypt"); h.Principals != 1 || h.Conditional != 1 {
		t.Errorf("holders %+v", h)
	}
}
