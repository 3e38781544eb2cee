package controls

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/severity"
)

func kms3ScheduledDeletion() Control {
	return Control{
		ID:           "KMS.3",
		Title:        "KMS keys should not be scheduled for deletion",
		Severity:     severity.Critical,
		ResourceType: keyResourceType,
		Mappings: Mappings{
			SecurityHub: []string{"KMS.3"},
			ConfigRules: []string{"kms-cmk-not-scheduled-for-deletion"},
			NIST80053:   []string{"SC-12", "SC-12(2)"},
		},
		Rationale: "A deleted KMS key cannot be recovered, and neither can any data encrypted under it. " +
			"Scheduling deletion starts a waiting period of 7 to 30 days during which the deletion can be cancelled; " +
			"after it, the key material is destroyed. A multi-region primary key in PendingReplicaDeletion is deleted " +
			"once its replicas are. Unless the deletion is an intended cryptographic erasure, cancel it.",
		Remediation: Remediation{
			Summary: "Cancel the scheduled deletion, then re-enable the key (a cancelled key returns in the Disabled state).",
			Console: []string{
				"Open the AWS KMS console at https://console.aws.amazon.com/kms and choose the key's Region.",
				"Choose Customer managed keys and select the key scheduled for deletion.",
				"Choose Key actions, Cancel key deletion.",
				"Choose Key actions, Enable, so that the key can be used again.",
				"For a multi-region key, cancel the deletion of every replica in its own Region as well.",
			},
			CLI: []string{
				"aws kms cancel-key-deletion --key-id <key-id> --region <region>",
				"aws kms enable-key --key-id <key-id> --region <region>",
			},
		},
		References: []string{
			"https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-3",
			"https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-delete.html",
		},
		Check: checkKMS3,
	}
}

func checkKMS3(cc CheckContext, acct *inventory.Account) []Finding {
	out := make([]Finding, 0, len(acct.Keys))
	for _, k := range acct.Keys {
		md, rerr := k.Metadata.Get()
		if rerr != nil {
			out = append(out, Unknown(k.ARN, k.Region, "key state (DescribeKey)", rerr))
			continue
		}
		cancel := cancelCommands(k.ID, k.Region)
		switch md.State {
		case inventory.StatePendingDeletion:
			out = append(out, Fail(k.ARN, k.Region, deletionReason(cc.Now, md), append(deletionEvidence(md), cancel...)...))
		case inventory.StatePendingReplicaDeletion:
			ev := deletionEvidence(md)
			var replicas []string
			if md.MultiRegionConfig != nil {
				for _, r := range md.MultiRegionConfig.Replicas {
					replicas = append(replicas, r.Region)
					ev = append(ev, "replica "+r.ARN)
					ev = append(ev, cancelCommands(k.ID, r.Region)[0]+"   # if the replica is PendingDeletion")
				}
			}
			reason := "multi-region primary key is scheduled for deletion: it waits until its replicas"
			if len(replicas) > 0 {
				reason += " (" + strings.Join(replicas, ", ") + ")"
			}
			reason += " are deleted"
			if md.PendingWindowDays != nil {
				reason += fmt.Sprintf(", then is deleted after its %d-day waiting period", *md.PendingWindowDays)
			}
			out = append(out, Fail(k.ARN, k.Region, reason, append(ev, cancel...)...))
		default:
			out = append(out, Pass(k.ARN, k.Region, "key is not scheduled for deletion (state "+string(md.State)+")"))
		}
	}
	return out
}

func deletionReason(now time.Time, md inventory.KeyMetadata) string {
	if md.DeletionDate == nil {
		return "key is scheduled for deletion (DescribeKey gave no deletion date)"
	}
	when := md.DeletionDate.UTC().Format("2006-01-02 15:04 MST")
	left := int(math.Ceil(md.DeletionDate.Sub(now).Hours() / 24))
	switch {
	case left > 1:
		return fmt.Sprintf("key will be deleted on %s (%d days left); cancel the deletion unless it is intended", when, left)
	case left == 1:
		return fmt.Sprintf("key will be deleted on %s (less than a day left); cancel the deletion now unless it is intended", when)
	default:
		return fmt.Sprintf("key was due for deletion on %s, %d days before this scan; it is probably already deleted (the snapshot is older)", when, -left)
	}
}

func deletionEvidence(md inventory.KeyMetadata) []string {
	ev := []string{"KeyState: " + string(md.State)}
	if md.DeletionDate != nil {
		ev = append(ev, "DeletionDate: "+md.DeletionDate.UTC().Format(time.RFC3339))
	}
	if md.PendingWindowDays != nil {
		ev = append(ev, fmt.Sprintf("PendingDeletionWindowInDays: %d", *md.PendingWindowDays))
	}
	return ev
}

func cancelCommands(keyID, region string) []string {
	return []string{
		"aws kms cancel-key-deletion --key-id " + keyID + " --region " + region,
		"aws kms enable-key --key-id " + keyID + " --region " + region,
	}
}
