package awsfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

type kmsRequest struct {
	KeyId      string
	Limit      int
	Marker     string
	PolicyName string
	// Mutating operations (kms_write.go).
	GrantId                        string
	RotationPeriodInDays           *int
	Policy                         *string
	BypassPolicyLockoutSafetyCheck bool
}

type kmsKeyMetadata struct {
	AWSAccountId          string
	KeyId                 string
	Arn                   string
	CreationDate          *epoch
	Enabled               bool
	Description           string
	KeyUsage              string
	KeyState              string
	DeletionDate          *epoch `json:",omitempty"`
	Origin                string
	CustomKeyStoreId      string `json:",omitempty"`
	ExpirationModel       string `json:",omitempty"`
	KeyManager            string
	CustomerMasterKeySpec string
	KeySpec               string
	EncryptionAlgorithms  []string `json:",omitempty"`
	SigningAlgorithms     []string `json:",omitempty"`
	MacAlgorithms         []string `json:",omitempty"`
	MultiRegion           bool
	// MultiRegionConfiguration is present for multi-Region keys only.
	MultiRegionConfiguration map[string]any `json:",omitempty"`
}

func (s *Server) serveKMS(w http.ResponseWriter, c call) {
	a := c.account
	if disabled(a, c.region) {
		writeJSONError(w, http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	if !s.allowKMS(c) {
		writeJSONError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	var req kmsRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	region := a.Regions[c.region]
	if region == nil {
		region = &Region{}
	}
	if s.cfg.Throttle != nil && s.cfg.Throttle(a.ID, c.region, c.target, req.KeyId) {
		s.throttled.Add(1)
		writeJSONError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	if s.denied(c, c.target, req.KeyId) {
		writeJSONError(w, http.StatusBadRequest, "AccessDeniedException", deniedMessage(a.ID, "kms:"+c.target))
		return
	}
	switch c.target {
	case "ListKeys":
		writeKMSList(s, w, req, "Keys", region.Keys, func(k *Key) map[string]string {
			return map[string]string{"KeyId": k.ID, "KeyArn": keyARN(a, c.region, k)}
		})
	case "ListAliases":
		writeKMSList(s, w, req, "Aliases", region.Aliases, func(al Alias) map[string]any {
			e := map[string]any{
				"AliasName": al.Name, "AliasArn": fmt.Sprintf("arn:aws:kms:%s:%s:%s", c.region, a.ID, al.Name),
				"CreationDate": epochPtr(al.Created), "LastUpdatedDate": epochPtr(al.Created),
			}
			if al.TargetKeyID != "" { // AWS omits the member for an alias without a key
				e["TargetKeyId"] = al.TargetKeyID
			}
			return e
		})
	default:
		k := findKey(region, req.KeyId)
		if k == nil {
			writeJSONError(w, http.StatusBadRequest, "NotFoundException", fmt.Sprintf("Key '%s' does not exist", req.KeyId))
			return
		}
		s.serveKMSKey(w, c, req, k)
	}
}

func (s *Server) serveKMSKey(w http.ResponseWriter, c call, req kmsRequest, k *Key) {
	a := c.account
	arn := keyARN(a, c.region, k)
	switch c.target {
	case "DescribeKey":
		m := kmsKeyMetadata{
			AWSAccountId: a.ID, KeyId: k.ID, Arn: arn, CreationDate: epochPtr(k.Created),
			Enabled: k.State == "Enabled", Description: k.Description, KeyUsage: k.Usage, KeyState: k.State,
			DeletionDate: epochPtr(k.DeletionDate), Origin: k.Origin, CustomKeyStoreId: k.CustomKeyStoreID,
			KeyManager: k.Manager, CustomerMasterKeySpec: k.Spec, KeySpec: k.Spec, MultiRegion: k.MultiRegion,
		}
		if k.MultiRegion {
			m.MultiRegionConfiguration = map[string]any{
				"MultiRegionKeyType": "PRIMARY",
				"PrimaryKey":         map[string]string{"Arn": arn, "Region": c.region},
				"ReplicaKeys":        []any{},
			}
		}
		if k.Origin == "EXTERNAL" {
			m.ExpirationModel = "KEY_MATERIAL_DOES_NOT_EXPIRE"
		}
		switch {
		case k.Usage == "SIGN_VERIFY":
			m.SigningAlgorithms = []string{"RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"}
		case k.Usage == "GENERATE_VERIFY_MAC":
			m.MacAlgorithms = []string{"HMAC_SHA_256"}
		case k.Spec == "SYMMETRIC_DEFAULT":
			m.EncryptionAlgorithms = []string{"SYMMETRIC_DEFAULT"}
		default:
			m.EncryptionAlgorithms = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}
		}
		writeJSON(w, map[string]any{"KeyMetadata": m})
	case "GetKeyPolicy":
		if req.PolicyName != "" && req.PolicyName != "default" {
			writeJSONError(w, http.StatusBadRequest, "NotFoundException", "No such policy exists")
			return
		}
		writeJSON(w, map[string]any{"Policy": k.Policy, "PolicyName": "default"})
	case "GetKeyRotationStatus":
		if k.Spec != "SYMMETRIC_DEFAULT" || k.Origin != "AWS_KMS" || k.CustomKeyStoreID != "" {
			writeJSONError(w, http.StatusBadRequest, "UnsupportedOperationException", fmt.Sprintf("%s origin is unsupported for this operation.", k.Origin))
			return
		}
		out := map[string]any{"KeyRotationEnabled": k.RotationEnabled, "KeyId": arn}
		if k.RotationEnabled {
			out["RotationPeriodInDays"] = cmp.Or(k.RotationPeriodDays, 365)
			out["NextRotationDate"] = epochPtr(k.Created.AddDate(1, 0, 0))
		}
		writeJSON(w, out)
	case "ListGrants":
		writeKMSList(s, w, req, "Grants", k.Grants, func(g Grant) map[string]any {
			e := map[string]any{
				"KeyId": arn, "GrantId": g.ID, "Name": g.Name, "CreationDate": epochPtr(g.Created),
				"GranteePrincipal": g.Grantee, "IssuingAccount": "arn:aws:iam::" + a.ID + ":root", "Operations": g.Operations,
			}
			if g.Retiring != "" {
				e["RetiringPrincipal"] = g.Retiring
			}
			if g.EncryptionContextSubset != nil || g.EncryptionContextEquals != nil {
				cons := map[string]any{}
				if g.EncryptionContextSubset != nil {
					cons["EncryptionContextSubset"] = g.EncryptionContextSubset
				}
				if g.EncryptionContextEquals != nil {
					cons["EncryptionContextEquals"] = g.EncryptionContextEquals
				}
				e["Constraints"] = cons
			}
			return e
		})
	case "ListResourceTags":
		writeKMSList(s, w, req, "Tags", k.Tags, func(t Tag) map[string]string {
			return map[string]string{"TagKey": t.Key, "TagValue": t.Value}
		})
	default:
		if !s.serveKMSWrite(w, c, req, k) {
			writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "operation "+c.target+" is not faked")
		}
	}
}

func findKey(r *Region, id string) *Key {
	id = id[strings.LastIndex(id, "/")+1:]
	for _, k := range r.Keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

func keyARN(a *Account, region string, k *Key) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, a.ID, k.ID)
}

// paged builds a page: the items, the "more" flag when the protocol has
// one, and the next marker only when there is a next page, as AWS does.
// writeKMSList answers a KMS List operation with the page of items that
// req's Marker and Limit select, each rendered by member, under name.
func writeKMSList[T, M any](s *Server, w http.ResponseWriter, req kmsRequest, name string, items []T, member func(T) M) {
	start, end, next, err := s.page(len(items), req.Marker, req.Limit)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "InvalidMarkerException", err.Error())
		return
	}
	out := make([]M, 0, end-start)
	for _, it := range items[start:end] {
		out = append(out, member(it))
	}
	writeJSON(w, paged(name, out, "Truncated", "NextMarker", next))
}

func paged(key string, items any, moreKey, markerKey, next string) map[string]any {
	out := map[string]any{key: items}
	if moreKey != "" {
		out[moreKey] = next != ""
	}
	if next != "" {
		out[markerKey] = next
	}
	return out
}
