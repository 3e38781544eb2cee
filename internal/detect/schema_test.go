package detect

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// jsonValue converts a YAML node into the JSON value the Sigma JSON schemas
// describe. Timestamps stay strings (Sigma dates are YYYY-MM-DD text).
func jsonValue(t testing.TB, n *yaml.Node) any {
	t.Helper()
	switch n.Kind {
	case yaml.DocumentNode:
		return jsonValue(t, n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = jsonValue(t, n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		out := []any{}
		for _, el := range n.Content {
			out = append(out, jsonValue(t, el))
		}
		return out
	case yaml.AliasNode:
		return jsonValue(t, n.Alias)
	}
	switch n.ShortTag() {
	case "!!int":
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			t.Fatalf("line %d: %v", n.Line, err)
		}
		return i
	case "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			t.Fatalf("line %d: %v", n.Line, err)
		}
		return f
	case "!!bool":
		return n.Value == "true"
	case "!!null":
		return nil
	}
	return n.Value
}

func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(sharedDir(t), "sigma-specification", "json-schema", name)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return s
}

func yamlDoc(t *testing.T, data []byte) any {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	return jsonValue(t, &n)
}

// TestBuiltinRulesValidateAgainstSigmaSchema validates every built-in file
// (one document each) against the detection rule schema, or the
// correlation rule schema for correlations.
func TestBuiltinRulesValidateAgainstSigmaSchema(t *testing.T) {
	schema := compileSchema(t, "sigma-detection-rule-schema.json")
	corrSchema := compileSchema(t, "sigma-correlation-rules-schema.json")
	correlations := 0
	files, err := builtinFS.ReadDir("rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 9 {
		t.Fatalf("only %d built-in rule files", len(files))
	}
	for _, f := range files {
		t.Run(f.Name(), func(t *testing.T) {
			data, err := builtinFS.ReadFile("rules/" + f.Name())
			if err != nil {
				t.Fatal(err)
			}
			doc := yamlDoc(t, data)
			s := schema
			if m, ok := doc.(map[string]any); ok && m["correlation"] != nil {
				s = corrSchema
				correlations++
			}
			if err := s.Validate(doc); err != nil {
				t.Errorf("schema: %v", err)
			}
		})
	}
	if correlations < 2 {
		t.Errorf("only %d built-in correlation rules", correlations)
	}
}

// TestSpecificationTestFiles loads the Sigma specification's own test
// files: detection rules and filters parse (the engine then rejects
// non-CloudTrail logsources, a documented limit); correlation rules of the
// four supported types parse, value_sum, value_avg and value_percentile are
// rejected as unsupported, and ecs taxonomy is rejected.
func TestSpecificationTestFiles(t *testing.T) {
	root := filepath.Join(sharedDir(t), "sigma-specification", "tests", "schema")
	paths, err := filepath.Glob(filepath.Join(root, "*", "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no specification test files under %s (%v)", root, err)
	}
	for _, p := range paths {
		kind := filepath.Base(filepath.Dir(p))
		t.Run(kind+"/"+filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if kind == "correlation" {
				checkSpecCorrelation(t, p, data)
				return
			}
			rules, filters, err := ParseFile(p, data)
			switch kind {
			case "rules":
				if err != nil || len(rules) != 1 {
					t.Fatalf("valid rule rejected: %v", err)
				}
				_, err := NewEngine(RuleSet{Rules: rules}, Options{})
				if err == nil || !strings.Contains(err.Error(), "is not supported: kmsguard evaluates product: aws, service: cloudtrail") {
					t.Errorf("engine error = %v, want the logsource limit", err)
				}
			case "filter":
				if err != nil || len(filters) != 1 || len(filters[0].Rules) != 2 {
					t.Fatalf("valid filter rejected: %v", err)
				}
			default:
				t.Fatalf("unknown test directory %s", kind)
			}
		})
	}
}

// TestParserAgreesWithSchema mutates the specification's sample rule and
// checks that the JSON schema and the parser accept and reject the same
// documents.
func TestParserAgreesWithSchema(t *testing.T) {
	schema := compileSchema(t, "sigma-detection-rule-schema.json")
	base, err := os.ReadFile(filepath.Join(sharedDir(t), "sigma-specification", "tests", "schema", "rules", "rule_1.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(string) string
		valid  bool
	}{
		{"unchanged", func(s string) string { return s }, true},
		{"no title", func(s string) string { return strings.Replace(s, "title: A Title\n", "", 1) }, false},
		{"no logsource", func(s string) string {
			return strings.Replace(s, "logsource:\n    product: windows\n    service: application\n", "", 1)
		}, false},
		{"no detection", func(s string) string {
			return strings.Replace(s, "detection:\n    selection:\n        Provider_Name: 'Application Error'\n    condition: selection\n", "", 1)
		}, false},
		{"no condition", func(s string) string { return strings.Replace(s, "    condition: selection\n", "", 1) }, false},
		{"bad level", func(s string) string { return strings.Replace(s, "level: high", "level: severe", 1) }, false},
		{"bad id", func(s string) string {
			return strings.Replace(s, "id: 545a5da6-f103-4919-a519-e9aec1026ee4", "id: not-a-uuid", 1)
		}, false},
		{"bad status", func(s string) string { return strings.Replace(s, "status: test", "status: done", 1) }, false},
		{"bad date", func(s string) string { return strings.Replace(s, "date: 2017-05-09", "date: 2017-13-09", 1) }, false},
		{"bad tag", func(s string) string { return strings.Replace(s, "attack.t1211", "Attack T1211", 1) }, false},
		{"custom attribute", func(s string) string { return s + "kmsguard:\n    guide: check it\n" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.mutate(string(base))
			if doc == string(base) && tt.name != "unchanged" && tt.name != "custom attribute" {
				t.Fatal("mutation did not apply")
			}
			schemaErr := schema.Validate(yamlDoc(t, []byte(doc)))
			_, _, parseErr := ParseFile("rule_1.yml", []byte(doc))
			if (schemaErr == nil) != tt.valid {
				t.Errorf("schema valid = %v, want %v (%v)", schemaErr == nil, tt.valid, schemaErr)
			}
			if (parseErr == nil) != tt.valid {
				t.Errorf("parser valid = %v, want %v (%v)", parseErr == nil, tt.valid, parseErr)
			}
		})
	}
}

func TestFilterExampleValidatesAgainstSigmaSchema(t *testing.T) {
	schema := compileSchema(t, "sigma-filters-schema.json")
	paths, err := filepath.Glob("testdata/filters/*.yml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no filter examples (%v)", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(yamlDoc(t, data)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
