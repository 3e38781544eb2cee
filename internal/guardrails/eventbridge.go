package guardrails

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// KMSConfigurationEvents are the KMS API calls that change a key's
// configuration: the list of Conformity KMS-007 (seed 003) plus the newer
// lifecycle calls.
var KMSConfigurationEvents = []string{
	"CreateAlias", "CreateGrant", "CreateKey", "EnableKey", "EnableKeyRotation",
	"ImportKeyMaterial", "PutKeyPolicy", "RetireGrant", "RevokeGrant",
	"ScheduleKeyDeletion", "TagResource", "UntagResource", "UpdateAlias",
	"UpdateKeyDescription", "DisableKey", "DisableKeyRotation",
	"CancelKeyDeletion", "DeleteAlias", "DeleteImportedKeyMaterial",
	"ReplicateKey", "UpdatePrimaryRegion", "RotateKeyOnDemand",
}

// TrailTamperingEvents are the CloudTrail calls that can blind KMS
// monitoring.
var TrailTamperingEvents = []string{
	"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors",
}

// KMSServiceEvents are the events KMS itself emits to EventBridge when AWS
// destroys a key at the end of its waiting period or imported material
// expires: no API call in the account precedes them.
var KMSServiceEvents = []string{"KMS CMK Deletion", "KMS Imported Key Material Expiration"}

// KMSServiceCloudTrailEvents are the CloudTrail records (event type
// AwsServiceEvent) of the same destruction: they carry the key ARN and
// account the way API calls do.
var KMSServiceCloudTrailEvents = []string{"DeleteKey", "DeleteExpiredKeyMaterial"}

// EventRule is one EventBridge rule: a name, what it is for, and the pattern.
type EventRule struct {
	Name        string
	Description string
	Pattern     map[string]any
}

// EventRules returns the rules that forward kmsguard-relevant events.
func EventRules() []EventRule {
	return []EventRule{
		{
			Name:        "kmsguard-kms-configuration-changes",
			Description: "Every KMS configuration change (Conformity KMS-007 and newer lifecycle calls), successful or denied",
			Pattern: map[string]any{
				"source":      []string{"aws.kms"},
				"detail-type": []string{"AWS API Call via CloudTrail"},
				"detail": map[string]any{
					"eventSource": []string{"kms.amazonaws.com"},
					"eventName":   KMSConfigurationEvents,
				},
			},
		},
		{
			Name:        "kmsguard-kms-key-destroyed",
			Description: "KMS deleted a key at the end of its waiting period, or imported key material expired",
			Pattern: map[string]any{
				"source":      []string{"aws.kms"},
				"detail-type": KMSServiceEvents,
			},
		},
		{
			Name:        "kmsguard-kms-service-events",
			Description: "KMS itself deleted a key at the end of its waiting period or deleted expired imported key material (CloudTrail service events)",
			Pattern: map[string]any{
				"source":      []string{"aws.kms"},
				"detail-type": []string{"AWS Service Event via CloudTrail"},
				"detail": map[string]any{
					"eventSource": []string{"kms.amazonaws.com"},
					"eventName":   KMSServiceCloudTrailEvents,
				},
			},
		},
		{
			Name:        "kmsguard-cloudtrail-tampering",
			Description: "A trail was stopped, deleted or changed (it may no longer record KMS events)",
			Pattern: map[string]any{
				"source":      []string{"aws.cloudtrail"},
				"detail-type": []string{"AWS API Call via CloudTrail"},
				"detail": map[string]any{
					"eventSource": []string{"cloudtrail.amazonaws.com"},
					"eventName":   TrailTamperingEvents,
				},
			},
		},
	}
}

// PatternJSON renders a rule's event pattern compactly.
func (r EventRule) PatternJSON() string {
	b, err := json.Marshal(r.Pattern)
	if err != nil {
		panic(err) // strings, slices and maps only
	}
	return string(b)
}

// EventBridgeOptions name the generated resources.
type EventBridgeOptions struct {
	TopicName string // SNS topic the rules notify; default kmsguard-kms-alerts
}

var topicNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`) // and at most 256 bytes: see topic

func (o EventBridgeOptions) topic() (string, error) {
	if o.TopicName == "" {
		return "kmsguard-kms-alerts", nil
	}
	if len(o.TopicName) > 256 || !topicNamePattern.MatchString(o.TopicName) {
		return "", fmt.Errorf("SNS topic name %q: use 1 to 256 letters, digits, '-' or '_'", o.TopicName)
	}
	return o.TopicName, nil
}
