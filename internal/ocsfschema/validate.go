package ocsfschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Problem is one way an event departs from the schema. Path is a JSON path
// into the event, e.g. "finding_info.uid" or "resources[0].type".
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Result holds what Validate found: Errors make the event invalid; Warnings
// are missing recommended attributes and deprecated ones.
type Result struct {
	Errors   []Problem
	Warnings []Problem
}

// ValidateJSON decodes one JSON event and validates it.
func (s *Schema) ValidateJSON(data []byte) Result {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var ev map[string]any
	if err := dec.Decode(&ev); err != nil {
		return Result{Errors: []Problem{{Path: "$", Message: "not a JSON object: " + err.Error()}}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return Result{Errors: []Problem{{Path: "$", Message: fmt.Sprintf("trailing data after the event at offset %d", dec.InputOffset())}}}
	}
	return s.Validate(ev)
}

// Validate checks one decoded event (numbers as json.Number or float64)
// against the class its class_uid names: classification fields, profiles,
// required and unknown attributes, data types, enums and their labels, and
// object constraints, recursively into objects and arrays.
func (s *Schema) Validate(ev map[string]any) Result {
	v := &validator{s: s, profiles: map[string]bool{}}
	classUID, ok := intValue(ev["class_uid"])
	if !ok {
		v.errorf("class_uid", "missing or not an integer")
		return v.res
	}
	name, ok := s.classByUID[int(classUID)]
	if !ok {
		v.errorf("class_uid", "no event class with uid %d", classUID)
		return v.res
	}
	class, err := s.Class(name)
	if err != nil {
		v.errorf("$", "%v", err)
		return v.res
	}
	v.checkProfiles(ev, class)
	if md, ok := ev["metadata"].(map[string]any); ok {
		if want, err := s.Version(); err == nil && md["version"] != want {
			v.warnf("metadata.version", "is %v, the schema validated against is %s", md["version"], want)
		}
	}
	v.checkClassification(ev, class)
	v.object("", ev, class)
	sortProblems(v.res.Errors)
	sortProblems(v.res.Warnings)
	return v.res
}

// isClassification reports the attributes whose enums are placeholders in the
// schema files (the OCSF server generates the real ones); checkClassification
// checks them instead.
func isClassification(name string) bool {
	return name == "class_uid" || name == "category_uid" || name == "type_uid"
}

type validator struct {
	s        *Schema
	profiles map[string]bool
	res      Result
}

func (v *validator) errorf(path, format string, args ...any) {
	v.res.Errors = append(v.res.Errors, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) warnf(path, format string, args ...any) {
	v.res.Warnings = append(v.res.Warnings, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// checkProfiles reads metadata.profiles: only the attributes of applied
// profiles may appear, and their required attributes must.
func (v *validator) checkProfiles(ev map[string]any, class *Type) {
	md, _ := ev["metadata"].(map[string]any)
	list, _ := md["profiles"].([]any)
	for i, p := range list {
		name, _ := p.(string)
		if _, err := os.Stat(filepath.Join(v.s.dir, "profiles", name+".json")); name == "" || err != nil {
			v.errorf(fmt.Sprintf("metadata.profiles[%d]", i), "unknown profile %q", p)
			continue
		}
		v.profiles[name] = true
	}
}

func (v *validator) checkClassification(ev map[string]any, class *Type) {
	cat := v.s.categories[class.Category]
	if got, ok := intValue(ev["category_uid"]); ok && int(got) != cat.uid {
		v.errorf("category_uid", "is %d, class %s is in category %d", got, class.Name, cat.uid)
	}
	if got, ok := ev["category_name"].(string); ok && got != cat.caption {
		v.errorf("category_name", "is %q, want %q", got, cat.caption)
	}
	if got, ok := ev["class_name"].(string); ok && got != class.Caption {
		v.errorf("class_name", "is %q, want %q", got, class.Caption)
	}
	activity, ok := intValue(ev["activity_id"])
	if !ok {
		return
	}
	want := int64(class.ClassUID)*100 + activity
	if got, ok := intValue(ev["type_uid"]); ok && got != want {
		v.errorf("type_uid", "is %d, want class_uid*100+activity_id = %d", got, want)
	}
	if got, ok := ev["type_name"].(string); ok {
		label := class.Attrs["activity_id"].Enum[strconv.FormatInt(activity, 10)]
		if activity == 99 {
			label, _ = ev["activity_name"].(string)
		}
		if wantName := class.Caption + ": " + label; label != "" && got != wantName {
			v.errorf("type_name", "is %q, want %q", got, wantName)
		}
	}
}

// object validates the members of one JSON object against a resolved type.
func (v *validator) object(path string, obj map[string]any, t *Type) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := join(path, k)
		a, ok := t.Attrs[k]
		if !ok {
			if base, isDT := strings.CutSuffix(k, "_dt"); isDT && v.profiles["datetime"] && t.Attrs[base] != nil && t.Attrs[base].Type == "timestamp_t" {
				v.value(p, obj[k], &Attr{Name: k, Type: "datetime_t"})
				continue
			}
			v.errorf(p, "unknown attribute for %s", t.Name)
			continue
		}
		if a.Profile != "" && !v.profiles[a.Profile] {
			v.errorf(p, "attribute of profile %q, which metadata.profiles does not apply", a.Profile)
			continue
		}
		if a.Deprecated {
			v.warnf(p, "deprecated")
		}
		v.value(p, obj[k], a)
	}
	for _, name := range sortedAttrNames(t) {
		a := t.Attrs[name]
		if _, present := obj[name]; present || (a.Profile != "" && !v.profiles[a.Profile]) {
			continue
		}
		switch a.Requirement {
		case "required":
			v.errorf(join(path, name), "required attribute of %s is missing", t.Name)
		case "recommended":
			v.warnf(join(path, name), "recommended attribute of %s is missing", t.Name)
		}
	}
	v.constraints(path, obj, t)
	v.siblings(path, obj, t)
}

func (v *validator) constraints(path string, obj map[string]any, t *Type) {
	for kind, names := range t.Constraints {
		n := 0
		for _, name := range names {
			if _, ok := obj[name]; ok {
				n++
			}
		}
		switch {
		case kind == "at_least_one" && n == 0:
			v.errorf(orRoot(path), "%s needs at least one of %s", t.Name, strings.Join(names, ", "))
		case kind == "just_one" && n != 1:
			v.errorf(orRoot(path), "%s needs exactly one of %s, has %d", t.Name, strings.Join(names, ", "), n)
		}
	}
}

// siblings checks that an enum's label attribute (e.g. severity for
// severity_id) is the caption of the id, or is present for 99 (Other).
func (v *validator) siblings(path string, obj map[string]any, t *Type) {
	for _, name := range sortedAttrNames(t) {
		a := t.Attrs[name]
		if a.Sibling == "" || a.Enum == nil || a.IsArray {
			continue
		}
		id, ok := intValue(obj[name])
		if !ok {
			continue
		}
		label, hasLabel := obj[a.Sibling].(string)
		caption, known := a.Enum[strconv.FormatInt(id, 10)]
		switch {
		case id == 99 && !hasLabel:
			v.errorf(join(path, a.Sibling), "must hold the source-specific label when %s is 99 (Other)", name)
		case id != 99 && hasLabel && known && label != caption:
			v.errorf(join(path, a.Sibling), "is %q, but %s %d means %q", label, name, id, caption)
		}
	}
}

func sortedAttrNames(t *Type) []string {
	names := make([]string, 0, len(t.Attrs))
	for n := range t.Attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "$"
	}
	return path
}
