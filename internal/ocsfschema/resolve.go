package ocsfschema

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

// Type is a resolved event class or object: its own attributes merged over
// those of what it extends and of the profiles it includes, each completed
// from the dictionary.
type Type struct {
	Name        string
	Caption     string
	Category    string // event classes only
	ClassUID    int    // event classes only; 0 for abstract classes
	Profiles    []string
	Attrs       map[string]*Attr
	Constraints map[string][]string // at_least_one, just_one
}

// Attr is one resolved attribute.
type Attr struct {
	Name        string
	Type        string // a dictionary data type (string_t, ...) or an object name
	IsArray     bool
	Requirement string // required, recommended, optional
	Profile     string // the profile that must be applied for the attribute to exist
	Enum        map[string]string
	Sibling     string // the label attribute of an _id enum
	Deprecated  bool
}

// Class resolves an event class by name (e.g. "compliance_finding").
func (s *Schema) Class(name string) (*Type, error) { return s.resolve("event", name, nil) }

// Object resolves an object type by name (e.g. "finding_info").
func (s *Schema) Object(name string) (*Type, error) { return s.resolve("object", name, nil) }

func (s *Schema) resolve(kind, name string, seen []string) (*Type, error) {
	key := kind + ":" + name
	if t, ok := s.resolved[key]; ok {
		return t, nil
	}
	for _, n := range seen {
		if n == name {
			return nil, fmt.Errorf("%s %s: extends cycle %v", kind, name, seen)
		}
	}
	defs := s.objects
	if kind == "event" {
		defs = s.events
	}
	def, ok := defs[name]
	if !ok {
		return nil, fmt.Errorf("unknown %s %q", kind, name)
	}
	raw := map[string]map[string]any{}
	t := &Type{Name: name, Caption: str(def["caption"]), Constraints: map[string][]string{}}
	if parent := str(def["extends"]); parent != "" {
		pt, err := s.resolve(kind, parent, append(seen, name))
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind, name, err)
		}
		for k, a := range s.rawAttrs[pt.key(kind)] {
			raw[k] = a
		}
		t.Category = pt.Category
		t.Profiles = append(t.Profiles, pt.Profiles...)
		for k, v := range pt.Constraints {
			t.Constraints[k] = v
		}
	}
	if c := str(def["category"]); c != "" {
		t.Category = c
	}
	profs, _ := def["profiles"].([]any)
	for _, p := range profs {
		t.Profiles = appendUnique(t.Profiles, str(p))
	}
	attrs := asMap(def["attributes"])
	if inc, ok := attrs["$include"].([]any); ok {
		for _, path := range inc {
			prof, err := readJSON(filepath.Join(s.dir, str(path)))
			if err != nil {
				return nil, fmt.Errorf("%s %s: $include: %w", kind, name, err)
			}
			profile := ""
			if str(prof["meta"]) == "profile" {
				profile = str(prof["name"])
			}
			for k, a := range mapOfMaps(prof["attributes"]) {
				a = deepMerge(nil, a)
				if _, set := a["profile"]; !set && profile != "" {
					a["profile"] = profile
				}
				raw[k] = deepMerge(raw[k], a)
			}
		}
	}
	for k, a := range mapOfMaps(attrs) {
		raw[k] = deepMerge(raw[k], a)
	}
	for k, v := range asMap(def["constraints"]) {
		var names []string
		list, _ := v.([]any)
		for _, n := range list {
			names = append(names, str(n))
		}
		t.Constraints[k] = names
	}
	if kind == "event" {
		if uid, ok := def["uid"]; ok {
			cat, ok := s.categories[t.Category]
			if !ok {
				return nil, fmt.Errorf("event %s: unknown category %q", name, t.Category)
			}
			t.ClassUID = cat.uid*1000 + toInt(uid)
		}
	}
	t.Attrs = map[string]*Attr{}
	for k, a := range raw {
		attr, err := s.completeAttr(k, a)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind, name, err)
		}
		t.Attrs[k] = attr
	}
	s.rawAttrs[t.key(kind)] = raw
	s.resolved[key] = t
	return t, nil
}

func (t *Type) key(kind string) string { return kind + ":" + t.Name }

// completeAttr merges a class or object attribute over its dictionary entry.
func (s *Schema) completeAttr(name string, local map[string]any) (*Attr, error) {
	d, ok := s.dict[name]
	if !ok {
		return nil, fmt.Errorf("attribute %q is not in the dictionary", name)
	}
	m := deepMerge(deepMerge(nil, d), local)
	a := &Attr{
		Name:        name,
		Type:        str(m["type"]),
		Requirement: str(m["requirement"]),
		Profile:     str(m["profile"]),
		Sibling:     str(m["sibling"]),
	}
	if a.Requirement == "" {
		a.Requirement = "optional"
	}
	a.IsArray, _ = m["is_array"].(bool)
	_, a.Deprecated = m["@deprecated"]
	if e := asMap(m["enum"]); len(e) > 0 {
		a.Enum = map[string]string{}
		for k, v := range e {
			a.Enum[k] = str(asMap(v)["caption"])
		}
	}
	if a.Type == "" {
		return nil, fmt.Errorf("attribute %q has no type", name)
	}
	return a, nil
}

// EnumKeys lists an attribute's enum values in numeric order, for messages.
func (a *Attr) EnumKeys() []string {
	keys := make([]string, 0, len(a.Enum))
	for k := range a.Enum {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		x, errX := strconv.Atoi(keys[i])
		y, errY := strconv.Atoi(keys[j])
		if errX == nil && errY == nil {
			return x < y
		}
		return keys[i] < keys[j]
	})
	return keys
}

// deepMerge returns a copy of base with over merged into it: nested maps are
// merged, everything else (including an explicit null) is replaced.
func deepMerge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if om, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = deepMerge(bm, om)
				continue
			}
			out[k] = deepMerge(nil, om)
			continue
		}
		out[k] = v
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// dataType is a resolved dictionary data type with the constraints of its
// whole chain (e.g. timestamp_t -> long_t).
type dataType struct {
	base   string // string_t, integer_t, long_t, float_t, boolean_t, json_t
	regex  []*regexp.Regexp
	maxLen int
	rng    []float64
}

func (s *Schema) dataType(name string) (*dataType, bool) {
	if _, ok := s.types[name]; !ok {
		return nil, false
	}
	dt := &dataType{}
	for n := name; n != ""; {
		t := s.types[n]
		if r := str(t["regex"]); r != "" {
			if re, err := regexp.Compile(r); err == nil {
				dt.regex = append(dt.regex, re)
			}
		}
		if ml := toInt(t["max_len"]); ml > 0 && (dt.maxLen == 0 || ml < dt.maxLen) {
			dt.maxLen = ml
		}
		if r, ok := t["range"].([]any); ok && len(r) == 2 {
			lo, _ := r[0].(float64)
			hi, _ := r[1].(float64)
			dt.rng = []float64{lo, hi}
		}
		dt.base = n
		n = str(t["type"])
	}
	return dt, true
}
