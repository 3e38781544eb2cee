package report

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/severity"
)

const (
	acct    = "111122223333"
	keyDel  = "arn:aws:kms:eu-west-1:111122223333:key/0f4e1c2a-7b3d-4e8f-9a1b-2c3d4e5f6a7b"
	keyPub  = "arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	keyRot  = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyOK   = "arn:aws:kms:us-east-1:111122223333:key/mrk-4d5e6f7a8b9c4d0e8f1a2b3c4d5e6f70"
	keyRSA  = "arn:aws:kms:us-east-1:111122223333:key/77aa88bb-99cc-4dd0-8ee1-ff2233445566"
	keyDeny = "arn:aws:kms:eu-west-1:111122223333:key/c0ffee00-1111-4222-8333-444455556666"
)

func testControls() map[string]*controls.Control {
	return map[string]*controls.Control{
		"KMS.1": {
			ID: "KMS.1", Title: "IAM customer managed policies should not allow decryption actions on all KMS keys",
			Severity: severity.Medium, ResourceType: "AWS::IAM::Policy",
			Mappings: controls.Mappings{SecurityHub: []string{"KMS.1"}, ConfigRules: []string{"iam-customer-policy-blocked-kms-actions"},
				NIST80053: []string{"AC-2", "AC-3", "AC-3(15)", "AC-5", "AC-6", "AC-6(3)"}},
			Rationale: "A policy that allows kms:Decrypt on every key lets its holders read every secret encrypted under any key in the account.",
			Remediation: controls.Remediation{
				Summary: "Scope the policy's KMS statements to the key ARNs the workload needs.",
				Console: []string{"Open IAM > Policies and choose the policy.", "Edit the statement that allows kms:Decrypt on \"*\" and list the key ARNs instead.", "Save a new default version."},
				CLI:     []string{"aws iam create-policy-version --policy-arn <policy-arn> --policy-document file://scoped.json --set-as-default"},
			},
			References: []string{"https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-1"},
		},
		"KMS.2": {
			ID: "KMS.2", Title: "IAM principals should not have IAM inline policies that allow decryption actions on all KMS keys",
			Severity: severity.Medium, ResourceType: "AWS::IAM::Role",
			Mappings: controls.Mappings{SecurityHub: []string{"KMS.2"}, ConfigRules: []string{"iam-inline-policy-blocked-kms-actions"},
				NIST80053: []string{"AC-2", "AC-3", "AC-6"}},
			Rationale: "Inline policies are easy to overlook in reviews; a wildcard kms:Decrypt in one exposes every key.",
			Remediation: controls.Remediation{
				Summary: "Replace the inline statement with one scoped to named keys.",
				CLI:     []string{"aws iam put-role-policy --role-name <role> --policy-name <name> --policy-document file://scoped.json"},
			},
		},
		"KMS.3": {
			ID: "KMS.3", Title: "AWS KMS keys should not be deleted unintentionally",
			Severity: severity.Critical, ResourceType: "AWS::KMS::Key",
			Mappings:  controls.Mappings{SecurityHub: []string{"KMS.3"}, NIST80053: []string{"SC-12", "SC-12(2)"}},
			Rationale: "Once the waiting period ends, KMS destroys the key material and every ciphertext under it is lost.",
			Remediation: controls.Remediation{
				Summary: "Cancel the deletion unless it is intended, then re-enable the key.",
				Console: []string{"Open KMS > Customer managed keys and select the key.", "Choose Key actions > Cancel key deletion.", "Choose Key actions > Enable."},
				CLI:     []string{"aws kms cancel-key-deletion --key-id <key-id>", "aws kms enable-key --key-id <key-id>"},
			},
			References: []string{"https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html"},
		},
		"KMS.4": {
			ID: "KMS.4", Title: "AWS KMS key rotation should be enabled",
			Severity: severity.Medium, ResourceType: "AWS::KMS::Key",
			Mappings: controls.Mappings{SecurityHub: []string{"KMS.4"}, ConfigRules: []string{"cmk-backing-key-rotation-enabled"},
				CIS: []string{"3.6"}, NIST80053: []string{"AU-9", "SC-12", "SC-12(2)", "SC-28(3)"}, PCIDSS: []string{"3.6.4"}},
			Rationale: "Rotation limits how much data one key version protects.",
			Remediation: controls.Remediation{
				Summary: "Enable automatic rotation.",
				CLI:     []string{"aws kms enable-key-rotation --key-id <key-id> --rotation-period-in-days 365"},
			},
		},
		"KMS.5": {
			ID: "KMS.5", Title: "KMS keys should not be publicly accessible",
			Severity: severity.Critical, ResourceType: "AWS::KMS::Key",
			Mappings:  controls.Mappings{SecurityHub: []string{"KMS.5"}, NIST80053: []string{"AC-3", "AC-21", "AC-4"}},
			Rationale: "A key policy that allows any principal lets anyone with the ARN use or manage the key.",
			Remediation: controls.Remediation{
				Summary: "Remove the wildcard principal or pin it with aws:PrincipalOrgID.",
				Console: []string{"Open KMS and select the key.", "On Key policy, choose Edit and remove the statement with \"Principal\": \"*\"."},
				CLI:     []string{"aws kms get-key-policy --key-id <key-id> --policy-name default --output text > policy.json", "aws kms put-key-policy --key-id <key-id> --policy-name default --policy file://policy.json"},
			},
		},
		"IAM-KMS-1": {
			ID: "IAM-KMS-1", Title: "Key policy keeps the account root principal as an administrator",
			Severity: severity.High, ResourceType: "AWS::KMS::Key",
			Mappings:    controls.Mappings{Guardrails: []string{"IAM-KMS-1"}},
			Rationale:   "Without the account principal in the key policy, a lost administrator role makes the key unmanageable.",
			Remediation: controls.Remediation{Summary: "Add a statement allowing arn:aws:iam::<account>:root kms:*."},
		},
		"KMSG.DELETION": {
			ID: "KMSG.DELETION", Title: "Customer managed key has no deletion guard",
			Severity: severity.Low, ResourceType: "AWS::KMS::Key",
			Mappings:  controls.Mappings{Guardrails: []string{"IAM-KMS-3"}},
			Rationale: "KMS has no deletion-protection flag; only an explicit Deny of kms:ScheduleKeyDeletion stops an administrator's mistake.",
			Remediation: controls.Remediation{
				Summary: "Add a Deny of kms:ScheduleKeyDeletion for every principal except a named break-glass role.",
				CLI:     []string{"aws kms put-key-policy --key-id <key-id> --policy-name default --policy file://policy-with-deny.json"},
			},
		},
	}
}

func finding(c *controls.Control, status controls.Status, resType, resource, region, reason string, evidence ...string) controls.Finding {
	return controls.Finding{
		ControlID: c.ID, Title: c.Title, Severity: c.Severity, Status: status,
		ResourceType: resType, ResourceID: resource, AccountID: acct, Region: region,
		Reason: reason, Evidence: evidence, Control: c,
	}
}

// testScan is a realistic scan of one account in two regions with every
// status, a suppression and characters that need escaping.
func testScan() Scan {
	c := testControls()
	suppressed := finding(c["KMS.2"], controls.StatusFail, "AWS::IAM::Role", "arn:aws:iam::111122223333:role/BreakGlassAdmin", "",
		"Inline policy BreakGlass allows kms:Decrypt on all KMS keys",
		`arn:aws:iam::111122223333:role/BreakGlassAdmin inline BreakGlass: {"Effect":"Allow","Action":"kms:*","Resource":"*"}`)
	suppressed.Suppressed = &controls.Suppression{Reason: "Break-glass role, reviewed by SecOps", Expires: "2026-12-31"}
	return Scan{
		Accounts:    []string{acct},
		Regions:     []string{"eu-west-1", "us-east-1"},
		StartedAt:   time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC),
		FinishedAt:  time.Date(2026, 11, 24, 3, 0, 42, 0, time.UTC),
		ToolVersion: "v0.3.0",
		Problems:    []string{"kms/eu-west-1/keys/c0ffee00-1111-4222-8333-444455556666/key-policy.json: AccessDeniedException: not authorized to perform kms:GetKeyPolicy"},
		Findings: []controls.Finding{
			finding(c["KMS.4"], controls.StatusPass, "AWS::KMS::Key", keyOK, "us-east-1", "Automatic rotation is enabled every 365 days"),
			finding(c["KMS.3"], controls.StatusFail, "AWS::KMS::Key", keyDel, "eu-west-1",
				"Key is scheduled for deletion on 2026-11-30 (6 days left); cancel with aws kms cancel-key-deletion",
				"KeyState: PendingDeletion", "DeletionDate: 2026-11-30T00:00:00Z", "PendingWindowInDays: 7"),
			finding(c["KMS.5"], controls.StatusFail, "AWS::KMS::Key", keyPub, "eu-west-1",
				`Key policy statement "OpenDecrypt" allows "Principal": "*" kms:Decrypt with no account or organisation condition`,
				`Statement OpenDecrypt: {"Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}`),
			finding(c["KMS.5"], controls.StatusUnknown, "AWS::KMS::Key", keyDeny, "eu-west-1",
				"Key policy could not be read: AccessDeniedException on kms:GetKeyPolicy"),
			finding(c["KMS.4"], controls.StatusFail, "AWS::KMS::Key", keyRot, "us-east-1", "Automatic rotation is disabled on this symmetric customer managed key",
				"KeyRotationEnabled: false"),
			finding(c["KMS.4"], controls.StatusNotApplicable, "AWS::KMS::Key", keyRSA, "us-east-1", "Asymmetric keys (RSA_2048) cannot rotate automatically"),
			finding(c["KMS.1"], controls.StatusFail, "AWS::IAM::Policy", "arn:aws:iam::111122223333:policy/DataPipelineDecrypt", "",
				"Policy DataPipelineDecrypt (default version v3) allows kms:Decrypt on all KMS keys",
				`Statement 0: {"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`, "Attached to: role/etl-runner, group/analysts"),
			finding(c["KMS.2"], controls.StatusFail, "AWS::IAM::User", "arn:aws:iam::111122223333:user/ci-deploy", "",
				"Inline policy <ci-deploy-kms> allows kms:ReEncryptFrom & kms:Decrypt on all keys",
				`Statement "Sid": "Reencrypt" -> Resource "*"`),
			suppressed,
			finding(c["IAM-KMS-1"], controls.StatusPass, "AWS::KMS::Key", keyRot, "us-east-1", "Key policy allows arn:aws:iam::111122223333:root kms:*"),
			finding(c["KMSG.DELETION"], controls.StatusFail, "AWS::KMS::Key", keyRot, "us-east-1",
				"No Deny of kms:ScheduleKeyDeletion in the key policy or an SCP: any key administrator can delete this key",
				"Principals able to schedule deletion: arn:aws:iam::111122223333:role/Admin, arn:aws:iam::111122223333:root"),
		},
	}
}
