package detect

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// corrBaseRules are three detection rules, one per eventName A, B and C,
// for correlation tests.
const corrBaseRules = `title: Base A
id: 00000000-0000-4000-8000-00000000000a
name: base_a
logsource: {product: aws, service: cloudtrail}
detection:
    sel: {eventName: A}
    condition: sel
---
title: Base B
id: 00000000-0000-4000-8000-00000000000b
name: base_b
logsource: {product: aws, service: cloudtrail}
detection:
    sel: {eventName: B}
    condition: sel
---
title: Base C
id: 00000000-0000-4000-8000-00000000000c
name: base_c
logsource: {product: aws, service: cloudtrail}
detection:
    sel: {eventName: C}
    condition: sel
`

const testCorrID = "00000000-0000-4000-8000-0000000000ff"

// corrHarness is an engine over corrBaseRules plus one correlation.
type corrHarness struct {
	eng *Engine
	c   *Correlator
	set RuleSet
}

// newHarness parses corrBaseRules and a correlation section (the body
// under correlation:, indented by four spaces) with extra top-level YAML.
func newHarness(t testing.TB, correlation string, opts CorrelatorOptions) *corrHarness {
	t.Helper()
	doc := corrBaseRules + "---\ntitle: Test correlation\nid: " + testCorrID + "\nlevel: high\ncorrelation:\n" + correlation
	set, err := ParseRuleSet("test.yml", []byte(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	eng, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCorrelator(set, opts)
	if err != nil {
		t.Fatalf("correlator: %v", err)
	}
	return &corrHarness{eng: eng, c: c, set: set}
}

// ev is one test event: eventName, eventID, actor (userIdentity.arn),
// eventTime as "15:04:05" on 2026-11-20, and an optional key id.
type ev struct {
	name, id, actor, at, key string
}

func (e ev) json() string {
	key := ""
	if e.key != "" {
		key = fmt.Sprintf(`,"requestParameters":{"keyId":%q}`, e.key)
	}
	return fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","arn":%q,"userName":"u"},"eventTime":"2026-11-20T%sZ","eventSource":"kms.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","recipientAccountId":"111122223333","eventID":%q%s}`,
		e.actor, e.at, e.name, e.id, key)
}

func (h *corrHarness) feed(t testing.TB, events ...ev) []alert.Alert {
	t.Helper()
	var out []alert.Alert
	for _, e := range events {
		rec := record(t, e.json())
		for _, m := range h.eng.Match(rec) {
			out = append(out, h.c.Observe(m, rec)...)
		}
	}
	return out
}

func at(clock string) time.Time {
	t, err := time.Parse(time.RFC3339, "2026-11-20T"+clock+"Z")
	if err != nil {
		panic(err)
	}
	return t
}

func statsOf(t testing.TB, c *Correlator) CorrelationStats {
	t.Helper()
	for _, s := range c.Stats() {
		if s.RuleID == testCorrID {
			s.RuleID, s.Title = "", ""
			return s
		}
	}
	t.Fatal("no stats for the test correlation")
	return CorrelationStats{}
}

func eventIDs(as []alert.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, strings.Join(a.EventIDs, " "))
	}
	return out
}

// checkSpecCorrelation loads one of the specification's correlation test
// files: the four supported types parse (and validate against the schema),
// the value_* types and the ecs taxonomy are rejected with a reason.
func checkSpecCorrelation(t *testing.T, path string, data []byte) {
	t.Helper()
	schema := compileSchema(t, "sigma-correlation-rules-schema.json")
	if err := schema.Validate(yamlDoc(t, data)); err != nil {
		t.Errorf("specification file does not validate: %v", err)
	}
	set, err := ParseRuleSet(path, data)
	base := filepath.Base(path)
	switch {
	case strings.HasPrefix(base, "value_sum"), strings.HasPrefix(base, "value_avg"), strings.HasPrefix(base, "value_percentile"):
		if err == nil || !strings.Contains(err.Error(), "is not supported (kmsguard evaluates event_count, value_count, temporal and temporal_ordered)") {
			t.Errorf("err = %v, want the unsupported type named", err)
		}
	case strings.Contains(base, "_ecs"):
		if err == nil || !strings.Contains(err.Error(), `taxonomy "ecs" is not supported`) {
			t.Errorf("err = %v, want the taxonomy rejected", err)
		}
	default:
		if err != nil || len(set.Correlations) != 1 {
			t.Fatalf("valid correlation rejected: %v", err)
		}
		k := set.Correlations[0]
		if k.Timespan <= 0 || len(k.Rules) == 0 || len(k.GroupBy) == 0 {
			t.Errorf("incomplete correlation: %+v", k)
		}
		// The referenced rules are not in the file (and some files have no
		// id, which alerts need): the correlator says so.
		want := "is not loaded"
		if k.ID == "" {
			want = "id is required"
		}
		_, err := NewCorrelator(set, CorrelatorOptions{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("correlator error = %v, want %q", err, want)
		}
	}
}
