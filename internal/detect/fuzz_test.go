package detect

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzLoadRule(f *testing.F) {
	files, _ := builtinFS.ReadDir("rules")
	for _, e := range files {
		data, err := builtinFS.ReadFile("rules/" + e.Name())
		if err != nil {
			f.Fatal(err)
		}
		// Without the bulky samples: the fuzzer stalls on 20 KB seeds.
		if i := bytes.Index(data, []byte("\n    tests:")); i > 0 {
			data = data[:i+1]
		}
		f.Add(data)
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "filters", "mf_ignore_kms_automation_role.yml")); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		ruleWith("sel:\n    a|re|i: 'x+'\n    b|cidr: 10.0.0.0/8\n    c|base64offset|contains: abc\ncondition: sel"),
		ruleWith("sel:\n    a: b\ncondition: sel") + "kmsguard:\n    tests:\n        match:\n            - name: x\n              event: '{\"a\": \"b\"}'\n",
		ruleWith("k:\n    '|all':\n        - a\n        - b\ncondition: k"),
		"title: c\ncorrelation: {type: event_count}\n",
		"a: &x [*x]\n",
		"---\n---\n",
		"title: t\n---\ntitle: u\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, filters, err := ParseFile("fuzz.yml", data)
		if err != nil {
			return
		}
		eng, err := NewEngine(RuleSet{Rules: rules, Filters: filters}, Options{Policy: testAnalyzer{}})
		if err != nil {
			return
		}
		rec, err := DecodeRecord([]byte(matchEvent))
		if err != nil {
			t.Fatal(err)
		}
		eng.Match(rec)
		eng.RunSamples()
		for _, r := range eng.Rules() {
			WatchedEvents(r)
		}
	})
}

func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"a", "a and not b", "1 of sel* and not 1 of filter*", "all of them", "(a or (b and not (c)))",
		"not not not a", "a | count() > 4", "1 of", "((((", "2 of x", "A AND b",
	} {
		f.Add(s)
	}
	idents := map[string]node{"a": andNode{}, "b": orNode{}, "sel_x": andNode{}, "_hidden": andNode{}}
	order := []string{"a", "b", "sel_x", "_hidden"}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseCondition(s)
		if err != nil {
			return
		}
		// A parsed condition prints to a condition that parses to the same tree.
		again, err := parseCondition(e.String())
		if err != nil {
			t.Fatalf("%q parsed to %s, which does not parse: %v", s, e, err)
		}
		if again.String() != e.String() {
			t.Fatalf("%q: %s reparsed as %s", s, e, again)
		}
		_, _ = bindCondition(e, idents, order)
	})
}

func FuzzMatch(f *testing.F) {
	set, eng := builtinEngine(f)
	for _, r := range set.Rules {
		for _, s := range r.Samples {
			f.Add([]byte(s.Event))
		}
	}
	f.Add([]byte(`{"eventSource":"kms.amazonaws.com","eventName":"PutKeyPolicy","requestParameters":{"policy":{"Statement":[]}}}`))
	f.Add([]byte(`{"eventSource":"s3.amazonaws.com","eventName":"CopyObject","resources":[null,1,{"type":"AWS::S3::Bucket","accountId":7}]}`))
	f.Add([]byte(`{"eventSource":"cloudtrail.amazonaws.com","eventName":"PutEventSelectors","requestParameters":[[[{"field":"eventSource","notEquals":"kms.amazonaws.com"}]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := DecodeRecord(data)
		if err != nil {
			return
		}
		for _, m := range eng.Match(rec) {
			a := NewAlert(m, rec)
			if a.RuleID != m.Rule.ID {
				t.Fatalf("alert rule id %q, want %q", a.RuleID, m.Rule.ID)
			}
		}
	})
}
