package detect

import (
	"reflect"
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

func TestBuiltinCorrelationSamples(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Correlations) < 2 {
		t.Fatalf("%d built-in correlations, want at least 2", len(set.Correlations))
	}
	eng, err := NewEngine(set, Options{Policy: testAnalyzer{}, NoFilters: true})
	if err != nil {
		t.Fatal(err)
	}
	results, err := eng.RunCorrelationSamples(set.Correlations, CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	perRule := map[string][2]int{}
	for _, res := range results {
		t.Run(res.Title()+"/"+res.Sample.Name, func(t *testing.T) {
			if !res.Pass {
				t.Errorf("match=%v: %s", res.Sample.Match, res.Detail)
			}
		})
		c := perRule[res.Correlation.ID]
		if res.Sample.Match {
			c[0]++
		} else {
			c[1]++
		}
		perRule[res.Correlation.ID] = c
	}
	for _, k := range set.Correlations {
		if c := perRule[k.ID]; c[0] == 0 || c[1] == 0 {
			t.Errorf("correlation %s (%s) needs at least one match and one nomatch sample, has %d and %d", k.ID, k.Title, c[0], c[1])
		}
	}
}

// TestBuiltinGenerate checks Sigma's generate semantics on the built-ins:
// the correlation base rules alert only through their correlations, every
// other rule alerts on its own.
func TestBuiltinGenerate(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCorrelator(set, CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bases := map[string]bool{
		"a158a400-9e19-4fac-8461-a418c10a6475": true, // kms_key_disabled_or_deletion_scheduled_any
		"2bbd7e87-c449-49db-8716-08fa027fbe88": true, // kms_destructive_key_action
		"40db1cb6-1d32-4b36-b3df-c797edebd729": true, // iam_change_grants_kms_permissions
	}
	for _, r := range set.Rules {
		if got := c.Standalone(r); got == bases[r.ID] {
			t.Errorf("%s (%s): Standalone = %v", r.ID, r.Title, got)
		}
		if got := c.Wants(r); got != bases[r.ID] {
			t.Errorf("%s (%s): Wants = %v", r.ID, r.Title, got)
		}
	}
}

// TestBuiltinForMatchingIsBuiltin checks that dropping the samples text
// before parsing leaves every rule and correlation as Builtin parses it,
// samples aside, and that the samples really are gone.
func TestBuiltinForMatchingIsBuiltin(t *testing.T) {
	full, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	lean, err := BuiltinForMatching()
	if err != nil {
		t.Fatal(err)
	}
	if len(lean.Rules) != len(full.Rules) || len(lean.Correlations) != len(full.Correlations) || len(lean.Filters) != len(full.Filters) {
		t.Fatalf("lean set has %d rules, %d correlations, %d filters; full %d, %d, %d", len(lean.Rules),
			len(lean.Correlations), len(lean.Filters), len(full.Rules), len(full.Correlations), len(full.Filters))
	}
	for i, r := range full.Rules {
		if len(r.Samples) == 0 {
			t.Errorf("rule %s: no samples in the full set", r.Title)
		}
		if len(lean.Rules[i].Samples) != 0 {
			t.Errorf("rule %s: %d samples left in the lean set", r.Title, len(lean.Rules[i].Samples))
		}
		withoutSamples := *r
		withoutSamples.Samples = nil
		if !reflect.DeepEqual(&withoutSamples, lean.Rules[i]) {
			t.Errorf("rule %s differs beyond its samples:\nfull %+v\nlean %+v", r.Title, withoutSamples, *lean.Rules[i])
		}
	}
	for i, c := range full.Correlations {
		if len(c.Samples) == 0 {
			t.Errorf("correlation %s: no samples in the full set", c.Title)
		}
		withoutSamples := *c
		withoutSamples.Samples = nil
		if !reflect.DeepEqual(&withoutSamples, lean.Correlations[i]) {
			t.Errorf("correlation %s differs beyond its samples:\nfull %+v\nlean %+v", c.Title, withoutSamples, *lean.Correlations[i])
		}
	}
}

func TestWithoutSamples(t *testing.T) {
	in := "title: t\r\n" +
		"detection:\n" +
		"    tests:\n" + // a search identifier named tests stays
		"        eventName: X\n" +
		"    condition: tests\n" +
		"kmsguard:\n" +
		"    guide: |\n" +
		"        tests:\n" + // guide text stays
		"    tests:\n" +
		"        match:\n" +
		"\n" +
		"            - event: |\n" +
		"                  {}\n" +
		"    details:\n" +
		"        k: v\n" +
		"---\n" +
		"kmsguard:\n" +
		"    tests:\n" +
		"        nomatch: []\n"
	want := "title: t\r\n" +
		"detection:\n" +
		"    tests:\n" +
		"        eventName: X\n" +
		"    condition: tests\n" +
		"kmsguard:\n" +
		"    guide: |\n" +
		"        tests:\n" +
		"    details:\n" +
		"        k: v\n" +
		"---\n" +
		"kmsguard:\n"
	if got := string(withoutSamples([]byte(in))); got != want {
		t.Errorf("withoutSamples:\n%s\nwant:\n%s", got, want)
	}
}
