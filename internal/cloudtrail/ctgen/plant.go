package ctgen

import (
	"encoding/json"
	"time"
)

// plant makes r the event of the given kind, shaped as CloudTrail records it.
func (g *generator) plant(kind string, r *record, a *account) {
	keyARN, keyID := g.keyARN(a, r.AWSRegion)
	kmsCall := func(name string) {
		r.EventSource, r.EventName, r.ReadOnly = "kms.amazonaws.com", name, false
		g.byHuman(r, a, "kms", "kms."+name)
		if r.UserIdentity.Type == "Root" { // keep planted callers ordinary principals
			r.UserIdentity = g.human(a, g.eventTime(r))
		}
		r.Resources = []resource{{AccountID: a.id, Type: "AWS::KMS::Key", ARN: keyARN}}
	}
	switch kind {
	case PlantDisableKey:
		kmsCall("DisableKey")
		r.RequestParameters = map[string]any{"keyId": keyID}
	case PlantScheduleKeyDeletion7, PlantScheduleKeyDeletion30:
		days := 7
		if kind == PlantScheduleKeyDeletion30 {
			days = 30
		}
		kmsCall("ScheduleKeyDeletion")
		r.RequestParameters = map[string]any{"keyId": keyID, "pendingWindowInDays": days}
		// KMS deletes at midnight UTC after the window and writes the date
		// in a Java medium format, not ISO 8601.
		del := g.eventTime(r).Truncate(24*time.Hour).AddDate(0, 0, days+1)
		r.ResponseElements = map[string]any{"keyId": keyARN, "keyState": "PendingDeletion",
			"deletionDate": del.Format("Jan 2, 2006, 3:04:05 PM")}
	case PlantPutKeyPolicyPublic:
		kmsCall("PutKeyPolicy")
		policy := map[string]any{"Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": []any{
			map[string]any{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + a.id + ":root"}, "Action": "kms:*", "Resource": "*"},
			map[string]any{"Sid": "Allow use of the key", "Effect": "Allow", "Principal": map[string]any{"AWS": "*"},
				"Action": []any{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}, "Resource": "*"},
		}}
		doc, _ := json.MarshalIndent(policy, "", "    ")
		r.RequestParameters = map[string]any{"keyId": keyARN, "policyName": "default", "policy": string(doc), "bypassPolicyLockoutSafetyCheck": false}
	case PlantCreateGrantCrossAccount:
		kmsCall("CreateGrant")
		r.RequestParameters = map[string]any{"keyId": keyARN, "granteePrincipal": "arn:aws:iam::" + g.foreign + ":role/ExternalPartner",
			"operations": []any{"Decrypt", "GenerateDataKey", "DescribeKey"}, "constraints": nil}
		r.ResponseElements = map[string]any{"grantId": g.token(64), "keyId": keyARN}
	case PlantScheduleKeyDeletionDeny:
		kmsCall("ScheduleKeyDeletion")
		r.RequestParameters = map[string]any{"keyId": keyARN, "pendingWindowInDays": 7}
		r.ErrorCode = "AccessDenied"
		r.ErrorMessage = "User: " + r.UserIdentity.ARN + " is not authorized to perform: kms:ScheduleKeyDeletion on resource: " + keyARN +
			" because no identity-based policy allows the kms:ScheduleKeyDeletion action"
		r.ResponseElements = nil
		r.Resources = nil
	case PlantDeleteImportedKeyMat:
		kmsCall("DeleteImportedKeyMaterial")
		r.RequestParameters = map[string]any{"keyId": keyID}
	case PlantEventSelectorsExcludeKMS:
		trail := "arn:aws:cloudtrail:" + r.AWSRegion + ":" + a.id + ":trail/org-trail"
		r.EventSource, r.EventName, r.ReadOnly = "cloudtrail.amazonaws.com", "PutEventSelectors", false
		g.byHuman(r, a, "cloudtrail", "cloudtrail.put-event-selectors")
		sel := []any{map[string]any{"readWriteType": "All", "includeManagementEvents": true, "dataResources": []any{},
			"excludeManagementEventSources": []any{"kms.amazonaws.com"}}}
		r.RequestParameters = map[string]any{"trailName": "org-trail", "eventSelectors": sel}
		r.ResponseElements = map[string]any{"trailARN": trail, "eventSelectors": sel}
		r.Resources = nil
	case PlantStopLogging:
		r.EventSource, r.EventName, r.ReadOnly = "cloudtrail.amazonaws.com", "StopLogging", false
		g.byHuman(r, a, "cloudtrail", "cloudtrail.stop-logging")
		r.RequestParameters = map[string]any{"name": "arn:aws:cloudtrail:" + r.AWSRegion + ":" + a.id + ":trail/org-trail"}
		r.Resources = nil
	case PlantS3CopyForeignKMSKey:
		bucket := a.buckets[0]
		key := "exports/2026/customers.csv"
		foreignKey := "arn:aws:kms:" + r.AWSRegion + ":" + g.foreign + ":key/" + g.uuid()
		r.EventSource, r.EventName, r.ReadOnly = "s3.amazonaws.com", "CopyObject", false
		r.ManagementEvent, r.EventCategory = false, "Data"
		g.byHuman(r, a, "s3", "s3api.copy-object")
		r.RequestParameters = map[string]any{"bucketName": bucket, "Host": bucket + ".s3." + r.AWSRegion + ".amazonaws.com", "key": key,
			"x-amz-copy-source": bucket + "/" + key, "x-amz-server-side-encryption": "aws:kms",
			"x-amz-server-side-encryption-aws-kms-key-id": foreignKey}
		r.ResponseElements = map[string]any{"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": foreignKey,
			"x-amz-version-id": g.token(32)}
		r.AdditionalEventData = map[string]any{"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "AuthenticationMethod": "AuthHeader"}
		r.Resources = []resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + bucket + "/" + key}, {AccountID: a.id, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket}}
	case PlantDeleteKeyServiceEvent:
		r.EventSource, r.EventName, r.ReadOnly, r.EventType = "kms.amazonaws.com", "DeleteKey", false, "AwsServiceEvent"
		r.UserIdentity = &userIdentity{AccountID: a.id, InvokedBy: "AWS Internal"}
		r.SourceIPAddress, r.UserAgent = "AWS Internal", "AWS Internal"
		r.RequestParameters = nil
		r.ResponseElements = map[string]any{"keyId": keyARN}
		r.Resources = []resource{{AccountID: a.id, Type: "AWS::KMS::Key", ARN: keyARN}}
	}
}

func (g *generator) eventTime(r *record) time.Time {
	t, _ := time.Parse(time.RFC3339, r.EventTime)
	return t
}
