package detect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/severity"
)

func TestParseCorrelationRejects(t *testing.T) {
	doc := func(body string) string {
		return "title: c\nid: 0e95725d-7320-415d-80f7-004da920fc11\ncorrelation:\n" + body
	}
	const ok = "    type: event_count\n    rules: [a1]\n    group-by: [x]\n    timespan: 10m\n    condition: {gte: 3}\n"
	tests := []struct{ name, yml, want string }{
		{"value_sum", doc("    type: value_sum\n    rules: [a1]\n    group-by: [x]\n    timespan: 1h\n    condition: {field: b, gt: 1}\n"), "correlation.type value_sum is not supported"},
		{"unknown type", doc(strings.Replace(ok, "event_count", "counting", 1)), `correlation.type "counting"`},
		{"no type", doc(strings.Replace(ok, "    type: event_count\n", "", 1)), "correlation.type is required"},
		{"unknown attribute", doc(ok + "    window: 5m\n"), "correlation.window: line 9: unknown attribute"},
		{"no rules", doc(strings.Replace(ok, "    rules: [a1]\n", "", 1)), "correlation.rules is required"},
		{"rule listed twice", doc(strings.Replace(ok, "[a1]", "[a1, a1]", 1)), `"a1" is listed twice`},
		{"temporal with one rule", doc(strings.Replace(strings.Replace(ok, "event_count", "temporal", 1), "    condition: {gte: 3}\n", "", 1)), "temporal needs at least two rules"},
		{"no group-by", doc(strings.Replace(ok, "    group-by: [x]\n", "", 1)), "correlation.group-by is required"},
		{"no timespan", doc(strings.Replace(ok, "    timespan: 10m\n", "", 1)), "correlation.timespan is required"},
		{"bad timespan unit", doc(strings.Replace(ok, "10m", "10w", 1)), `correlation.timespan "10w"`},
		{"upper-case unit", doc(strings.Replace(ok, "10m", "10M", 1)), `correlation.timespan "10M"`},
		{"zero timespan", doc(strings.Replace(ok, "10m", "0s", 1)), `correlation.timespan "0s"`},
		{"huge timespan", doc(strings.Replace(ok, "10m", "99999d", 1)), "longer than 30 days"},
		{"no condition", doc(strings.Replace(ok, "    condition: {gte: 3}\n", "", 1)), "correlation.condition is required for event_count"},
		{"unknown operator", doc(strings.Replace(ok, "gte: 3", "ge: 3", 1)), "correlation.condition.ge"},
		{"negative bound", doc(strings.Replace(ok, "gte: 3", "gte: -1", 1)), "want a non-negative integer"},
		{"no lower bound", doc(strings.Replace(ok, "gte: 3", "lt: 3", 1)), "has no lower bound"},
		{"neq alone", doc(strings.Replace(ok, "gte: 3", "neq: 3", 1)), "has no lower bound"},
		{"field on event_count", doc(strings.Replace(ok, "gte: 3", "gte: 3, field: y", 1)), "only value_count takes a field"},
		{"value_count without field", doc(strings.Replace(ok, "event_count", "value_count", 1)), "correlation.condition.field is required for value_count"},
		{"value_count with a field list", doc(strings.Replace(strings.Replace(ok, "event_count", "value_count", 1), "gte: 3", "gte: 3, field: [a, b]", 1)), "lists of fields are not supported"},
		{"temporal_ordered with condition", doc("    type: temporal_ordered\n    rules: [a1, b1]\n    group-by: [x]\n    timespan: 1h\n    condition: {gte: 1}\n"), "not supported for temporal_ordered"},
		{"alias for an unknown rule", doc(ok + "    aliases:\n        x:\n            b1: y\n"), `correlation.aliases.x: "b1" is not one of correlation.rules`},
		{"logsource", doc(ok) + "logsource: {product: aws, service: cloudtrail}\n", "has no logsource or detection"},
		{"bad level", doc(ok) + "level: severe\n", `level "severe"`},
		{"ecs taxonomy", doc(ok) + "taxonomy: ecs\n", `taxonomy "ecs" is not supported`},
		{"details", doc(ok) + "kmsguard:\n    details: {a: b}\n", "kmsguard.details: not supported on correlation rules"},
		{"single-event sample", doc(ok) + "kmsguard:\n    tests:\n        match:\n            - name: one\n              event: '{}'\n", "correlation samples take events"},
		{"generate on a detection rule", "title: t\nid: 11111111-2222-4333-8444-555555555555\ngenerate: true\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: {a: b}, condition: sel}\n", "generate belongs to correlation rules"},
		{"events on a detection rule", "title: t\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: {a: b}, condition: sel}\nkmsguard:\n    tests:\n        match:\n            - name: seq\n              events: ['{}']\n", "events (a sequence) is for correlation rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRuleSet("mr_test.yml", []byte(tt.yml))
			if err == nil || !strings.HasPrefix(err.Error(), "mr_test.yml") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want the file and %q", err, tt.want)
			}
		})
	}
}

func TestParseCorrelation(t *testing.T) {
	set, err := ParseRuleSet("mr.yml", []byte(corrBaseRules+`---
title: Value count
id: 0e95725d-7320-415d-80f7-004da920fc11
level: critical
generate: true
correlation:
    type: value_count
    rules: [base_a, 00000000-0000-4000-8000-00000000000b]
    group-by: [userIdentity.arn, awsRegion]
    timespan: 90m
    condition: {field: kmsguard.key.arn, gt: 1, lte: 5}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) != 3 || len(set.Correlations) != 1 {
		t.Fatalf("%d rules and %d correlations", len(set.Rules), len(set.Correlations))
	}
	k := set.Correlations[0]
	one, five := int64(1), int64(5)
	want := &Correlation{File: "mr.yml", ID: "0e95725d-7320-415d-80f7-004da920fc11", Title: "Value count", Level: severity.Critical,
		Type: ValueCount, Rules: []string{"base_a", "00000000-0000-4000-8000-00000000000b"}, GroupBy: []string{"userIdentity.arn", "awsRegion"},
		Timespan: 90 * time.Minute, Condition: CountCondition{GT: &one, LTE: &five}, Field: "kmsguard.key.arn", Generate: true}
	if diff := cmp.Diff(want, k); diff != "" {
		t.Errorf("correlation (-want +got):\n%s", diff)
	}
	if k.TimespanText() != "90m" || k.Condition.String() != "gt 1 and lte 5" {
		t.Errorf("timespan %s, condition %s", k.TimespanText(), k.Condition)
	}
	for n, holds := range map[int64]bool{1: false, 2: true, 5: true, 6: false} {
		if k.Condition.Holds(n) != holds {
			t.Errorf("Holds(%d) = %v", n, !holds)
		}
	}
}

func TestNewCorrelatorRejects(t *testing.T) {
	base, err := ParseRuleSet("base.yml", []byte(corrBaseRules))
	if err != nil {
		t.Fatal(err)
	}
	corr := func(id, body string) string {
		return "title: c " + id + "\nid: " + id + "\ncorrelation:\n" + body
	}
	tests := []struct{ name, yml, want string }{
		{"missing rule", corr(testCorrID, strings.Replace(eventCount3in10m, "base_b", "base_z", 1)), `rule "base_z" is not loaded`},
		{"chained correlation", corr(testCorrID, eventCount3in10m) + "name: first\n---\n" +
			corr("00000000-0000-4000-8000-0000000000fe", strings.Replace(eventCount3in10m, "base_b", "first", 1)), `rule "first" is a correlation: chaining correlations is not supported`},
		{"alias without a field for a rule", corr(testCorrID, "    type: temporal\n    rules: [base_a, base_b]\n    group-by: [who]\n    timespan: 5m\n    aliases:\n        who:\n            base_a: userIdentity.arn\n"), `alias "who" has no field for rule "base_b"`},
		{"alias not grouped by", corr(testCorrID, "    type: temporal\n    rules: [base_a, base_b]\n    group-by: [userIdentity.arn]\n    timespan: 5m\n    aliases:\n        who:\n            base_a: a\n            base_b: b\n"), `alias "who" is not used in group-by or as the field`},
		{"same rule twice", corr(testCorrID, strings.Replace(eventCount3in10m, "base_b", "00000000-0000-4000-8000-00000000000a", 1)), `rules "base_a" and "00000000-0000-4000-8000-00000000000a" are the same rule`},
		{"field alias without a field for a rule", corr(testCorrID, "    type: value_count\n    rules: [base_a, base_b]\n    group-by: [userIdentity.arn]\n    timespan: 5m\n    condition: {field: k, gte: 2}\n    aliases:\n        k:\n            base_a: requestParameters.keyId\n"), `alias "k" (the value_count field) has no field for rule "base_b"`},
		{"duplicate id", corr(testCorrID, eventCount3in10m) + "---\n" + corr(testCorrID, eventCount3in10m), "is already used by"},
		{"id of a rule", corr("00000000-0000-4000-8000-00000000000a", eventCount3in10m), `is already used by rule "Base A"`},
		{"no id", "title: c\ncorrelation:\n" + eventCount3in10m, "id is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseRuleSet("mr.yml", []byte(tt.yml))
			if err != nil {
				t.Fatal(err)
			}
			set.Add(RuleSet{Rules: base.Rules})
			_, err = NewCorrelator(set, CorrelatorOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "mr.yml") {
				t.Errorf("err = %v, want the file and %q", err, tt.want)
			}
		})
	}
}

// TestCorrelationParserAgreesWithSchema mutates the specification's
// event_count example and checks that the JSON schema and the parser accept
// and reject the same documents.
func TestCorrelationParserAgreesWithSchema(t *testing.T) {
	schema := compileSchema(t, "sigma-correlation-rules-schema.json")
	base, err := os.ReadFile(filepath.Join(sharedDir(t), "sigma-specification", "tests", "schema", "correlation", "event_count.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to string
		valid          bool
	}{
		{"unchanged", "", "", true},
		{"no title", "title: Many failed logins\n", "", false},
		{"no type", "    type: event_count\n", "", false},
		{"unknown type", "type: event_count", "type: counting", false},
		{"no rules", "    rules:\n        - 5638f7c0-ac70-491d-8465-2a65075e0d86\n", "", false},
		{"no timespan", "    timespan: 1h\n", "", false},
		{"no group-by", "    group-by:\n        - ComputerName\n", "", false},
		{"no condition", "    condition:\n        gte: 100", "", false},
		{"bad id", "id: 0e95725d-7320-415d-80f7-004da920fc11", "id: nope", false},
		{"level", "correlation:", "level: high\ncorrelation:", true},
		{"bad level", "correlation:", "level: severe\ncorrelation:", false},
		{"bad status", "correlation:", "status: done\ncorrelation:", false},
		{"bad date", "correlation:", "date: 2024-13-01\ncorrelation:", false},
		{"generate", "correlation:", "generate: true\ncorrelation:", true},
		{"range", "gte: 100", "gt: 100\n        lte: 200", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(string(base), tt.from, tt.to, 1)
			if doc == string(base) && tt.name != "unchanged" {
				t.Fatal("mutation did not apply")
			}
			schemaErr := schema.Validate(yamlDoc(t, []byte(doc)))
			_, parseErr := ParseRuleSet("event_count.yml", []byte(doc))
			if (schemaErr == nil) != tt.valid {
				t.Errorf("schema valid = %v, want %v (%v)", schemaErr == nil, tt.valid, schemaErr)
			}
			if (parseErr == nil) != tt.valid {
				t.Errorf("parser valid = %v, want %v (%v)", parseErr == nil, tt.valid, parseErr)
			}
		})
	}
}
