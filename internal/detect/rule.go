package detect

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/kmsguard/kmsguard/internal/severity"
)

// Rule is one compiled Sigma detection rule.
type Rule struct {
	File           string // where the rule came from, for messages
	ID             string
	Name           string
	Title          string
	Description    string
	Status         string
	Author         string
	Level          severity.Level
	Tags           []string
	FalsePositives []string
	References     []string
	Fields         []string
	Logsource      Logsource
	Taxonomy       string

	// Guide is the investigation and response guide (kmsguard.guide), a
	// template: see RenderTemplate.
	Guide string
	// Details names alert details and the record field each comes from
	// (kmsguard.details), in file order.
	Details []Detail
	// Samples are the rule's true and false events (kmsguard.tests).
	Samples []Sample

	cond node
}

// Logsource is a Sigma logsource.
type Logsource struct {
	Category   string `yaml:"category"`
	Product    string `yaml:"product"`
	Service    string `yaml:"service"`
	Definition string `yaml:"definition"`
}

// IsCloudTrail reports whether the logsource is product aws, service
// cloudtrail, the only one kmsguard evaluates.
func (l Logsource) IsCloudTrail() bool {
	return strings.EqualFold(l.Product, "aws") && strings.EqualFold(l.Service, "cloudtrail")
}

func (l Logsource) String() string {
	var parts []string
	for _, kv := range [][2]string{{"category", l.Category}, {"product", l.Product}, {"service", l.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// Detail is one rule-specific alert detail: Name in Alert.Details, taken
// from the record field at Field.
type Detail struct {
	Name  string
	Field string
}

// Sample is one test event of a rule: Match says whether the rule must
// match it. Needs lists optional engine capabilities the sample depends on
// ("policy": a PolicyAnalyzer); without them the sample is skipped.
type Sample struct {
	Name  string
	Match bool
	Needs []string
	Event string // CloudTrail record JSON
	Line  int
}

// Filter is a compiled Sigma meta filter: events it matches are removed
// from the matches of the rules it names.
type Filter struct {
	File  string
	ID    string
	Title string
	Rules []string // rule ids or names
	cond  node
}

var (
	uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	tagRE  = regexp.MustCompile(`^[a-z0-9_-]+\.[a-z0-9._-]+$`)
	dateRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$`)
)

func isUUID(s string) bool { return uuidRE.MatchString(s) }

// validStatus lists the Sigma rule statuses.
func validStatus(s string) bool {
	switch s {
	case "stable", "test", "experimental", "deprecated", "unsupported":
		return true
	}
	return false
}

// parseLevel accepts exactly the five Sigma level names.
func parseLevel(s string) (severity.Level, error) {
	switch s {
	case "informational", "low", "medium", "high", "critical":
		return severity.Parse(s)
	}
	return severity.Unknown, fmt.Errorf("level %q: want informational, low, medium, high or critical", s)
}

// checkSampleEvent verifies that a sample is a JSON object.
func checkSampleEvent(s string) error {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return fmt.Errorf("event is not a JSON object: %w", err)
	}
	return nil
}
