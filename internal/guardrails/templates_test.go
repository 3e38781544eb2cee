package guardrails

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"gopkg.in/yaml.v3"
)

func TestCloudFormationTemplateIsWellFormed(t *testing.T) {
	out, err := CloudFormation(EventBridgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(out, &tmpl); err != nil {
		t.Fatalf("template is not YAML: %v\n%s", err, out)
	}
	rules := 0
	for id, r := range tmpl.Resources {
		if r.Type != "AWS::Events::Rule" {
			continue
		}
		rules++
		pattern, ok := r.Properties["EventPattern"].(map[string]any)
		if !ok {
			t.Errorf("%s: EventPattern is %T, want a mapping", id, r.Properties["EventPattern"])
			continue
		}
		if _, ok := pattern["source"]; !ok {
			t.Errorf("%s: pattern has no source", id)
		}
	}
	if rules != len(EventRules()) {
		t.Errorf("%d rules in the template, want %d", rules, len(EventRules()))
	}
	for _, want := range []string{"AWS::SNS::Topic", "AWS::SNS::TopicPolicy"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("template lacks %s", want)
		}
	}
}

func TestTerraformIsValidHCL(t *testing.T) {
	out, err := Terraform(EventBridgeOptions{TopicName: "sec-kms"})
	if err != nil {
		t.Fatal(err)
	}
	file, diags := hclsyntax.ParseConfig(out, "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("generated Terraform does not parse: %v\n%s", diags, out)
	}
	body := file.Body.(*hclsyntax.Body)
	kinds := map[string]int{}
	for _, b := range body.Blocks {
		if b.Type == "resource" {
			kinds[b.Labels[0]]++
		}
		if b.Type == "resource" && b.Labels[0] == "aws_cloudwatch_event_rule" {
			attr := b.Body.Attributes["event_pattern"]
			v, d := attr.Expr.Value(nil)
			if d.HasErrors() {
				t.Fatalf("event_pattern: %v", d)
			}
			var pattern map[string]any
			if err := json.Unmarshal([]byte(v.AsString()), &pattern); err != nil {
				t.Errorf("%s: event_pattern is not JSON: %v", b.Labels[1], err)
			}
		}
	}
	if kinds["aws_cloudwatch_event_rule"] != len(EventRules()) || kinds["aws_cloudwatch_event_target"] != len(EventRules()) {
		t.Errorf("resources = %v, want one rule and one target per event rule", kinds)
	}
	if !strings.Contains(string(out), `name = "sec-kms"`) {
		t.Error("topic name option not applied")
	}
	if _, err := Terraform(EventBridgeOptions{TopicName: "bad name!"}); err == nil {
		t.Error("invalid topic name accepted")
	}
	if _, err := Terraform(EventBridgeOptions{TopicName: strings.Repeat("t", 256)}); err != nil {
		t.Errorf("256-character topic name refused: %v", err)
	}
	if _, err := Terraform(EventBridgeOptions{TopicName: strings.Repeat("t", 257)}); err == nil {
		t.Error("257-character topic name accepted")
	}
}

func TestEventRulesCoverSeedEvents(t *testing.T) {
	// Conformity KMS-007 (seed 003) lists these configuration changes.
	seed := []string{"CreateAlias", "CreateGrant", "CreateKey", "EnableKey", "EnableKeyRotation", "ImportKeyMaterial", "PutKeyPolicy", "RetireGrant", "RevokeGrant", "ScheduleKeyDeletion", "TagResource", "UntagResource", "UpdateAlias", "UpdateKeyDescription", "DisableKey", "DisableKeyRotation", "CancelKeyDeletion", "DeleteAlias", "DeleteImportedKeyMaterial"}
	have := map[string]bool{}
	for _, e := range KMSConfigurationEvents {
		have[e] = true
	}
	for _, e := range seed {
		if !have[e] {
			t.Errorf("EventBridge rules miss %s", e)
		}
	}
}
