package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// writeJSON answers an AWS JSON 1.1 request.
func writeJSON(w http.ResponseWriter, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "fake-request-id")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data) // fails only when the client hung up
}

// writeJSONError answers with an AWS JSON 1.1 error: the code in __type
// and a lower-case "message", as KMS and Organizations send them.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	data, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "fake-request-id")
	w.WriteHeader(status)
	_, _ = w.Write(data) // fails only when the client hung up
}

// epoch is a timestamp as AWS JSON protocols send it: seconds since the
// epoch as a JSON number with a fraction (KMS sends milliseconds).
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return fmt.Appendf(nil, "%d.%03d", t.Unix(), t.Nanosecond()/1e6), nil
}

func epochPtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

func deniedMessage(account, action string) string {
	return fmt.Sprintf("User: arn:aws:iam::%s:user/auditor is not authorized to perform: %s because no identity-based policy allows the %s action", account, action, action)
}
