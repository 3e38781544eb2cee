package report

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// testAlertRun is a realistic hunt: a key scheduled for deletion with the
// 7-day minimum window, a key disabled through CloudFormation by an MFA
// session, a key policy opened to everyone from IPv6, and repeated denied
// deletion attempts correlated into one alert.
func testAlertRun() AlertRun {
	t0 := time.Date(2026, 11, 23, 22, 14, 3, 0, time.UTC)
	return AlertRun{
		StartedAt: time.Date(2026, 11, 24, 3, 10, 0, 0, time.UTC), FinishedAt: time.Date(2026, 11, 24, 3, 10, 7, 0, time.UTC),
		ToolVersion: "v0.3.0", Files: 312, Events: 48210, Skipped: 14, Errors: 1,
		Problems: []string{"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/23/111122223333_CloudTrail_eu-west-1_20261123T2215Z_x1.json.gz: offset 18344: unexpected EOF (truncated gzip)"},
		Alerts: []alert.Alert{
			{
				ID: "a1f0c3", RuleID: "kmsguard-kms-disable-or-delete", RuleTitle: "KMS key scheduled for deletion or disabled",
				Severity: severity.Critical, Tags: []string{"attack.impact", "attack.t1485"},
				Description: "A customer managed key was scheduled for deletion with the 7-day minimum window.",
				Guide:       "Confirm the change with the key owner.\nCancel it: aws kms cancel-key-deletion --key-id 0f4e1c2a-7b3d-4e8f-9a1b-2c3d4e5f6a7b --region eu-west-1",
				EventID:     "3b1d6f8e-6d1c-4a7e-9a55-0d6f1f6b2c11", EventTime: t0, EventSource: "kms.amazonaws.com", EventName: "ScheduleKeyDeletion",
				AccountID: acct, Region: "eu-west-1", Outcome: "success",
				Actor: alert.Actor{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice", PrincipalID: "AIDAEXAMPLEALICE00001",
					AccountID: acct, AccessKeyID: "AKIAEXAMPLEALICE0001", UserName: "alice"},
				SourceIP: "203.0.113.42", UserAgent: "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/kms.schedule-key-deletion",
				KeyARNs:           []string{keyDel},
				RequestParameters: map[string]any{"keyId": "0f4e1c2a-7b3d-4e8f-9a1b-2c3d4e5f6a7b", "pendingWindowInDays": 7},
				Details:           map[string]string{"deletion_date": "2026-11-30T22:14:03Z", "pending_window_in_days": "7"},
				Enrichment:        map[string]string{"key_alias": "alias/payments-prod", "key_manager": "CUSTOMER"},
			},
			{
				ID: "b27e91", RuleID: "kmsguard-kms-disable-or-delete", RuleTitle: "KMS key scheduled for deletion or disabled",
				Severity: severity.High, Tags: []string{"attack.impact", "attack.t1485"},
				EventID: "9c2e4a10-1f3b-4c8d-b7e6-5a4f3e2d1c0b", EventTime: t0.Add(-2 * time.Hour), EventSource: "kms.amazonaws.com", EventName: "DisableKey",
				AccountID: acct, Region: "us-east-1", Outcome: "success",
				Actor: alert.Actor{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/Deployer/ci-1732400000", PrincipalID: "AROAEXAMPLEDEPLOY0001:ci-1732400000",
					AccountID: acct, AccessKeyID: "ASIAEXAMPLEDEPLOY001", SessionIssuerARN: "arn:aws:iam::111122223333:role/Deployer",
					InvokedBy: "cloudformation.amazonaws.com", MFAAuthenticated: true},
				SourceIP: "cloudformation.amazonaws.com", UserAgent: "cloudformation.amazonaws.com",
				KeyARNs:           []string{keyRot},
				RequestParameters: map[string]any{"keyId": keyRot},
			},
			{
				ID: "c3d4e5", RuleID: "kmsguard-kms-policy-opened", RuleTitle: "KMS key policy opened to everyone",
				Severity: severity.Critical, Tags: []string{"attack.persistence", "attack.privilege_escalation", "attack.t1098.003"},
				Description: "PutKeyPolicy set a policy that allows any principal.",
				EventID:     "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", EventTime: t0.Add(30 * time.Minute), EventSource: "kms.amazonaws.com", EventName: "PutKeyPolicy",
				AccountID: acct, Region: "eu-west-1", Outcome: "success",
				Actor: alert.Actor{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/Admin/bob", PrincipalID: "AROAEXAMPLEADMIN0001:bob",
					AccountID: acct, AccessKeyID: "ASIAEXAMPLEBOB000001", SessionIssuerARN: "arn:aws:iam::111122223333:role/Admin"},
				SourceIP: "2001:db8::1", UserAgent: "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux",
				KeyARNs: []string{keyPub},
				RequestParameters: map[string]any{"keyId": keyPub, "policyName": "default", "bypassPolicyLockoutSafetyCheck": false,
					"policy": `{"Version":"2012-10-17","Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`},
				Details: map[string]string{"exposure": "Principal \"*\" without condition"},
			},
			{
				ID: "d4e5f6", RuleID: "kmsguard-kms-denied-destructive", RuleTitle: "Denied attempts at destructive KMS actions",
				Severity: severity.Medium, Tags: []string{"attack.discovery", "attack.t1580"},
				EventID: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", EventTime: t0.Add(45 * time.Minute), EventSource: "kms.amazonaws.com", EventName: "ScheduleKeyDeletion",
				AccountID: acct, Region: "eu-west-1", Outcome: "failure", ErrorCode: "AccessDenied",
				Actor: alert.Actor{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/contractor-7", PrincipalID: "AIDAEXAMPLECONTR0007",
					AccountID: acct, AccessKeyID: "AKIAEXAMPLECONTR0007", UserName: "contractor-7"},
				SourceIP: "198.51.100.7", UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22",
				KeyARNs:  []string{keyDel, keyPub},
				EventIDs: []string{"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e", "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"},
			},
		},
	}
}
