package detect

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kmsguard/kmsguard/internal/severity"
)

// CorrelationType is a Sigma correlation type.
type CorrelationType string

// The correlation types kmsguard evaluates. value_sum, value_avg and
// value_percentile are rejected at load.
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
)

// Correlation is one parsed Sigma correlation rule. It refers to detection
// rules by id or name; NewCorrelator resolves the references.
type Correlation struct {
	File           string
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

	Type    CorrelationType
	Rules   []string // referenced detection rules, ids or names, as written
	GroupBy []string // fields or alias names
	// Aliases maps an alias name to the field it stands for in the events
	// of each referenced rule (keyed by the rule's name or id).
	Aliases   map[string]map[string]string
	Timespan  time.Duration
	Condition CountCondition
	Field     string // value_count: the field whose distinct values are counted
	// Generate is the Sigma generate attribute: when false (the default)
	// the referenced rules produce no alerts of their own, only through
	// this correlation (see Correlator.Standalone).
	Generate bool

	Guide   string
	Samples []SequenceSample
}

// TimespanText is the timespan in Sigma's form: 10m, 1h, 2d.
func (k *Correlation) TimespanText() string {
	for _, u := range []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if k.Timespan%u.d == 0 {
			return strconv.FormatInt(int64(k.Timespan/u.d), 10) + u.s
		}
	}
	return strconv.FormatInt(int64(k.Timespan/time.Second), 10) + "s"
}

// CountCondition is a correlation condition: every bound that is set must
// hold (Sigma's AND of gt, gte, lt, lte, eq, neq).
type CountCondition struct {
	GT, GTE, LT, LTE, EQ, NEQ *int64
}

// Holds reports whether n satisfies every bound.
func (c CountCondition) Holds(n int64) bool {
	return (c.GT == nil || n > *c.GT) && (c.GTE == nil || n >= *c.GTE) &&
		(c.LT == nil || n < *c.LT) && (c.LTE == nil || n <= *c.LTE) &&
		(c.EQ == nil || n == *c.EQ) && (c.NEQ == nil || n != *c.NEQ)
}

// monotone reports whether, once the condition holds for a count, it holds
// for every larger count: only lower bounds (gt, gte). Such correlations
// can fire as soon as the count is reached; the others must wait until
// their window closes.
func (c CountCondition) monotone() bool {
	return c.LT == nil && c.LTE == nil && c.EQ == nil && c.NEQ == nil
}

func (c CountCondition) String() string {
	var parts []string
	for _, b := range []struct {
		op string
		v  *int64
	}{{"gt", c.GT}, {"gte", c.GTE}, {"lt", c.LT}, {"lte", c.LTE}, {"eq", c.EQ}, {"neq", c.NEQ}} {
		if b.v != nil {
			parts = append(parts, fmt.Sprintf("%s %d", b.op, *b.v))
		}
	}
	return strings.Join(parts, " and ")
}

// SequenceSample is one test of a correlation rule: Events (CloudTrail
// records as JSON, in delivery order) are run through the detection
// engine and a fresh Correlator; Match says whether the correlation must
// fire.
type SequenceSample struct {
	Name   string
	Match  bool
	Events []string
	Line   int
}

// correlationDoc is the correlation section of a document.
type correlationDoc struct {
	Type      string                       `yaml:"type"`
	Rules     []string                     `yaml:"rules"`
	Aliases   map[string]map[string]string `yaml:"aliases"`
	GroupBy   []string                     `yaml:"group-by"`
	Timespan  string                       `yaml:"timespan"`
	Condition yaml.Node                    `yaml:"condition"`
}

var correlationKeys = map[string]bool{"type": true, "rules": true, "aliases": true, "group-by": true, "timespan": true, "condition": true}

// buildCorrelation validates a correlation document.
func buildCorrelation(doc *ruleDoc) (*Correlation, error) {
	var errs []error
	if strings.TrimSpace(doc.Title) == "" {
		errs = append(errs, errors.New("title is required"))
	} else if len(doc.Title) > 256 {
		errs = append(errs, errors.New("title is longer than 256 characters"))
	}
	if doc.ID != "" && !isUUID(doc.ID) {
		errs = append(errs, fmt.Errorf("id %q is not a UUID", doc.ID))
	}
	if doc.Status != "" && !validStatus(doc.Status) {
		errs = append(errs, fmt.Errorf("status %q: want stable, test, experimental, deprecated or unsupported", doc.Status))
	}
	for _, d := range [][2]string{{"date", doc.Date}, {"modified", doc.Modified}} {
		if d[1] != "" && !dateRE.MatchString(d[1]) {
			errs = append(errs, fmt.Errorf("%s %q: want YYYY-MM-DD", d[0], d[1]))
		}
	}
	if doc.Logsource != nil || doc.Detection.Kind != 0 {
		errs = append(errs, errors.New("a correlation rule has no logsource or detection: put them in the referenced rules"))
	}
	if doc.Taxonomy != "" && doc.Taxonomy != "sigma" {
		errs = append(errs, fmt.Errorf("taxonomy %q is not supported: kmsguard matches CloudTrail's own field names", doc.Taxonomy))
	}
	c := &Correlation{
		ID: doc.ID, Name: doc.Name, Title: doc.Title, Description: doc.Description, Status: doc.Status,
		Author: doc.Author, Tags: doc.Tags, FalsePositives: doc.FalsePositives, References: doc.References,
		Guide: doc.Kmsguard.Guide, Level: severity.Medium,
	}
	if doc.Generate != nil {
		c.Generate = *doc.Generate
	}
	if doc.Level != "" {
		lvl, err := parseLevel(doc.Level)
		if err != nil {
			errs = append(errs, err)
		}
		c.Level = lvl
	}
	if err := parseCorrelationSection(&doc.Correlation, c); err != nil {
		errs = append(errs, err)
	}
	samples, err := parseSequenceSamples(&doc.Kmsguard)
	if err != nil {
		errs = append(errs, err)
	}
	c.Samples = samples
	if doc.Kmsguard.Details.Kind != 0 {
		errs = append(errs, errors.New("kmsguard.details: not supported on correlation rules (the alert carries the group-by values)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func parseCorrelationSection(n *yaml.Node, c *Correlation) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("correlation: line %d: must be a map", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !correlationKeys[k.Value] {
			return fmt.Errorf("correlation.%s: line %d: unknown attribute (want type, rules, aliases, group-by, timespan, condition)", k.Value, k.Line)
		}
	}
	var doc correlationDoc
	if err := n.Decode(&doc); err != nil {
		return fmt.Errorf("correlation: %w", err)
	}
	var errs []error
	switch t := CorrelationType(doc.Type); t {
	case EventCount, ValueCount, Temporal, TemporalOrdered:
		c.Type = t
	case "value_sum", "value_avg", "value_percentile":
		errs = append(errs, fmt.Errorf("correlation.type %s is not supported (kmsguard evaluates event_count, value_count, temporal and temporal_ordered)", t))
	case "":
		errs = append(errs, errors.New("correlation.type is required"))
	default:
		errs = append(errs, fmt.Errorf("correlation.type %q: want event_count, value_count, temporal or temporal_ordered", t))
	}
	seen := map[string]bool{}
	for _, r := range doc.Rules {
		if len(r) < 2 {
			errs = append(errs, fmt.Errorf("correlation.rules: %q is not a rule id or name", r))
		} else if seen[r] {
			errs = append(errs, fmt.Errorf("correlation.rules: %q is listed twice", r))
		}
		seen[r] = true
	}
	c.Rules = doc.Rules
	switch {
	case len(doc.Rules) == 0:
		errs = append(errs, errors.New("correlation.rules is required: a list of rule ids or names"))
	case (c.Type == Temporal || c.Type == TemporalOrdered) && len(doc.Rules) < 2:
		errs = append(errs, fmt.Errorf("correlation.rules: %s needs at least two rules", c.Type))
	}
	if len(doc.GroupBy) == 0 {
		errs = append(errs, errors.New("correlation.group-by is required: the fields that scope a window (e.g. userIdentity.arn)"))
	}
	for i, g := range doc.GroupBy {
		if g == "" || slicesIndex(doc.GroupBy, g) != i {
			errs = append(errs, fmt.Errorf("correlation.group-by: %q is empty or listed twice", g))
		}
	}
	c.GroupBy = doc.GroupBy
	for alias, m := range doc.Aliases {
		if len(m) == 0 {
			errs = append(errs, fmt.Errorf("correlation.aliases.%s: want a map of rule name to field", alias))
		}
		for rule, field := range m {
			if !seen[rule] {
				errs = append(errs, fmt.Errorf("correlation.aliases.%s: %q is not one of correlation.rules", alias, rule))
			}
			if field == "" {
				errs = append(errs, fmt.Errorf("correlation.aliases.%s.%s: empty field", alias, rule))
			}
		}
	}
	c.Aliases = doc.Aliases
	ts, err := parseTimespan(doc.Timespan)
	if err != nil {
		errs = append(errs, err)
	}
	c.Timespan = ts
	if err := parseCountCondition(&doc.Condition, c); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func slicesIndex(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
