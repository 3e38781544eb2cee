// Package ocsfschema loads an OCSF schema directory (the ocsf-schema
// repository layout: dictionary.json, categories.json, events/, objects/,
// profiles/) and validates events against it. Report tests use it to prove
// that kmsguard's OCSF output is valid; the product never needs the schema
// at run time.
package ocsfschema

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Schema is a loaded, unresolved OCSF schema. Classes and objects are
// resolved (extends, $include, dictionary) lazily and cached.
type Schema struct {
	dir        string
	dict       map[string]map[string]any // dictionary attributes
	types      map[string]map[string]any // dictionary data types (string_t, ...)
	categories map[string]category
	events     map[string]map[string]any // class name -> raw file
	objects    map[string]map[string]any // object name -> raw file
	classByUID map[int]string

	resolved map[string]*Type // "event:name" or "object:name"
	rawAttrs map[string]map[string]map[string]any
}

type category struct {
	uid     int
	caption string
}

// Load reads the schema rooted at dir.
func Load(dir string) (*Schema, error) {
	s := &Schema{
		dir:        dir,
		categories: map[string]category{},
		events:     map[string]map[string]any{},
		objects:    map[string]map[string]any{},
		classByUID: map[int]string{},
		resolved:   map[string]*Type{},
		rawAttrs:   map[string]map[string]map[string]any{},
	}
	dict, err := readJSON(filepath.Join(dir, "dictionary.json"))
	if err != nil {
		return nil, err
	}
	s.dict = mapOfMaps(dict["attributes"])
	s.types = mapOfMaps(asMap(dict["types"])["attributes"])
	cats, err := readJSON(filepath.Join(dir, "categories.json"))
	if err != nil {
		return nil, err
	}
	for name, c := range mapOfMaps(cats["attributes"]) {
		s.categories[name] = category{uid: toInt(c["uid"]), caption: str(c["caption"])}
	}
	if err := s.readDefinitions("events", s.events); err != nil {
		return nil, err
	}
	if err := s.readDefinitions("objects", s.objects); err != nil {
		return nil, err
	}
	for name := range s.events {
		t, err := s.Class(name)
		if err != nil {
			return nil, err
		}
		if t.ClassUID > 0 {
			if other, dup := s.classByUID[t.ClassUID]; dup {
				return nil, fmt.Errorf("class_uid %d defined by both %s and %s", t.ClassUID, other, name)
			}
			s.classByUID[t.ClassUID] = name
		}
	}
	return s, nil
}

func (s *Schema) readDefinitions(sub string, into map[string]map[string]any) error {
	root := filepath.Join(s.dir, sub)
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		def, err := readJSON(path)
		if err != nil {
			return err
		}
		name := str(def["name"])
		if name == "" {
			return fmt.Errorf("%s: definition has no name", path)
		}
		if _, dup := into[name]; dup {
			return fmt.Errorf("%s: %s %q defined twice", path, sub, name)
		}
		into[name] = def
		return nil
	})
}

// Locate finds the shared ocsf-schema directory for tests: $KMSGUARD_SHARED
// if set, otherwise the nearest ancestor of the working directory holding
// shared/DESIGN.md.
func Locate() (string, error) {
	if dir := os.Getenv("KMSGUARD_SHARED"); dir != "" {
		return filepath.Join(dir, "ocsf-schema"), nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "shared", "DESIGN.md")); err == nil {
			return filepath.Join(dir, "shared", "ocsf-schema"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no shared/DESIGN.md above the working directory; set KMSGUARD_SHARED to the shared directory")
		}
		dir = parent
	}
}

// Version returns the schema version from version.json.
func (s *Schema) Version() (string, error) {
	v, err := readJSON(filepath.Join(s.dir, "version.json"))
	if err != nil {
		return "", err
	}
	return str(v["version"]), nil
}

func readJSON(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func mapOfMaps(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, x := range asMap(v) {
		if m, ok := x.(map[string]any); ok {
			out[k] = m
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func toInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}
