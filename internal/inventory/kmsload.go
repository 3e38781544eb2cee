package inventory

import (
	"path"
	"sort"

	"github.com/go-json-experiment/json/jsontext"
)

// AWS CLI output shapes for the KMS calls.

type describeKeyOut struct {
	KeyMetadata *struct {
		AWSAccountID             string `json:"AWSAccountId"`
		KeyID                    string `json:"KeyId"`
		Arn                      string
		CreationDate             awsTime
		Enabled                  bool
		Description              string
		KeyUsage                 string
		KeyState                 string
		DeletionDate             *awsTime
		ValidTo                  *awsTime
		Origin                   string
		CustomKeyStoreID         string `json:"CustomKeyStoreId"`
		CloudHsmClusterID        string `json:"CloudHsmClusterId"`
		KeyManager               string
		CustomerMasterKeySpec    string
		KeySpec                  string
		MultiRegion              bool
		MultiRegionConfiguration *struct {
			MultiRegionKeyType string
			PrimaryKey         *struct{ Arn, Region string }
			ReplicaKeys        []struct{ Arn, Region string }
		}
		PendingDeletionWindowInDays *int
		XksKeyConfiguration         *struct {
			ID string `json:"Id"`
		}
	}
}

type listAliasesOut struct {
	Aliases []struct {
		AliasName   string
		AliasArn    string
		TargetKeyID string `json:"TargetKeyId"`
	}
}

type listTagsOut struct {
	Tags []struct{ TagKey, TagValue string }
}

type listGrantsOut struct {
	Grants []struct {
		KeyID             string `json:"KeyId"`
		GrantID           string `json:"GrantId"`
		Name              string
		CreationDate      awsTime
		GranteePrincipal  string
		RetiringPrincipal string
		IssuingAccount    string
		Operations        []string
		Constraints       *struct {
			EncryptionContextSubset map[string]string
			EncryptionContextEquals map[string]string
		}
	}
}

type rotationOut struct {
	KeyRotationEnabled   *bool
	RotationPeriodInDays *int
	NextRotationDate     *awsTime
}

type keyPolicyOut struct {
	Policy jsontext.Value
}

// loadKey reads the five per-key files in dir (kms/<region>/keys/<key-id>).
func loadKey(l *loader, dir, region, keyID string) *Key {
	k := &Key{ID: keyID, Region: region}
	file := func(name string) string { return path.Join(dir, name) }

	var dk describeKeyOut
	if rerr := readCall(l.fsys, file("describe-key.json"), "kms:DescribeKey", &dk, l.report); rerr != nil {
		k.Metadata = Unknown[KeyMetadata](rerr)
	} else if dk.KeyMetadata == nil {
		k.Metadata = Unknown[KeyMetadata](&ReadError{Call: "kms:DescribeKey", File: file("describe-key.json"), Code: CodeIncomplete, Message: "no KeyMetadata in the response"})
	} else {
		k.Metadata = Known(keyMetadata(dk))
		k.ARN = dk.KeyMetadata.Arn
	}

	var tags listTagsOut
	if rerr := readCall(l.fsys, file("tags.json"), "kms:ListResourceTags", &tags, l.report); rerr != nil {
		k.Tags = Unknown[map[string]string](rerr)
	} else {
		m := make(map[string]string, len(tags.Tags))
		for _, t := range tags.Tags {
			m[t.TagKey] = t.TagValue
		}
		k.Tags = Known(m)
	}

	var grants listGrantsOut
	if rerr := readCall(l.fsys, file("grants.json"), "kms:ListGrants", &grants, l.report); rerr != nil {
		k.Grants = Unknown[[]Grant](rerr)
	} else {
		gs := make([]Grant, 0, len(grants.Grants))
		for _, g := range grants.Grants {
			grant := Grant{ID: g.GrantID, Name: g.Name, GranteePrincipal: g.GranteePrincipal,
				RetiringPrincipal: g.RetiringPrincipal, IssuingAccount: g.IssuingAccount,
				Operations: g.Operations, CreationDate: g.CreationDate.Time}
			if g.Constraints != nil {
				grant.Constraints = &GrantConstraints{
					EncryptionContextSubset: g.Constraints.EncryptionContextSubset,
					EncryptionContextEquals: g.Constraints.EncryptionContextEquals,
				}
			}
			gs = append(gs, grant)
		}
		k.Grants = Known(gs)
	}

	var rot rotationOut
	rotFile := file("key-rotation-status.json")
	if rerr := readCall(l.fsys, rotFile, "kms:GetKeyRotationStatus", &rot, l.report); rerr != nil {
		k.Rotation = Unknown[RotationStatus](rerr)
	} else if rot.KeyRotationEnabled == nil {
		k.Rotation = Unknown[RotationStatus](&ReadError{Call: "kms:GetKeyRotationStatus", File: rotFile, Code: CodeIncomplete, Message: "no KeyRotationEnabled in the response"})
	} else {
		k.Rotation = Known(RotationStatus{Enabled: *rot.KeyRotationEnabled, PeriodDays: rot.RotationPeriodInDays, NextRotationDate: rot.NextRotationDate.ptr()})
	}

	var pol keyPolicyOut
	polFile := file("key-policy.json")
	if rerr := readCall(l.fsys, polFile, "kms:GetKeyPolicy", &pol, l.report); rerr != nil {
		k.Policy = Unknown[Document](rerr)
	} else if len(pol.Policy) == 0 || string(pol.Policy) == "null" {
		k.Policy = Unknown[Document](&ReadError{Call: "kms:GetKeyPolicy", File: polFile, Code: CodeIncomplete, Message: "no Policy in the response"})
	} else if doc, err := documentFromJSON(pol.Policy, unquoteJSON); err != nil {
		l.report(Problem{File: polFile, Reason: "Policy: " + err.Error()})
		k.Policy = Unknown[Document](&ReadError{Call: "kms:GetKeyPolicy", File: polFile, Code: CodeParseError, Message: err.Error()})
	} else {
		k.Policy = Known(doc)
	}
	return k
}

func unquoteJSON(raw []byte) (string, error) {
	var s string
	err := unmarshal(raw, &s)
	return s, err
}

func keyMetadata(dk describeKeyOut) KeyMetadata {
	m := dk.KeyMetadata
	md := KeyMetadata{
		AccountID: m.AWSAccountID, Manager: KeyManager(m.KeyManager), State: KeyState(m.KeyState),
		Origin: Origin(m.Origin), KeySpec: m.KeySpec, KeyUsage: m.KeyUsage, Enabled: m.Enabled,
		Description: m.Description, CreationDate: m.CreationDate.Time, DeletionDate: m.DeletionDate.ptr(),
		PendingWindowDays: m.PendingDeletionWindowInDays, ValidTo: m.ValidTo.ptr(),
		CustomKeyStoreID: m.CustomKeyStoreID, CloudHSMClusterID: m.CloudHsmClusterID, MultiRegion: m.MultiRegion,
	}
	if md.KeySpec == "" {
		md.KeySpec = m.CustomerMasterKeySpec // older responses carry only the deprecated name
	}
	if m.XksKeyConfiguration != nil {
		md.XKSKeyID = m.XksKeyConfiguration.ID
	}
	if c := m.MultiRegionConfiguration; c != nil {
		mc := &MultiRegionConfig{Type: c.MultiRegionKeyType}
		if c.PrimaryKey != nil {
			mc.PrimaryARN, mc.PrimaryRegion = c.PrimaryKey.Arn, c.PrimaryKey.Region
		}
		for _, r := range c.ReplicaKeys {
			mc.Replicas = append(mc.Replicas, RegionalKey{ARN: r.Arn, Region: r.Region})
		}
		md.MultiRegionConfig = mc
	}
	return md
}

// loadAliases reads kms/<region>/aliases.json.
func loadAliases(l *loader, dir string) Fact[[]Alias] {
	var out listAliasesOut
	if rerr := readCall(l.fsys, path.Join(dir, "aliases.json"), "kms:ListAliases", &out, l.report); rerr != nil {
		return Unknown[[]Alias](rerr)
	}
	as := make([]Alias, 0, len(out.Aliases))
	for _, a := range out.Aliases {
		as = append(as, Alias{Name: a.AliasName, ARN: a.AliasArn, TargetKeyID: a.TargetKeyID})
	}
	return Known(as)
}

// attachAliases sets each key's Aliases from its region's alias list.
func attachAliases(r *Region, keys []*Key) {
	aliases, rerr := r.Aliases.Get()
	byKey := map[string][]string{}
	for _, a := range aliases {
		if a.TargetKeyID != "" {
			byKey[a.TargetKeyID] = append(byKey[a.TargetKeyID], a.Name)
		}
	}
	for _, k := range keys {
		if rerr != nil {
			k.Aliases = Unknown[[]string](rerr)
			continue
		}
		names := byKey[k.ID]
		sort.Strings(names)
		k.Aliases = Known(names)
	}
}

// keyARN builds the ARN of a key whose DescribeKey failed.
func keyARN(partition, region, account, id string) string {
	return "arn:" + partition + ":kms:" + region + ":" + account + ":key/" + id
}
