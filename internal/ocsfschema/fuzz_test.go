package ocsfschema

import (
	"encoding/json"
	"testing"
)

// FuzzValidateJSON: arbitrary input never panics the validator, and
// anything it accepts without errors is at least a JSON object.
func FuzzValidateJSON(f *testing.F) {
	s := loadSchema(f)
	valid, _ := json.Marshal(validFinding())
	f.Add(valid)
	f.Add([]byte(`{"class_uid":2004,"metadata":{"profiles":["cloud",7]},"finding_info":[]}`))
	f.Add([]byte(`{"class_uid":2003,"resources":{"uid":1},"time":1.5,"compliance":{"status_id":"3"}}`))
	f.Add([]byte(`{"class_uid":1e300}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := s.ValidateJSON(data)
		if len(res.Errors) == 0 {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("accepted non-object input %q", data)
			}
		}
	})
}
