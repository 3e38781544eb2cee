package detect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// sharedDir finds the shared specification directory: $KMSGUARD_SHARED, or
// the nearest ancestor directory "shared" holding DESIGN.md. It fails the
// test when neither exists.
func sharedDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("KMSGUARD_SHARED"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared")
		if _, err := os.Stat(filepath.Join(cand, "DESIGN.md")); err == nil {
			return cand
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("shared directory (with DESIGN.md) not found above %s; set KMSGUARD_SHARED", wd)
		}
	}
}

// testAnalyzer is a stand-in for the policy engine (internal/policy), which
// is wired into the engine later. It reads Allow statements only: "*"
// principals are public, account ARNs other than the owner cross-account.
type testAnalyzer struct{}

func (testAnalyzer) Exposure(policyJSON, owner string) (public, cross bool, err error) {
	var doc struct {
		Statement []struct {
			Effect    string
			Principal any
		}
	}
	if err := json.Unmarshal([]byte(policyJSON), &doc); err != nil {
		return false, false, err
	}
	var visit func(any)
	visit = func(p any) {
		switch p := p.(type) {
		case string:
			if p == "*" {
				public = true
			} else if a := accountOf(p); a != "" && a != owner {
				cross = true
			}
		case []any:
			for _, x := range p {
				visit(x)
			}
		case map[string]any:
			for _, x := range p {
				visit(x)
			}
		}
	}
	for _, s := range doc.Statement {
		if strings.EqualFold(s.Effect, "Allow") {
			visit(s.Principal)
		}
	}
	return public, cross, nil
}

// record decodes a JSON test event.
func record(t testing.TB, js string) *cloudtrail.Record {
	t.Helper()
	rec, err := DecodeRecord([]byte(js))
	if err != nil {
		t.Fatalf("bad test event %s: %v", js, err)
	}
	return rec
}

// mustParse parses a single-rule YAML test document.
func mustParse(t testing.TB, yml string) RuleSet {
	t.Helper()
	rules, filters, err := ParseFile("test.yml", []byte(yml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return RuleSet{Rules: rules, Filters: filters}
}

// builtinEngine compiles the built-in rules with testAnalyzer as the
// policy engine; the set comes back too, for its samples.
func builtinEngine(tb testing.TB) (RuleSet, *Engine) {
	tb.Helper()
	set, err := Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := NewEngine(set, Options{Policy: testAnalyzer{}})
	if err != nil {
		tb.Fatal(err)
	}
	return set, eng
}
