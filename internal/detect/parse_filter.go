package detect

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// buildFilter validates a meta filter document and compiles its condition.
func buildFilter(doc *ruleDoc) (*Filter, error) {
	var errs []error
	if err := checkCommon(doc); err != nil {
		errs = append(errs, err)
	}
	if doc.ID != "" && !isUUID(doc.ID) {
		errs = append(errs, fmt.Errorf("id %q is not a UUID", doc.ID))
	}
	f := &Filter{ID: doc.ID, Title: doc.Title}
	body := &doc.Filter
	if body.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("filter: line %d: must be a map", body.Line)
	}
	var rulesNode *yaml.Node
	for i := 0; i+1 < len(body.Content); i += 2 {
		if body.Content[i].Value == "rules" {
			rulesNode = body.Content[i+1]
		}
	}
	switch {
	case rulesNode == nil:
		errs = append(errs, errors.New("filter.rules is required"))
	case rulesNode.Kind == yaml.ScalarNode && rulesNode.Value != "":
		f.Rules = []string{rulesNode.Value}
	case rulesNode.Kind == yaml.SequenceNode && len(rulesNode.Content) > 0:
		for _, el := range rulesNode.Content {
			if el.Kind != yaml.ScalarNode || el.Value == "" {
				errs = append(errs, fmt.Errorf("filter.rules: line %d: want rule ids or names", el.Line))
				continue
			}
			f.Rules = append(f.Rules, el.Value)
		}
	default:
		errs = append(errs, fmt.Errorf("filter.rules: line %d: want a non-empty list of rule ids or names", rulesNode.Line))
	}
	cond, err := compileDetection(body, "filter", map[string]bool{"rules": true})
	if err != nil {
		errs = append(errs, err)
	}
	f.cond = cond
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

func parseDetails(n *yaml.Node) ([]Detail, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("kmsguard.details: line %d: want a map of detail name to field path", n.Line)
	}
	var out []Detail
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return nil, fmt.Errorf("kmsguard.details.%s: line %d: want a field path", k.Value, v.Line)
		}
		out = append(out, Detail{Name: k.Value, Field: v.Value})
	}
	return out, nil
}

func parseSamples(k *kmsguardDoc) ([]Sample, error) {
	var out []Sample
	var errs []error
	add := func(list []sampleDoc, match bool, kind string) {
		for i, s := range list {
			name := s.Name
			if name == "" {
				name = fmt.Sprintf("%s[%d]", kind, i)
			}
			if s.Events.Kind != 0 {
				errs = append(errs, fmt.Errorf("kmsguard.tests.%s %q: line %d: events (a sequence) is for correlation rules; a detection rule sample has one event", kind, name, s.Events.Line))
				continue
			}
			if s.Event.Kind != yaml.ScalarNode {
				errs = append(errs, fmt.Errorf("kmsguard.tests.%s %q: line %d: event must be a JSON string (use a | block)", kind, name, s.Event.Line))
				continue
			}
			for _, n := range s.Needs {
				if n != "policy" {
					errs = append(errs, fmt.Errorf("kmsguard.tests.%s %q: needs %q: the only capability is policy", kind, name, n))
				}
			}
			if err := checkSampleEvent(s.Event.Value); err != nil {
				errs = append(errs, fmt.Errorf("kmsguard.tests.%s %q: line %d: %w", kind, name, s.Event.Line, err))
				continue
			}
			out = append(out, Sample{Name: name, Match: match, Needs: s.Needs, Event: s.Event.Value, Line: s.Event.Line})
		}
	}
	add(k.Tests.Match, true, "match")
	add(k.Tests.NoMatch, false, "nomatch")
	return out, errors.Join(errs...)
}
