package controls

import "github.com/kmsguard/kmsguard/internal/inventory"

const (
	kmsStarAll      = `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`
	partnerAcct     = "444455556666"
	fxBreakGlassARN = "arn:aws:iam::" + fxAccount + ":role/BreakGlass"
)

// iamPolicyFixtures covers KMS.1, KMS.2 and KMSGUARD-IAM-1.
func iamPolicyFixtures() map[string][]fixture {
	oneKey := `"arn:aws:kms:us-east-1:` + fxAccount + `:key/1234abcd-12ab-34cd-56ef-1234567890ab"`
	boundary := managed("Boundary", doc(allowStmt("kms:Decrypt", `"*"`)))
	boundary.PermissionsBoundaryUsageCount = 1
	awsAdmin := managed("AdministratorAccess", doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`), "role/Admin")
	awsAdmin.ARN, awsAdmin.AWSManaged = "arn:aws:iam::aws:policy/AdministratorAccess", true
	unreadable := managed("Unreadable", "")
	unreadable.Default = inventory.Unknown[inventory.Document](&inventory.ReadError{Call: "iam:GetAccountAuthorizationDetails", Code: inventory.CodeIncomplete, Message: "default version v3 not in PolicyVersionList"})
	iamUnknownAcct := fxAccountOf()
	iamUnknownAcct.IAM = inventory.Unknown[*inventory.IAM](accessDenied("iam:GetAccountAuthorizationDetails"))
	return map[string][]fixture{
		"KMS.1": {
			{name: "kms star fails attached or not, scoped passes, AWS-managed not checked",
				acct: iamAcct(&inventory.IAM{Policies: []*inventory.ManagedPolicy{
					managed("Star", doc(kmsStarAll), "role/App"), managed("Unattached", doc(allowStmt("kms:Decrypt", `"*"`))),
					managed("Scoped", doc(allowStmt("kms:Decrypt", oneKey)), "role/App"), awsAdmin}}),
				want:    map[string]Status{"policy/Star": StatusFail, "policy/Unattached": StatusFail, "policy/Scoped": StatusPass},
				reasons: map[string]string{"policy/Unattached": "not attached", "policy/Star": "on every KMS key"}},
			{name: "conditional allow counts (upper bound); all keys of the account fails",
				acct: iamAcct(&inventory.IAM{Policies: []*inventory.ManagedPolicy{
					managed("Cond", doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`)),
					managed("Account", doc(allowStmt("kms:Decrypt", `"arn:aws:kms:*:`+fxAccount+`:key/*"`))),
					managed("DenyAfter", doc(kmsStarAll, `{"Effect":"Deny","Action":"kms:*","Resource":"*"}`)),
					managed("OneRegion", doc(allowStmt("kms:Decrypt", `"arn:aws:kms:us-east-1:`+fxAccount+`:key/*"`)))}}),
				want: map[string]Status{"policy/Cond": StatusFail, "policy/Account": StatusFail, "policy/DenyAfter": StatusPass,
					"policy/OneRegion": StatusPass},
				reasons: map[string]string{"policy/Cond": "when its conditions hold", "policy/Account": "every key of account " + fxAccount}},
			{name: "permissions boundary only is excluded by default",
				acct: iamAcct(&inventory.IAM{Policies: []*inventory.ManagedPolicy{boundary}}),
				want: map[string]Status{"policy/Boundary": StatusNotApplicable}},
			{name: "permissions boundary checked when excludePermissionBoundaryPolicy is false",
				config: "parameters:\n  KMS.1:\n    excludePermissionBoundaryPolicy: false\n",
				acct:   iamAcct(&inventory.IAM{Policies: []*inventory.ManagedPolicy{boundary}}),
				want:   map[string]Status{"policy/Boundary": StatusFail}},
			{name: "blockedActionsPatterns with a wildcard",
				config:  "parameters:\n  KMS.1:\n    blockedActionsPatterns: ['kms:ReEncrypt*']\n",
				acct:    iamAcct(&inventory.IAM{Policies: []*inventory.ManagedPolicy{managed("ReEncTo", doc(allowStmt("kms:ReEncryptTo", `"*"`)))}}),
				want:    map[string]Status{"policy/ReEncTo": StatusFail},
				reasons: map[string]string{"policy/ReEncTo": "kms:ReEncrypt* (e.g. kms:reencryptto)"}},
			{name: "default patterns do not block ReEncryptTo",
				acct: iamAcct(&inventory.IAM{Policies: []*inventory.ManagedPolicy{managed("ReEncTo", doc(allowStmt("kms:ReEncryptTo", `"*"`)))}}),
				want: map[string]Status{"policy/ReEncTo": StatusPass}},
			{name: "unparseable and unreadable documents are unknown with the location",
				acct: iamAcct(&inventory.IAM{Policies: []*inventory.ManagedPolicy{
					managed("Bad", `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"kms:*","Resource":"*"}]}`), unreadable}}),
				want:    map[string]Status{"policy/Bad": StatusUnknown, "policy/Unreadable": StatusUnknown},
				reasons: map[string]string{"policy/Bad": "Statement[0].Effect", "policy/Unreadable": "default version v3"}},
			{name: "IAM not read is one unknown for the account",
				acct: iamUnknownAcct, want: map[string]Status{"root": StatusUnknown}},
		},
		"KMS.2": {
			{name: "inline policies of users, groups and roles",
				acct: iamAcct(&inventory.IAM{
					Users: []*inventory.User{{Principal: principal("user", "carol", inlineDoc("EverythingButIAM", doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)))},
						{Principal: principal("user", "dave", inlineDoc("DenyAll", doc(allowStmt("kms:Decrypt", `"*"`), `{"Effect":"Deny","Action":"kms:*","Resource":"*"}`)))},
						{Principal: principal("user", "nobody")}},
					Groups: []*inventory.Group{{Principal: principal("group", "Ops", inlineDoc("Ok", doc(allowStmt("s3:*", `"*"`))), inlineDoc("KmsStar", doc(kmsStarAll)))}},
					Roles:  []*inventory.Role{{Principal: principal("role", "App", inlineDoc("Scoped", doc(allowStmt("kms:Decrypt", oneKey))))}}}),
				want:    map[string]Status{"user/carol": StatusFail, "user/dave": StatusPass, "group/Ops": StatusFail, "role/App": StatusPass},
				reasons: map[string]string{"group/Ops": "inline policy KmsStar"}},
			{name: "unparseable inline policy is unknown",
				acct: iamAcct(&inventory.IAM{Roles: []*inventory.Role{{Principal: principal("role", "R", inlineDoc("Broken", `{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}`))},
					{Principal: principal("role", "S", inlineDoc("Star", doc(kmsStarAll)))}}}),
				want:    map[string]Status{"role/R": StatusUnknown, "role/S": StatusFail},
				reasons: map[string]string{"role/R": "inline policy Broken could not be parsed"}},
		},
		"KMSGUARD-IAM-1": {
			{name: "NotResource of one key passes KMS.1 but fails here",
				acct: iamAcct(&inventory.IAM{Policies: []*inventory.ManagedPolicy{
					managed("AllButOne", doc(`{"Effect":"Allow","Action":"kms:Decrypt","NotResource":`+oneKey+`}`)),
					managed("OwnAccount", doc(allowStmt("kms:Decrypt", `"arn:aws:kms:*:`+fxAccount+`:key/*"`)))}}),
				want:    map[string]Status{"policy/AllButOne": StatusFail, "policy/OwnAccount": StatusPass},
				reasons: map[string]string{"policy/AllButOne": "outside the trusted accounts"}},
			{name: "partner keys fail unless the partner is trusted",
				acct: iamAcct(&inventory.IAM{Roles: []*inventory.Role{{Principal: principal("role", "Ingest",
					inlineDoc("Partner", doc(allowStmt("kms:Decrypt", `"arn:aws:kms:*:`+partnerAcct+`:key/*"`))))}}}),
				want: map[string]Status{"role/Ingest": StatusFail}},
			{name: "trusted partner passes",
				config: "organization:\n  trustedAccounts: ['" + partnerAcct + "']\n",
				acct: iamAcct(&inventory.IAM{Roles: []*inventory.Role{{Principal: principal("role", "Ingest",
					inlineDoc("Partner", doc(allowStmt("kms:Decrypt", `"arn:aws:kms:*:`+partnerAcct+`:key/*"`))))}}}),
				want: map[string]Status{"role/Ingest": StatusPass}},
		},
	}
}
