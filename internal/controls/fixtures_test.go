package controls

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/inventory"
)

// Builders for the pass and fail fixtures of every control.

const fxAccount = "111122223333"

var fxNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type keyOpt func(k *inventory.Key, md *inventory.KeyMetadata)

// fxKey is a healthy customer-managed symmetric key unless opts change it.
func fxKey(name string, opts ...keyOpt) *inventory.Key {
	region := "us-east-1"
	k := &inventory.Key{ID: name, Region: region, ARN: "arn:aws:kms:" + region + ":" + fxAccount + ":key/" + name}
	period := 365
	next := fxNow.Add(100 * 24 * time.Hour)
	md := inventory.KeyMetadata{AccountID: fxAccount, Manager: inventory.ManagerCustomer, State: inventory.StateEnabled,
		Origin: inventory.OriginAWSKMS, KeySpec: inventory.KeySpecSymmetricDefault, KeyUsage: inventory.KeyUsageEncryptDecrypt,
		Enabled: true, CreationDate: fxNow.Add(-400 * 24 * time.Hour)}
	k.Rotation = inventory.Known(inventory.RotationStatus{Enabled: true, PeriodDays: &period, NextRotationDate: &next})
	k.Grants = inventory.Known([]inventory.Grant{})
	k.Tags = inventory.Known(map[string]string{})
	k.Aliases = inventory.Known([]string{"alias/" + name})
	k.Policy = inventory.Known(inventory.Document{Text: `{"Version":"2012-10-17","Statement":[]}`, Form: inventory.FormJSON})
	for _, o := range opts {
		o(k, &md)
	}
	k.Metadata = inventory.Known(md)
	return k
}

func fxAccountOf(keys ...*inventory.Key) *inventory.Account {
	return &inventory.Account{ID: fxAccount, Partition: "aws", Keys: keys}
}

func accessDenied(call string) *inventory.ReadError {
	return &inventory.ReadError{Call: call, Code: "AccessDeniedException", Message: "not authorized"}
}

// withoutMetadata marks the key's DescribeKey as failed.
func withoutMetadata(k *inventory.Key) *inventory.Key {
	k.Metadata = inventory.Unknown[inventory.KeyMetadata](accessDenied("kms:DescribeKey"))
	return k
}

func state(s inventory.KeyState) keyOpt {
	return func(_ *inventory.Key, md *inventory.KeyMetadata) {
		md.State = s
		md.Enabled = s == inventory.StateEnabled
	}
}

func pendingDeletion(at time.Time, window int) keyOpt {
	return func(k *inventory.Key, md *inventory.KeyMetadata) {
		md.State, md.Enabled, md.DeletionDate, md.PendingWindowDays = inventory.StatePendingDeletion, false, &at, &window
	}
}

func multiRegion(typ string, replicas ...string) keyOpt {
	return func(k *inventory.Key, md *inventory.KeyMetadata) {
		md.MultiRegion = true
		c := &inventory.MultiRegionConfig{Type: typ, PrimaryRegion: "us-east-1",
			PrimaryARN: "arn:aws:kms:us-east-1:" + fxAccount + ":key/" + k.ID}
		for _, r := range replicas {
			c.Replicas = append(c.Replicas, inventory.RegionalKey{Region: r, ARN: "arn:aws:kms:" + r + ":" + fxAccount + ":key/" + k.ID})
		}
		md.MultiRegionConfig = c
	}
}

func spec(keySpec, usage string) keyOpt {
	return func(_ *inventory.Key, md *inventory.KeyMetadata) { md.KeySpec, md.KeyUsage = keySpec, usage }
}

func origin(o inventory.Origin, store string) keyOpt {
	return func(_ *inventory.Key, md *inventory.KeyMetadata) { md.Origin, md.CustomKeyStoreID = o, store }
}

func awsManaged() keyOpt {
	return func(_ *inventory.Key, md *inventory.KeyMetadata) { md.Manager = inventory.ManagerAWS }
}

func rotationOff() keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) {
		k.Rotation = inventory.Known(inventory.RotationStatus{Enabled: false})
	}
}

func rotationPeriod(days *int) keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) {
		k.Rotation = inventory.Known(inventory.RotationStatus{Enabled: true, PeriodDays: days})
	}
}

func rotationUnknown() keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) {
		k.Rotation = inventory.Unknown[inventory.RotationStatus](accessDenied("kms:GetKeyRotationStatus"))
	}
}

func grants(gs ...inventory.Grant) keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) { k.Grants = inventory.Known(gs) }
}

func grantsUnknown() keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) {
		k.Grants = inventory.Unknown[[]inventory.Grant](accessDenied("kms:ListGrants"))
	}
}

func grant(id, grantee string, ops ...string) inventory.Grant {
	return inventory.Grant{ID: id, GranteePrincipal: grantee, Operations: ops, IssuingAccount: "arn:aws:iam::" + fxAccount + ":root"}
}

func intp(n int) *int { return &n }
