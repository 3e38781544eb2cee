package detect

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// maxTimespan bounds a correlation window, and so the memory it holds.
const maxTimespan = 30 * 24 * time.Hour

// parseTimespan reads Sigma's number + unit (s, m, h, d) timespan.
func parseTimespan(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("correlation.timespan is required, e.g. 10m")
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if unit == 0 || err != nil || n <= 0 || s[0] == '+' {
		return 0, fmt.Errorf("correlation.timespan %q: want a positive number and s, m, h or d, e.g. 10m", s)
	}
	if n > int64(maxTimespan/unit) {
		return 0, fmt.Errorf("correlation.timespan %q: longer than %d days", s, int(maxTimespan.Hours()/24))
	}
	return time.Duration(n) * unit, nil
}

// parseCountCondition reads the condition map; value_count takes its field
// from it. temporal without a condition means all rules; temporal_ordered
// takes none (the order of all rules is the condition).
func parseCountCondition(n *yaml.Node, c *Correlation) error {
	if n.Kind == 0 {
		switch c.Type {
		case EventCount, ValueCount:
			return fmt.Errorf("correlation.condition is required for %s, e.g. gte: 3", c.Type)
		case Temporal, TemporalOrdered:
			all := int64(len(c.Rules))
			c.Condition = CountCondition{GTE: &all}
		}
		return nil
	}
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return fmt.Errorf("correlation.condition: line %d: want a map such as gte: 3", n.Line)
	}
	if c.Type == TemporalOrdered {
		return fmt.Errorf("correlation.condition: line %d: not supported for temporal_ordered (all rules must occur in order)", n.Line)
	}
	var errs []error
	bounds := 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "field" {
			switch {
			case c.Type != ValueCount:
				errs = append(errs, fmt.Errorf("correlation.condition.field: line %d: only value_count takes a field", k.Line))
			case v.Kind != yaml.ScalarNode || v.Value == "":
				errs = append(errs, fmt.Errorf("correlation.condition.field: line %d: want one field name (lists of fields are not supported)", v.Line))
			default:
				c.Field = v.Value
			}
			continue
		}
		dst := map[string]**int64{"gt": &c.Condition.GT, "gte": &c.Condition.GTE, "lt": &c.Condition.LT,
			"lte": &c.Condition.LTE, "eq": &c.Condition.EQ, "neq": &c.Condition.NEQ}[k.Value]
		if dst == nil {
			errs = append(errs, fmt.Errorf("correlation.condition.%s: line %d: want gt, gte, lt, lte, eq or neq", k.Value, k.Line))
			continue
		}
		x, err := strconv.ParseInt(v.Value, 10, 64)
		if v.Kind != yaml.ScalarNode || err != nil || x < 0 || x > math.MaxInt32 {
			errs = append(errs, fmt.Errorf("correlation.condition.%s: line %d: want a non-negative integer", k.Value, v.Line))
			continue
		}
		*dst = &x
		bounds++
	}
	if c.Type == ValueCount && c.Field == "" {
		errs = append(errs, errors.New("correlation.condition.field is required for value_count"))
	}
	if bounds == 0 {
		errs = append(errs, errors.New("correlation.condition needs at least one of gt, gte, lt, lte, eq, neq"))
	}
	if c.Condition.monotone() && !c.Condition.Holds(math.MaxInt32) {
		errs = append(errs, errors.New("correlation.condition can never hold"))
	}
	if !c.Condition.monotone() && c.Condition.GT == nil && c.Condition.GTE == nil && c.Condition.EQ == nil {
		errs = append(errs, fmt.Errorf("correlation.condition %s has no lower bound: add gt or gte (a window always holds at least one event)", c.Condition))
	}
	return errors.Join(errs...)
}

// parseSequenceSamples reads a correlation's kmsguard.tests: each sample
// has events, a list of CloudTrail records as JSON strings.
func parseSequenceSamples(k *kmsguardDoc) ([]SequenceSample, error) {
	var out []SequenceSample
	var errs []error
	add := func(list []sampleDoc, match bool, kind string) {
		for i, s := range list {
			name := s.Name
			if name == "" {
				name = fmt.Sprintf("%s[%d]", kind, i)
			}
			if s.Event.Kind != 0 || len(s.Needs) > 0 {
				errs = append(errs, fmt.Errorf("kmsguard.tests.%s %q: correlation samples take events (a list), not event or needs", kind, name))
				continue
			}
			if s.Events.Kind != yaml.SequenceNode || len(s.Events.Content) == 0 {
				errs = append(errs, fmt.Errorf("kmsguard.tests.%s %q: line %d: events must be a non-empty list of JSON strings", kind, name, s.Events.Line))
				continue
			}
			sample := SequenceSample{Name: name, Match: match, Line: s.Events.Line}
			for _, ev := range s.Events.Content {
				if ev.Kind != yaml.ScalarNode {
					errs = append(errs, fmt.Errorf("kmsguard.tests.%s %q: line %d: event must be a JSON string", kind, name, ev.Line))
					continue
				}
				if err := checkSampleEvent(ev.Value); err != nil {
					errs = append(errs, fmt.Errorf("kmsguard.tests.%s %q: line %d: %w", kind, name, ev.Line, err))
					continue
				}
				sample.Events = append(sample.Events, ev.Value)
			}
			out = append(out, sample)
		}
	}
	add(k.Tests.Match, true, "match")
	add(k.Tests.NoMatch, false, "nomatch")
	return out, errors.Join(errs...)
}
