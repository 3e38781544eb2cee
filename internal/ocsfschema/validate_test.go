package ocsfschema

import (
	"encoding/json"
	"strings"
	"testing"
)

func loadSchema(t testing.TB) *Schema {
	t.Helper()
	dir, err := Locate()
	if err != nil {
		t.Fatalf("locate the shared OCSF schema: %v", err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return s
}

// validFinding is a minimal, hand-built Compliance Finding that the schema
// accepts; each subtest below breaks it in one way.
func validFinding() map[string]any {
	return map[string]any{
		"activity_id":   1,
		"activity_name": "Create",
		"category_uid":  2,
		"category_name": "Findings",
		"class_uid":     2003,
		"class_name":    "Compliance Finding",
		"type_uid":      200301,
		"type_name":     "Compliance Finding: Create",
		"severity_id":   4,
		"severity":      "High",
		"status_id":     1,
		"status":        "New",
		"time":          1763971200000,
		"time_dt":       "2025-11-24T08:00:00Z",
		"metadata": map[string]any{
			"version":  "1.9.0-dev",
			"profiles": []any{"cloud", "datetime"},
			"product":  map[string]any{"name": "kmsguard", "vendor_name": "kmsguard"},
		},
		"cloud": map[string]any{"provider": "AWS", "region": "eu-west-1",
			"account": map[string]any{"uid": "111122223333", "type_id": 10, "type": "AWS Account"}},
		"finding_info": map[string]any{"uid": "kmsguard/KMS.4/abc", "title": "Key rotation disabled"},
		"compliance": map[string]any{"control": "KMS.4", "status_id": 3, "status": "Fail",
			"standards": []any{"AWS Foundational Security Best Practices"}},
		"resources": []any{map[string]any{"uid": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"type": "AWS::KMS::Key", "region": "eu-west-1", "role_id": 1, "role": "Target"}},
		"remediation": map[string]any{"desc": "Enable automatic rotation."},
	}
}

func TestValidate(t *testing.T) {
	s := loadSchema(t)
	tests := []struct {
		name   string
		mutate func(ev map[string]any)
		want   []string // substrings of "path: message", one per expected error
	}{
		{name: "valid", mutate: func(map[string]any) {}},
		{name: "missing required top-level", mutate: func(ev map[string]any) { delete(ev, "finding_info") },
			want: []string{"finding_info: required attribute of compliance_finding is missing"}},
		{name: "missing required nested", mutate: func(ev map[string]any) { delete(ev["remediation"].(map[string]any), "desc") },
			want: []string{"remediation.desc: required attribute of remediation is missing"}},
		{name: "bad enum", mutate: func(ev map[string]any) { ev["compliance"].(map[string]any)["status_id"] = 7 },
			want: []string{"compliance.status_id: 7 is not one of 0, 1, 2, 3, 99"}},
		{name: "label does not match enum caption", mutate: func(ev map[string]any) { ev["severity"] = "Critical" },
			want: []string{`severity: is "Critical", but severity_id 4 means "High"`}},
		{name: "other without label", mutate: func(ev map[string]any) {
			ev["compliance"].(map[string]any)["status_id"] = 99
			delete(ev["compliance"].(map[string]any), "status")
		}, want: []string{"compliance.status: must hold the source-specific label"}},
		{name: "wrong type", mutate: func(ev map[string]any) { ev["time"] = "yesterday" },
			want: []string{"time: want timestamp_t (integer), got string"}},
		{name: "string where array", mutate: func(ev map[string]any) { ev["compliance"].(map[string]any)["standards"] = "CIS" },
			want: []string{"compliance.standards: want an array of string_t, got string"}},
		{name: "unknown attribute", mutate: func(ev map[string]any) { ev["finding_info"].(map[string]any)["colour"] = "red" },
			want: []string{"finding_info.colour: unknown attribute for finding_info"}},
		{name: "profile attribute without the profile", mutate: func(ev map[string]any) {
			ev["metadata"].(map[string]any)["profiles"] = []any{"datetime"}
		}, want: []string{
			`cloud: attribute of profile "cloud", which metadata.profiles does not apply`,
			`resources[0].region: attribute of profile "cloud"`,
		}},
		{name: "datetime sibling needs the profile", mutate: func(ev map[string]any) {
			ev["metadata"].(map[string]any)["profiles"] = []any{"cloud"}
		}, want: []string{"time_dt: unknown attribute"}},
		{name: "bad datetime", mutate: func(ev map[string]any) { ev["time_dt"] = "24/11/2025" },
			want: []string{`time_dt: "24/11/2025" does not match the datetime_t pattern`}},
		{name: "required attribute of an applied profile", mutate: func(ev map[string]any) { delete(ev, "cloud") },
			want: []string{"cloud: required attribute of compliance_finding is missing"}},
		{name: "unknown profile", mutate: func(ev map[string]any) {
			ev["metadata"].(map[string]any)["profiles"] = []any{"cloud", "datetime", "nope"}
		}, want: []string{`metadata.profiles[2]: unknown profile "nope"`}},
		{name: "type_uid inconsistent", mutate: func(ev map[string]any) { ev["type_uid"] = 200302 },
			want: []string{"type_uid: is 200302, want class_uid*100+activity_id = 200301"}},
		{name: "wrong class name", mutate: func(ev map[string]any) { ev["class_name"] = "Detection Finding" },
			want: []string{`class_name: is "Detection Finding", want "Compliance Finding"`}},
		{name: "unknown class", mutate: func(ev map[string]any) { ev["class_uid"] = 2999 },
			want: []string{"class_uid: no event class with uid 2999"}},
		{name: "constraint at_least_one", mutate: func(ev map[string]any) {
			ev["resources"] = []any{map[string]any{"type": "AWS::KMS::Key"}}
		}, want: []string{"resources[0]: resource_details needs at least one of name, uid"}},
		{name: "null value", mutate: func(ev map[string]any) { ev["message"] = nil },
			want: []string{"message: null is not a string_t"}},
		{name: "integer out of range", mutate: func(ev map[string]any) { ev["activity_id"] = 1 << 40; ev["type_uid"] = nil },
			want: []string{"activity_id: 1099511627776 does not fit", "activity_id: 1099511627776 is not one of", "type_uid: null is not a long_t"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := validFinding()
			tc.mutate(ev)
			// Round-trip through JSON so numbers arrive as they do from a file.
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			res := s.ValidateJSON(b)
			if len(res.Errors) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(res.Errors), len(tc.want), problems(res.Errors))
			}
			for i, w := range tc.want {
				if !strings.Contains(res.Errors[i].String(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, res.Errors[i], w)
				}
			}
		})
	}
}

func TestValidateWarnsOnRecommended(t *testing.T) {
	s := loadSchema(t)
	b, _ := json.Marshal(validFinding())
	res := s.ValidateJSON(b)
	if !hasProblem(res.Warnings, "message: recommended attribute of compliance_finding is missing") {
		t.Errorf("want a warning for the missing recommended message, got:\n%s", problems(res.Warnings))
	}
}

func TestValidateNotJSON(t *testing.T) {
	s := loadSchema(t)
	valid, _ := json.Marshal(validFinding())
	for name, in := range map[string][]byte{
		"array":         []byte(`[1,2]`),
		"truncated":     valid[:len(valid)/2],
		"trailing data": append(append([]byte{}, valid...), []byte(` {"x":1}`)...),
	} {
		t.Run(name, func(t *testing.T) {
			res := s.ValidateJSON(in)
			if len(res.Errors) != 1 || res.Errors[0].Path != "$" {
				t.Errorf("got %v, want one error at $", res.Errors)
			}
		})
	}
}

// TestResolveWholeSchema resolves every class and object, so the loader's
// reading of extends, $include and the dictionary holds for all of them.
func TestResolveWholeSchema(t *testing.T) {
	s := loadSchema(t)
	for name := range s.events {
		if _, err := s.Class(name); err != nil {
			t.Errorf("class %s: %v", name, err)
		}
	}
	for name := range s.objects {
		if _, err := s.Object(name); err != nil {
			t.Errorf("object %s: %v", name, err)
		}
	}
	cf, err := s.Class("compliance_finding")
	if err != nil {
		t.Fatal(err)
	}
	if cf.ClassUID != 2003 {
		t.Errorf("compliance_finding class_uid = %d, want 2003", cf.ClassUID)
	}
	// finding_info comes from finding, metadata from base_event, cloud from
	// the cloud profile that base_event includes.
	for name, want := range map[string]string{"finding_info": "required", "metadata": "required", "compliance": "required", "cloud": "required"} {
		a := cf.Attrs[name]
		if a == nil || a.Requirement != want {
			t.Errorf("compliance_finding.%s = %+v, want requirement %s", name, a, want)
		}
	}
	if got := cf.Attrs["cloud"].Profile; got != "cloud" {
		t.Errorf("cloud attribute profile = %q, want cloud", got)
	}
	if got := cf.Attrs["confidence_id"].Profile; got != "" {
		t.Errorf("finding sets confidence_id's profile to null; got %q", got)
	}
	if got := cf.Attrs["status_id"].Enum["3"]; got != "Suppressed" {
		t.Errorf("finding status_id 3 = %q, want Suppressed (class enum merged over dictionary)", got)
	}
	if got := cf.Attrs["status_id"].Enum["99"]; got != "Other" {
		t.Errorf("finding status_id 99 = %q, want Other from the dictionary", got)
	}
	df, _ := s.Class("detection_finding")
	if df.ClassUID != 2004 {
		t.Errorf("detection_finding class_uid = %d, want 2004", df.ClassUID)
	}
}

func hasProblem(ps []Problem, want string) bool {
	for _, p := range ps {
		if strings.Contains(p.String(), want) {
			return true
		}
	}
	return false
}

func problems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
