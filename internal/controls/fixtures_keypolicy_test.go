package controls

import "github.com/kmsguard/kmsguard/internal/inventory"

// keyPolicyFixtures covers KMS.5, IAM-KMS-1, KMSGUARD-DP-1, KMSGUARD-XA-1
// and KMSGUARD-LOCK-1.
func keyPolicyFixtures() map[string][]fixture {
	own := `"` + fxAccount + `"`
	callerIs := func(acct string) string { return `{"StringEquals":{"kms:CallerAccount":"` + acct + `"}}` }
	kp := func(statements ...string) keyOpt { return keyPolicyOf(doc(statements...)) }
	denyDelete := `{"Sid":"DenyDelete","Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:ScheduleKeyDeletion","Resource":"*",
		"Condition":{"ArnNotEquals":{"aws:PrincipalArn":"` + fxBreakGlassARN + `"}}}`
	denyDeleteOther := `{"Sid":"DenyDelete","Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:ScheduleKeyDeletion","Resource":"*",
		"Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::` + fxAccount + `:role/Developer"}}}`
	scpDeny := `{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}}}`
	rootTarget := inventory.SCPTarget{ID: "r-root", Type: inventory.TargetRoot}
	ouTarget := inventory.SCPTarget{ID: "ou-prod", Type: inventory.TargetOU}
	breakGlassRole := &inventory.Role{Principal: principal("role", "BreakGlass")}
	appRole := &inventory.Role{Principal: principal("role", "App")}
	appOnly := kp(`{"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + fxAccount + `:role/App"},"Action":"kms:*","Resource":"*"}`)
	iamUnknown := fxAccountOf(fxKey("app", appOnly))
	iamUnknown.IAM = inventory.Unknown[*inventory.IAM](accessDenied("iam:GetAccountAuthorizationDetails"))
	return map[string][]fixture{
		"KMS.5": {
			{name: "open principals without a pin fail",
				acct: fxAccountOf(
					fxKey("aws-star", kp(rootStmt, useStmt("Open", `{"AWS":"*"}`, ""))),
					fxKey("star", kp(rootStmt, useStmt("Open", `"*"`, ""))),
					fxKey("any-root", kp(rootStmt, useStmt("Open", `{"AWS":"arn:aws:iam::*:root"}`, ""))),
					fxKey("notprincipal", kp(rootStmt, `{"Sid":"NP","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::`+fxAccount+`:user/guest"},"Action":"kms:*","Resource":"*"}`)),
					fxKey("via-only", kp(useStmt("Via", `{"AWS":"*"}`, `{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`))),
					fxKey("negated", kp(useStmt("Neg", `"*"`, `{"StringNotEquals":{"kms:CallerAccount":"`+partnerAcct+`"}}`))),
					fxKey("if-exists", kp(useStmt("IfEx", `"*"`, `{"StringEqualsIfExists":{"kms:CallerAccount":`+own+`}}`))),
					fxKey("foreign-pin", kp(useStmt("Foreign", `"*"`, callerIs(partnerAcct)))),
					fxKey("org-unknown", kp(useStmt("Org", `{"AWS":"*"}`, `{"StringEquals":{"aws:PrincipalOrgID":"o-other"}}`)))),
				want: map[string]Status{"key/aws-star": StatusFail, "key/star": StatusFail, "key/any-root": StatusFail, "key/notprincipal": StatusFail,
					"key/via-only": StatusFail, "key/negated": StatusFail, "key/if-exists": StatusFail, "key/foreign-pin": StatusFail, "key/org-unknown": StatusFail},
				reasons: map[string]string{"key/foreign-pin": "cross-account access, not a pin", "key/notprincipal": "NotPrincipal",
					"key/any-root": "every account"}},
			{name: "pinned to the account or organisation, denies and CloudTrail's default policy pass",
				config: "organization:\n  organizationIds: [o-abcdef1234]\n",
				acct: fxAccountOf(
					fxKey("caller", kp(useStmt("C", `"*"`, callerIs(fxAccount)))),
					fxKey("principal-account", kp(useStmt("PA", `{"AWS":"*"}`, `{"StringEquals":{"aws:PrincipalAccount":`+own+`}}`))),
					fxKey("source-account", kp(useStmt("SA", `{"AWS":"*"}`, `{"StringEquals":{"aws:SourceAccount":`+own+`}}`))),
					fxKey("org", kp(useStmt("O", `{"AWS":"*"}`, `{"StringEquals":{"aws:PrincipalOrgID":"o-abcdef1234"}}`))),
					fxKey("principal-arn", kp(useStmt("PArn", `"*"`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::`+fxAccount+`:role/*"}}`))),
					fxKey("via-and-caller", kp(useStmt("V", `{"AWS":"*"}`, `{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:CallerAccount":`+own+`}}`))),
					fxKey("deny-star", kp(rootStmt, `{"Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*"}`)),
					fxKey("cloudtrail", keyPolicyOf(cloudTrailDefault())),
					fxKey("named", kp(rootStmt))),
				want: map[string]Status{"key/caller": StatusPass, "key/principal-account": StatusPass, "key/source-account": StatusPass, "key/org": StatusPass,
					"key/principal-arn": StatusPass, "key/via-and-caller": StatusPass, "key/deny-star": StatusPass, "key/cloudtrail": StatusPass, "key/named": StatusPass}},
			{name: "pinned beside other accounts passes (other accounts are KMSGUARD-XA-1's)",
				config: "organization:\n  organizationIds: [o-abcdef1234]\n",
				acct: fxAccountOf(
					fxKey("caller-pinned", kp(useStmt("C", `"*"`, `{"StringEquals":{"kms:CallerAccount":"`+fxAccount+`","aws:SourceAccount":"`+partnerAcct+`"}}`))),
					fxKey("org-pinned", kp(useStmt("O", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-abcdef1234","kms:CallerAccount":"`+partnerAcct+`"}}`)))),
				want:    map[string]Status{"key/caller-pinned": StatusPass, "key/org-pinned": StatusPass},
				reasons: map[string]string{"key/caller-pinned": "pinned", "key/org-pinned": "pinned"}},
			{name: "trusted account pin passes",
				config: "organization:\n  trustedAccounts: ['" + partnerAcct + "']\n",
				acct:   fxAccountOf(fxKey("partner-pin", kp(useStmt("P", `"*"`, callerIs(partnerAcct))))),
				want:   map[string]Status{"key/partner-pin": StatusPass}},
			{name: "unreadable or unparseable key policy is unknown",
				acct:    fxAccountOf(fxKey("denied", keyPolicyUnknown()), fxKey("broken", keyPolicyOf(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Bogus":1}]}`))),
				want:    map[string]Status{"key/denied": StatusUnknown, "key/broken": StatusUnknown},
				reasons: map[string]string{"key/denied": "AccessDeniedException", "key/broken": "Statement[0]"}},
		},
		"IAM-KMS-1": {
			{name: "root statements pass, including the shorthand and the generated one",
				acct: fxAccountOf(fxKey("default", kp(rootStmt)),
					fxKey("shorthand", kp(`{"Effect":"Allow","Principal":{"AWS":`+own+`},"Action":"kms:*","Resource":"*"}`)),
					fxKey("admin-actions", kp(`{"Effect":"Allow","Principal":{"AWS":"`+fxRoot+`"},"Action":["kms:Put*","kms:Get*","kms:Describe*","kms:Enable*","kms:CancelKeyDeletion"],"Resource":"*"}`)),
					fxKey("guardrail", keyPolicyOf(guardrailKeyPolicy(false)))),
				want: map[string]Status{"key/default": StatusPass, "key/shorthand": StatusPass, "key/admin-actions": StatusPass, "key/guardrail": StatusPass}},
			{name: "missing, conditional or partial root access fails",
				acct: fxAccountOf(fxKey("no-root", appOnly),
					fxKey("conditional", kp(`{"Effect":"Allow","Principal":{"AWS":"`+fxRoot+`"},"Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`)),
					fxKey("use-only", kp(`{"Effect":"Allow","Principal":{"AWS":"`+fxRoot+`"},"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}`)),
					fxKey("other-account-root", kp(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+partnerAcct+`:root"},"Action":"kms:*","Resource":"*"}`))),
				want:    map[string]Status{"key/no-root": StatusFail, "key/conditional": StatusFail, "key/use-only": StatusFail, "key/other-account-root": StatusFail},
				reasons: map[string]string{"key/use-only": "kms:PutKeyPolicy"}},
			{name: "AWS-managed keys are not applicable; unreadable policy unknown",
				acct: fxAccountOf(fxKey("aws", awsManaged()), fxKey("denied", keyPolicyUnknown())),
				want: map[string]Status{"key/aws": StatusNotApplicable, "key/denied": StatusUnknown}},
		},
		"KMSGUARD-DP-1": {
			{name: "key policy deny protects; no deny fails; AWS-managed not applicable",
				acct: fxAccountOf(fxKey("protected", kp(rootStmt, denyDelete)), fxKey("open", kp(rootStmt)), fxKey("aws", awsManaged()),
					fxKey("pending", kp(rootStmt), pendingDeletion(fxNow.Add(72*60*60*1e9), 7)),
					fxKey("mfa-only", kp(rootStmt, `{"Sid":"NoMFA","Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`))),
				want: map[string]Status{"key/protected": StatusPass, "key/open": StatusFail, "key/aws": StatusNotApplicable, "key/pending": StatusFail,
					"key/mfa-only": StatusFail},
				reasons: map[string]string{"key/protected": "key policy statement DenyDelete", "key/open": "role/kmsguard-probe"}},
			{name: "an exemption that is not break-glass fails when break-glass is configured",
				config: "allowlist:\n  breakGlass: ['" + fxBreakGlassARN + "']\n",
				acct:   fxAccountOf(fxKey("good", kp(rootStmt, denyDelete)), fxKey("dev-exempt", kp(rootStmt, denyDeleteOther))),
				want:   map[string]Status{"key/good": StatusPass, "key/dev-exempt": StatusFail}, reasons: map[string]string{"key/dev-exempt": "role/Developer"}},
			{name: "SCP on the root protects; tag-scoped SCP protects tagged keys only",
				acct: withSCPs(fxAccountOf(fxKey("any", kp(rootStmt))), []inventory.OrgNode{}, scp("p-all", rootTarget, scpDeny)),
				want: map[string]Status{"key/any": StatusPass}},
			{name: "generated guardrails pass: key policy statement and SCPs for covered keys",
				acct: withSCPs(fxAccountOf(fxKey("kp-generated", keyPolicyOf(guardrailKeyPolicy(false))), fxKey("kp-locked", keyPolicyOf(guardrailKeyPolicy(true))),
					fxKey("prod", kp(rootStmt), tags("environment", "production")), fxKey("dev", kp(rootStmt), tags("environment", "dev"))),
					[]inventory.OrgNode{}, generatedSCPs()...),
				want: map[string]Status{"key/kp-generated": StatusPass, "key/kp-locked": StatusPass, "key/prod": StatusPass, "key/dev": StatusFail}},
			{name: "SCP on an OU with an unknown OU path is unknown",
				acct:    withSCPs(fxAccountOf(fxKey("k", kp(rootStmt))), nil, scp("p-ou", ouTarget, scpDeny)),
				want:    map[string]Status{"key/k": StatusUnknown},
				reasons: map[string]string{"key/k": "organizations:ListParents"}},
			{name: "unreadable key policy is unknown unless an SCP protects",
				acct: withSCPs(fxAccountOf(fxKey("denied", keyPolicyUnknown(), tags("environment", "dev")), fxKey("denied-prod", keyPolicyUnknown(), tags("environment", "production"))),
					[]inventory.OrgNode{}, generatedSCPs()...),
				want: map[string]Status{"key/denied": StatusUnknown, "key/denied-prod": StatusPass}},
		},
		"KMSGUARD-XA-1": {
			{name: "other accounts in the key policy fail",
				acct: fxAccountOf(fxKey("partner-root", kp(rootStmt, useStmt("P", `{"AWS":"arn:aws:iam::`+partnerAcct+`:root"}`, ""))),
					fxKey("partner-shorthand", kp(rootStmt, useStmt("P", `{"AWS":"`+partnerAcct+`"}`, ""))),
					fxKey("partner-role", kp(rootStmt, useStmt("P", `{"AWS":["arn:aws:iam::`+fxAccount+`:role/App","arn:aws:iam::`+partnerAcct+`:role/Ingest"]}`, ""))),
					fxKey("open-foreign-pin", kp(useStmt("F", `"*"`, callerIs(partnerAcct)))),
					fxKey("own", kp(rootStmt, useStmt("A", `{"AWS":"arn:aws:iam::`+fxAccount+`:role/App"}`, ""))),
					fxKey("service", keyPolicyOf(cloudTrailDefault()))),
				want: map[string]Status{"key/partner-root": StatusFail, "key/partner-shorthand": StatusFail, "key/partner-role": StatusFail,
					"key/open-foreign-pin": StatusFail, "key/own": StatusPass, "key/service": StatusPass},
				reasons: map[string]string{"key/partner-role": "role/Ingest", "key/open-foreign-pin": "callers of account " + partnerAcct}},
			// Conditions are ANDed: a pin of the caller's account to the owner
			// keeps every other account out, while an organisation pin does
			// not say which of its accounts the caller is in.
			{name: "other accounts beside a pin: out when the caller's account is pinned, in beside an org pin",
				config: "organization:\n  organizationIds: [o-abcdef1234]\n",
				acct: fxAccountOf(
					fxKey("caller-pinned", kp(useStmt("C", `"*"`, `{"StringEquals":{"kms:CallerAccount":"`+fxAccount+`","aws:SourceAccount":"`+partnerAcct+`"}}`))),
					fxKey("org-pinned", kp(useStmt("O", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-abcdef1234","kms:CallerAccount":"`+partnerAcct+`"}}`)))),
				want:    map[string]Status{"key/caller-pinned": StatusPass, "key/org-pinned": StatusFail},
				reasons: map[string]string{"key/org-pinned": "callers of account " + partnerAcct}},
			{name: "trusted accounts pass; unreadable policy unknown",
				config: "organization:\n  trustedAccounts: ['" + partnerAcct + "']\n",
				acct:   fxAccountOf(fxKey("partner-root", kp(rootStmt, useStmt("P", `{"AWS":"arn:aws:iam::`+partnerAcct+`:root"}`, ""))), fxKey("denied", keyPolicyUnknown())),
				want:   map[string]Status{"key/partner-root": StatusPass, "key/denied": StatusUnknown}},
		},
		"KMSGUARD-LOCK-1": {
			{name: "root or an existing named principal can change the policy",
				acct: iamAcct(&inventory.IAM{Roles: []*inventory.Role{appRole, breakGlassRole}},
					fxKey("root", kp(rootStmt)), fxKey("app", appOnly), fxKey("locked-guardrail", keyPolicyOf(guardrailKeyPolicy(true)))),
				want:    map[string]Status{"key/root": StatusPass, "key/app": StatusPass, "key/locked-guardrail": StatusPass},
				reasons: map[string]string{"key/locked-guardrail": "role/BreakGlass can change the key policy"}},
			{name: "nobody, a deleted role or a denied root cannot",
				acct: iamAcct(&inventory.IAM{},
					fxKey("use-only", kp(useStmt("Use", `{"AWS":"arn:aws:iam::`+fxAccount+`:role/App"}`, ""))),
					fxKey("deleted-role", appOnly),
					fxKey("deny-all", kp(rootStmt, `{"Effect":"Deny","Principal":"*","Action":"kms:PutKeyPolicy","Resource":"*"}`)),
					fxKey("locked-no-breakglass", keyPolicyOf(guardrailKeyPolicy(true)))),
				want: map[string]Status{"key/use-only": StatusFail, "key/deleted-role": StatusFail, "key/deny-all": StatusFail, "key/locked-no-breakglass": StatusFail}},
			{name: "named role with IAM unreadable is unknown",
				acct: iamUnknown, want: map[string]Status{"key/app": StatusUnknown}, reasons: map[string]string{"key/app": "IAM could not be read"}},
		},
	}
}
