package detect

import (
	"testing"
)

func TestBuiltinSamples(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatalf("builtin rules: %v", err)
	}
	eng, err := NewEngine(set, Options{Policy: testAnalyzer{}, NoFilters: true})
	if err != nil {
		t.Fatal(err)
	}
	results := eng.RunSamples()
	perRule := map[string][2]int{}
	for _, res := range results {
		name := res.Rule.Title + "/" + res.Sample.Name
		t.Run(name, func(t *testing.T) {
			if res.Skipped != "" {
				t.Fatalf("skipped with an analyzer: %s", res.Skipped)
			}
			if !res.Pass {
				t.Errorf("match=%v: %s", res.Sample.Match, res.Detail)
			}
		})
		c := perRule[res.Rule.ID]
		if res.Sample.Match {
			c[0]++
		} else {
			c[1]++
		}
		perRule[res.Rule.ID] = c
	}
	for _, r := range set.Rules {
		if c := perRule[r.ID]; c[0] == 0 || c[1] == 0 {
			t.Errorf("rule %s (%s) needs at least one match and one nomatch sample, has %d and %d", r.ID, r.Title, c[0], c[1])
		}
	}
}

func TestBuiltinSamplesWithoutAnalyzer(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(set, Options{NoFilters: true})
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, res := range eng.RunSamples() {
		switch {
		case res.Skipped != "":
			skipped++
		case !res.Pass:
			t.Errorf("%s / %s: %s", res.Rule.Title, res.Sample.Name, res.Detail)
		}
	}
	if skipped == 0 {
		t.Error("samples that need the policy analyzer were not skipped")
	}
}
