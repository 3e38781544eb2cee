package access

import (
	"testing"

	"github.com/kmsguard/kmsguard/internal/inventory"
)

// FuzzParseAction: any string either parses to a canonical key action that
// parses to itself, or is refused; nothing panics.
func FuzzParseAction(f *testing.F) {
	for _, s := range []string{"kms:Decrypt", "decrypt", "KMS:ScheduleKeyDeletion", "s3:GetObject", "", ":", "kms:", "kms:*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAction(s)
		if err != nil {
			return
		}
		if b, err := ParseAction(a); err != nil || a != b || !Set(a).Has(a) {
			t.Fatalf("%q -> %q -> %q, %v", s, a, b, err)
		}
	})
}

// FuzzKeyPolicy evaluates arbitrary key policy text against a small account:
// a document that does not parse makes the key undecided; one that parses is
// answered; nothing panics.
func FuzzKeyPolicy(f *testing.F) {
	for _, s := range []string{
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}}`,
		`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/r"},"NotAction":"kms:Describe*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"kms:*","Resource":"arn:aws:kms:*:*:key/${aws:username}"}]}`,
		`not json`, `{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		k := tKey("k", map[string]string{"env": "prod"}, inventory.Known(inventory.DocumentFromString(text)),
			inventory.Grant{ID: "g", GranteePrincipal: roleARN("r"), Operations: []string{"Decrypt"}})
		acct := newAcct(k).role("r", "", []inventory.InlinePolicy{inline("p", doc(allow("kms:*", "*")))}).
			user("u", "", nil, nil).scp("p-full", "r-1", inventory.TargetRoot, doc(allow("*", "*"))).a
		an := New(acct, Options{})
		ka := an.Key(k, KeyActions())
		if _, why := an.KeyPolicy(k); why != "" && len(ka.Access) != 0 {
			t.Fatalf("unreadable key policy (%s) but answers %v", why, ka.Access)
		}
		for _, a := range ka.Access {
			if len(a.Paths) == 0 {
				t.Fatalf("access without a path: %+v", a)
			}
		}
		_ = an.HoldersOf(k, "kms:PutKeyPolicy")
		_ = an.SeparationOfDuties(k, AdministrativeActions(), CryptographicActions())
	})
}
