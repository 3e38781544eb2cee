package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// serveKMSWrite serves the mutating KMS operations kmsguard remediate uses,
// with the state checks and errors KMS documents for them. It reports
// whether it knew the operation.
func (s *Server) serveKMSWrite(w http.ResponseWriter, c call, req kmsRequest, k *Key) bool {
	arn := keyARN(c.account, c.region, k)
	switch c.target {
	case "CancelKeyDeletion":
		if k.State != "PendingDeletion" && k.State != "PendingReplicaDeletion" {
			invalidState(w, arn, k.State)
			return true
		}
		k.State, k.DeletionDate = "Disabled", time.Time{}
		writeJSON(w, map[string]any{"KeyId": arn})
	case "EnableKey":
		if k.State != "Enabled" && k.State != "Disabled" {
			invalidState(w, arn, k.State)
			return true
		}
		k.State = "Enabled"
		writeJSON(w, map[string]any{})
	case "EnableKeyRotation":
		if k.Spec != "SYMMETRIC_DEFAULT" || k.Origin != "AWS_KMS" || k.CustomKeyStoreID != "" {
			writeJSONError(w, http.StatusBadRequest, "UnsupportedOperationException", fmt.Sprintf("%s origin is unsupported for this operation.", k.Origin))
			return true
		}
		if k.State != "Enabled" {
			invalidState(w, arn, k.State)
			return true
		}
		days := 365
		if req.RotationPeriodInDays != nil {
			days = *req.RotationPeriodInDays
		}
		if days < 90 || days > 2560 {
			writeJSONError(w, http.StatusBadRequest, "ValidationException",
				fmt.Sprintf("1 validation error detected: Value '%d' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560", days))
			return true
		}
		k.RotationEnabled, k.RotationPeriodDays = true, days
		writeJSON(w, map[string]any{})
	case "PutKeyPolicy":
		if req.PolicyName != "" && req.PolicyName != "default" {
			writeJSONError(w, http.StatusBadRequest, "NotFoundException", "No such policy exists")
			return true
		}
		if req.Policy == nil || !json.Valid([]byte(*req.Policy)) {
			writeJSONError(w, http.StatusBadRequest, "MalformedPolicyDocumentException", "The new key policy is not valid JSON.")
			return true
		}
		k.Policy = *req.Policy
		writeJSON(w, map[string]any{})
	case "RevokeGrant":
		for i, g := range k.Grants {
			if g.ID == req.GrantId {
				k.Grants = append(k.Grants[:i:i], k.Grants[i+1:]...)
				writeJSON(w, map[string]any{})
				return true
			}
		}
		writeJSONError(w, http.StatusBadRequest, "NotFoundException", fmt.Sprintf("Grant ID %s not found", req.GrantId))
	default:
		return false
	}
	return true
}

func invalidState(w http.ResponseWriter, arn, state string) {
	writeJSONError(w, http.StatusBadRequest, "KMSInvalidStateException", fmt.Sprintf("%s is %s", arn, state))
}
