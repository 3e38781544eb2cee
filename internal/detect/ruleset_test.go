package detect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDirReportsEveryBadFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.yml":              ruleWith("sel:\n    eventName: DisableKey\ncondition: sel"),
		"sub/bad_modifier.yaml": ruleWith("sel:\n    eventName|windash: x\ncondition: sel"),
		"bad_condition.yml":     ruleWith("sel:\n    eventName: x\ncondition: sel and"),
		"notes.txt":             "not a rule, ignored",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := LoadDir(dir)
	if err == nil {
		t.Fatal("loaded a directory with bad rules without error")
	}
	for _, want := range []string{
		filepath.Join(dir, "sub", "bad_modifier.yaml") + `: rule "t": detection.sel: line 8: "eventName|windash": modifier "windash" is not supported`,
		filepath.Join(dir, "bad_condition.yml") + `: rule "t": detection.condition "sel and"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(set.Rules) != 1 || set.Rules[0].File != filepath.Join(dir, "good.yml") {
		t.Errorf("good rule not loaded with its file name: %+v", set.Rules)
	}

	single, err := LoadDir(filepath.Join(dir, "good.yml"))
	if err != nil || len(single.Rules) != 1 {
		t.Errorf("loading one file: %d rules, %v", len(single.Rules), err)
	}
	if _, err := LoadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .yml or .yaml rule files") {
		t.Errorf("empty directory: err = %v", err)
	}
}
