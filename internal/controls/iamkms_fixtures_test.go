package controls

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kmsguard/kmsguard/internal/inventory"
)

// allFixtures adds the IAM-KMS controls' fixtures to the others.
func allFixtures() map[string][]fixture {
	fx := fixtures()
	for id, f := range iamkmsFixtures() {
		fx[id] = append(fx[id], f...)
	}
	return fx
}

type jobj = map[string]any

func fxDoc(statements ...jobj) inventory.Fact[inventory.Document] {
	b, err := json.Marshal(jobj{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		panic(err)
	}
	return inventory.Known(inventory.Document{Text: string(b), Form: inventory.FormJSON})
}

func ikRoot() jobj {
	return jobj{"Sid": "EnableIAM", "Effect": "Allow", "Principal": jobj{"AWS": "arn:aws:iam::" + fxAccount + ":root"}, "Action": "kms:*", "Resource": "*"}
}

func ikKeyPolicy(statements ...jobj) keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) { k.Policy = fxDoc(statements...) }
}

func ikKeyPolicyUnknown() keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) {
		k.Policy = inventory.Unknown[inventory.Document](accessDenied("kms:GetKeyPolicy"))
	}
}

func fxRoleARN(n string) string { return "arn:aws:iam::" + fxAccount + ":role/" + n }
func fxUserARN(n string) string { return "arn:aws:iam::" + fxAccount + ":user/" + n }

func fxRole(name, trustService string, policies ...jobj) *inventory.Role {
	trust := fxDoc(jobj{"Effect": "Allow", "Principal": jobj{"AWS": "arn:aws:iam::" + fxAccount + ":root"}, "Action": "sts:AssumeRole"})
	if trustService != "" {
		trust = fxDoc(jobj{"Effect": "Allow", "Principal": jobj{"Service": trustService}, "Action": "sts:AssumeRole"})
	}
	r := &inventory.Role{Principal: inventory.Principal{ARN: fxRoleARN(name), Name: name, Path: "/"}, TrustPolicy: trust}
	for i, p := range policies {
		r.InlinePolicies = append(r.InlinePolicies, inventory.InlinePolicy{Name: name + "-inline-" + string(rune('a'+i)), Document: fxDoc(p)})
	}
	return r
}

func fxUser(name string, policies ...jobj) *inventory.User {
	u := &inventory.User{Principal: inventory.Principal{ARN: fxUserARN(name), Name: name, Path: "/"}}
	for i, p := range policies {
		u.InlinePolicies = append(u.InlinePolicies, inventory.InlinePolicy{Name: name + "-inline-" + string(rune('a'+i)), Document: fxDoc(p)})
	}
	return u
}

// fxIAMAccount is an account with IAM principals and no SCPs.
func fxIAMAccount(users []*inventory.User, roles []*inventory.Role, keys ...*inventory.Key) *inventory.Account {
	a := fxAccountOf(keys...)
	a.IAM = inventory.Known(&inventory.IAM{Users: users, Roles: roles})
	a.SCPs = inventory.Known([]*inventory.SCP{})
	a.OUPath = inventory.Known([]inventory.OrgNode{})
	return a
}

func fxAllow(action any) jobj { return jobj{"Effect": "Allow", "Action": action, "Resource": "*"} }

const fxBreakGlassConfig = "allowlist:\n  breakGlass: ['arn:aws:iam::111122223333:role/BreakGlass']\n  principals:\n    - pattern: 'arn:aws:iam::111122223333:role/Approved*'\n      reason: approved automation\n"

// actionFixtures are the pass and fail cases every "only authorised
// principals can do X" control shares.
func actionFixtures(action string, opts ...keyOpt) []fixture {
	k := func(name string, more ...keyOpt) *inventory.Key {
		return fxKey(name, append(append([]keyOpt{}, opts...), more...)...)
	}
	return []fixture{
		{name: "only break-glass and allowlisted principals can", config: fxBreakGlassConfig,
			acct: fxIAMAccount(nil, []*inventory.Role{fxRole("BreakGlass", "", fxAllow("kms:*")), fxRole("ApprovedOps", "", fxAllow(action)), fxRole("Reader", "", fxAllow("kms:Describe*"))},
				k("delegated", ikKeyPolicy(ikRoot())),
				k("direct", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": jobj{"AWS": fxRoleARN("BreakGlass")}, "Action": "kms:*", "Resource": "*"}))),
			want: map[string]Status{"key/delegated": StatusPass, "key/direct": StatusPass}},
		{name: "an IAM user with kms:* fails, by name", config: fxBreakGlassConfig,
			acct:    fxIAMAccount([]*inventory.User{fxUser("bob", fxAllow("kms:*"))}, nil, k("a", ikKeyPolicy(ikRoot()))),
			want:    map[string]Status{"key/a": StatusFail},
			reasons: map[string]string{"key/a": "1 principal(s) outside the authorised list"}},
		{name: "root delegation absent: IAM policies give nothing",
			acct: fxIAMAccount([]*inventory.User{fxUser("bob", fxAllow("kms:*"))}, nil,
				k("a", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": jobj{"AWS": fxRoleARN("Admin")}, "Action": "kms:Describe*", "Resource": "*"}))),
			want: map[string]Status{"key/a": StatusPass}},
		{name: "a conditional key policy grant still fails, marked conditional",
			acct: fxIAMAccount(nil, nil, k("a", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": "*", "Action": action, "Resource": "*",
				"Condition": jobj{"StringEquals": jobj{"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}))),
			want:    map[string]Status{"key/a": StatusFail},
			reasons: map[string]string{"key/a": "(1 of them only under conditions)"}},
		{name: "AWS-managed keys are not applicable",
			acct: fxIAMAccount([]*inventory.User{fxUser("bob", fxAllow("kms:*"))}, nil, k("aws", awsManaged(), ikKeyPolicy(ikRoot()))),
			want: map[string]Status{"key/aws": StatusNotApplicable}},
		{name: "unreadable key policy or IAM is unknown",
			acct: fxIAMAccount(nil, nil, k("a", ikKeyPolicyUnknown())),
			want: map[string]Status{"key/a": StatusUnknown}},
		{name: "IAM not read while the key policy delegates is unknown",
			acct:    fxAccountOf(k("a", ikKeyPolicy(ikRoot()))),
			want:    map[string]Status{"key/a": StatusUnknown},
			reasons: map[string]string{"key/a": "could not be evaluated"}},
	}
}

func iamkmsFixtures() map[string][]fixture {
	external := origin(inventory.OriginExternal, "")
	admin := jobj{"Sid": "Admins", "Effect": "Allow", "Principal": jobj{"AWS": fxRoleARN("KeyAdmin")}, "Action": []string{"kms:Put*", "kms:Disable*", "kms:ScheduleKeyDeletion"}, "Resource": "*"}
	users := jobj{"Sid": "Users", "Effect": "Allow", "Principal": jobj{"AWS": fxRoleARN("App")}, "Action": []string{"kms:Decrypt", "kms:Encrypt"}, "Resource": "*"}
	via := jobj{"StringEquals": jobj{"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
	return map[string][]fixture{
		"IAM-KMS-2": append(actionFixtures("kms:DeleteImportedKeyMaterial", external),
			fixture{name: "keys without imported material are not applicable",
				acct: fxIAMAccount([]*inventory.User{fxUser("bob", fxAllow("kms:*"))}, nil, fxKey("native", ikKeyPolicy(ikRoot()))),
				want: map[string]Status{"key/native": StatusNotApplicable}}),
		"IAM-KMS-3": actionFixtures("kms:ScheduleKeyDeletion"),
		"IAM-KMS-4": actionFixtures("kms:DisableKey"),
		"IAM-KMS-5": actionFixtures("kms:PutKeyPolicy"),
		"IAM-KMS-7": actionFixtures("kms:DisableKeyRotation"),
		"IAM-KMS-8": {
			{name: "separate administrators and users pass",
				acct: fxIAMAccount(nil, []*inventory.Role{fxRole("KeyAdmin", ""), fxRole("App", "")}, fxKey("a", ikKeyPolicy(admin, users))),
				want: map[string]Status{"key/a": StatusPass}},
			{name: "an administrator who also decrypts through IAM fails",
				acct: fxIAMAccount(nil, []*inventory.Role{fxRole("KeyAdmin", "", fxAllow("kms:Decrypt")), fxRole("App", "")},
					fxKey("a", ikKeyPolicy(ikRoot(), admin, users))),
				want:    map[string]Status{"key/a": StatusFail},
				reasons: map[string]string{"key/a": "1 principal(s) outside the authorised list can both administer and use this key"}},
			{name: "the break-glass role is not counted", config: fxBreakGlassConfig,
				acct: fxIAMAccount(nil, []*inventory.Role{fxRole("BreakGlass", "", fxAllow("kms:*"))}, fxKey("a", ikKeyPolicy(ikRoot()))),
				want: map[string]Status{"key/a": StatusPass}},
		},
		"IAM-KMS-6": {
			{name: "service roles scoped with kms:ViaService pass",
				acct: fxIAMAccount(nil, []*inventory.Role{fxRole("App", "ecs-tasks.amazonaws.com"), fxRole("Human", "")},
					fxKey("scoped", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": jobj{"AWS": fxRoleARN("App")}, "Action": "kms:Decrypt", "Resource": "*", "Condition": via})),
					fxKey("human", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": jobj{"AWS": fxRoleARN("Human")}, "Action": "kms:Decrypt", "Resource": "*"})),
					fxKey("grants", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": jobj{"AWS": fxRoleARN("App")}, "Action": "kms:CreateGrant", "Resource": "*",
						"Condition": jobj{"Bool": jobj{"kms:GrantIsForAWSResource": "true"}}})),
					fxKey("trail", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": jobj{"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
						"Condition": jobj{"StringEquals": jobj{"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"}}}))),
				want: map[string]Status{"key/scoped": StatusPass, "key/human": StatusPass, "key/grants": StatusPass, "key/trail": StatusPass}},
			{name: "unscoped service role, service-linked role and service principal fail",
				acct: fxIAMAccount(nil, []*inventory.Role{fxRole("App", "ecs-tasks.amazonaws.com")},
					fxKey("role", ikKeyPolicy(jobj{"Sid": "UseKey", "Effect": "Allow", "Principal": jobj{"AWS": fxRoleARN("App")}, "Action": []string{"kms:Decrypt", "kms:Encrypt"}, "Resource": "*"})),
					fxKey("slr", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": jobj{"AWS": "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"},
						"Action": "kms:GenerateDataKey*", "Resource": "*"})),
					fxKey("svc", ikKeyPolicy(jobj{"Effect": "Allow", "Principal": jobj{"Service": "logs.us-east-1.amazonaws.com"}, "Action": "kms:Encrypt", "Resource": "*"}))),
				want:    map[string]Status{"key/role": StatusFail, "key/slr": StatusFail, "key/svc": StatusFail},
				reasons: map[string]string{"key/role": "1 key policy grant(s)", "key/slr": "lack kms:ViaService"}},
			{name: "unreadable key policy is unknown, AWS-managed not applicable",
				acct: fxIAMAccount(nil, nil, fxKey("a", ikKeyPolicyUnknown()), fxKey("aws", awsManaged())),
				want: map[string]Status{"key/a": StatusUnknown, "key/aws": StatusNotApplicable}},
		},
	}
}

func TestCapEvidence(t *testing.T) {
	long := strings.Repeat("arn:aws:iam::111122223333:role/r, ", 100)
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprintf("line %d", i))
	}
	got := capEvidence(append([]string{long}, many...), "arn:aws:kms:us-east-1:111122223333:key/k")
	if len(got) != maxEvidenceLines+2 {
		t.Fatalf("%d lines, want %d (the cap, a count of the rest, and the pointer)", len(got), maxEvidenceLines+2)
	}
	if len(got[0]) > maxEvidenceLineSize+40 || !strings.Contains(got[0], "more characters") {
		t.Errorf("long line not shortened: %d bytes", len(got[0]))
	}
	if !strings.Contains(got[len(got)-2], "16 more evidence line(s)") || !strings.Contains(got[len(got)-1], "kmsguard access arn:aws:kms:us-east-1:111122223333:key/k") {
		t.Errorf("tail = %q", got[len(got)-2:])
	}
	short := []string{"a", "b"}
	if got := capEvidence(short, "k"); len(got) != 2 {
		t.Errorf("short evidence changed: %q", got)
	}
}
