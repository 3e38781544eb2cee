package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kmsguard/kmsguard/internal/severity"
)

// ruleDoc is the metadata of a Sigma document. Detection and filter bodies
// are kept as YAML nodes to compile them with line numbers.
type ruleDoc struct {
	Title          string      `yaml:"title"`
	ID             string      `yaml:"id"`
	Name           string      `yaml:"name"`
	Taxonomy       string      `yaml:"taxonomy"`
	Status         string      `yaml:"status"`
	Description    string      `yaml:"description"`
	Author         string      `yaml:"author"`
	Date           string      `yaml:"date"`
	Modified       string      `yaml:"modified"`
	References     []string    `yaml:"references"`
	Tags           []string    `yaml:"tags"`
	FalsePositives []string    `yaml:"falsepositives"`
	Fields         []string    `yaml:"fields"`
	Level          string      `yaml:"level"`
	Logsource      *Logsource  `yaml:"logsource"`
	Detection      yaml.Node   `yaml:"detection"`
	Filter         yaml.Node   `yaml:"filter"`
	Correlation    yaml.Node   `yaml:"correlation"`
	Action         yaml.Node   `yaml:"action"`
	Generate       *bool       `yaml:"generate"`
	Kmsguard       kmsguardDoc `yaml:"kmsguard"`
}

// kmsguardDoc is kmsguard's custom attribute on a rule.
type kmsguardDoc struct {
	Guide   string    `yaml:"guide"`
	Details yaml.Node `yaml:"details"`
	Tests   struct {
		Match   []sampleDoc `yaml:"match"`
		NoMatch []sampleDoc `yaml:"nomatch"`
	} `yaml:"tests"`
}

type sampleDoc struct {
	Name   string    `yaml:"name"`
	Needs  []string  `yaml:"needs"`
	Event  yaml.Node `yaml:"event"`
	Events yaml.Node `yaml:"events"` // correlation samples: a sequence
}

// maxDocuments bounds the documents read from one file.
const maxDocuments = 1000

// ParseFile parses the Sigma documents in one YAML file. Each document is a
// detection rule or a meta filter; rule collections (action: global) are
// rejected, and so are correlation rules: use ParseRuleSet for files that
// may hold them. Errors name the file and the construct.
func ParseFile(file string, data []byte) ([]*Rule, []*Filter, error) {
	set, err := ParseRuleSet(file, data)
	if err != nil {
		return nil, nil, err
	}
	if len(set.Correlations) > 0 {
		return nil, nil, fmt.Errorf("%s: correlation rule %q: load files with correlation rules with ParseRuleSet or LoadDir", file, set.Correlations[0].Title)
	}
	return set.Rules, set.Filters, nil
}

// ParseRuleSet parses the Sigma documents in one YAML file: detection
// rules, meta filters and correlation rules, in any mix (a correlation and
// the rules it refers to often share a file). Rule collections (action:
// global) are rejected. Errors name the file and the construct.
func ParseRuleSet(file string, data []byte) (RuleSet, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var set RuleSet
	for i := 1; ; i++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return RuleSet{}, fmt.Errorf("%s: %w", file, err)
		}
		if i > maxDocuments {
			return RuleSet{}, fmt.Errorf("%s: more than %d YAML documents", file, maxDocuments)
		}
		if isEmptyDocument(&root) {
			continue // an empty document, e.g. after a trailing ---
		}
		where := file
		if i > 1 {
			where = fmt.Sprintf("%s (document %d)", file, i)
		}
		if err := parseDocument(where, &root, &set); err != nil {
			return RuleSet{}, err
		}
	}
	if len(set.Rules) == 0 && len(set.Filters) == 0 && len(set.Correlations) == 0 {
		return RuleSet{}, fmt.Errorf("%s: no Sigma rule in file", file)
	}
	for _, c := range set.Correlations {
		c.File = file
	}
	return set, nil
}

func parseDocument(where string, root *yaml.Node, set *RuleSet) error {
	body := root
	if body.Kind == yaml.DocumentNode && len(body.Content) == 1 {
		body = body.Content[0]
	}
	if body.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: line %d: a Sigma rule must be a YAML map", where, body.Line)
	}
	var doc ruleDoc
	if err := body.Decode(&doc); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if doc.Title != "" {
		where = fmt.Sprintf("%s: rule %q", where, doc.Title)
	}
	switch {
	case doc.Correlation.Kind != 0:
		c, err := buildCorrelation(&doc)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		set.Correlations = append(set.Correlations, c)
		return nil
	case doc.Generate != nil:
		return fmt.Errorf("%s: generate belongs to correlation rules", where)
	case doc.Action.Kind != 0:
		return fmt.Errorf("%s: rule collections (action: %s) are not supported; write one rule per document", where, doc.Action.Value)
	case doc.Filter.Kind != 0 && doc.Detection.Kind != 0:
		return fmt.Errorf("%s: a document cannot have both detection and filter", where)
	case doc.Filter.Kind != 0:
		f, err := buildFilter(&doc)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		set.Filters = append(set.Filters, f)
		return nil
	}
	r, err := buildRule(&doc)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	set.Rules = append(set.Rules, r)
	return nil
}

func checkCommon(doc *ruleDoc) error {
	var errs []error
	if strings.TrimSpace(doc.Title) == "" {
		errs = append(errs, errors.New("title is required"))
	} else if len(doc.Title) > 256 {
		errs = append(errs, errors.New("title is longer than 256 characters"))
	}
	if doc.Logsource == nil {
		errs = append(errs, errors.New("logsource is required"))
	}
	for _, d := range [][2]string{{"date", doc.Date}, {"modified", doc.Modified}} {
		if d[1] != "" && !dateRE.MatchString(d[1]) {
			errs = append(errs, fmt.Errorf("%s %q: want YYYY-MM-DD", d[0], d[1]))
		}
	}
	return errors.Join(errs...)
}

func buildRule(doc *ruleDoc) (*Rule, error) {
	var errs []error
	if err := checkCommon(doc); err != nil {
		errs = append(errs, err)
	}
	if doc.ID == "" {
		errs = append(errs, errors.New("id is required (a UUID)"))
	} else if !isUUID(doc.ID) {
		errs = append(errs, fmt.Errorf("id %q is not a UUID", doc.ID))
	}
	if doc.Status != "" && !validStatus(doc.Status) {
		errs = append(errs, fmt.Errorf("status %q: want stable, test, experimental, deprecated or unsupported", doc.Status))
	}
	for _, t := range doc.Tags {
		if !tagRE.MatchString(t) {
			errs = append(errs, fmt.Errorf("tag %q: want namespace.name in lower case", t))
		}
	}
	r := &Rule{
		ID: doc.ID, Name: doc.Name, Title: doc.Title, Description: doc.Description,
		Status: doc.Status, Author: doc.Author, Tags: doc.Tags, FalsePositives: doc.FalsePositives,
		References: doc.References, Fields: doc.Fields, Guide: doc.Kmsguard.Guide, Taxonomy: doc.Taxonomy,
	}
	if doc.Logsource != nil {
		r.Logsource = *doc.Logsource
	}
	if doc.Level == "" {
		r.Level = severity.Medium // Sigma makes level optional
	} else if lvl, err := parseLevel(doc.Level); err != nil {
		errs = append(errs, err)
	} else {
		r.Level = lvl
	}
	if doc.Detection.Kind == 0 {
		errs = append(errs, errors.New("detection is required"))
	} else if cond, err := compileDetection(&doc.Detection, "detection", nil); err != nil {
		errs = append(errs, err)
	} else {
		r.cond = cond
	}
	details, err := parseDetails(&doc.Kmsguard.Details)
	if err != nil {
		errs = append(errs, err)
	}
	r.Details = details
	samples, err := parseSamples(&doc.Kmsguard)
	if err != nil {
		errs = append(errs, err)
	}
	r.Samples = samples
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// compileDetection compiles the search identifiers of a detection (or
// filter) map and binds its condition. skip lists keys that are not search
// identifiers.
func compileDetection(body *yaml.Node, section string, skip map[string]bool) (node, error) {
	if body.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: line %d: must be a map", section, body.Line)
	}
	idents := map[string]node{}
	var order []string
	var condNode *yaml.Node
	for i := 0; i+1 < len(body.Content); i += 2 {
		key, val := body.Content[i], body.Content[i+1]
		name := key.Value
		switch {
		case skip[name]:
			continue
		case name == "condition":
			condNode = val
			continue
		case name == "timeframe":
			return nil, fmt.Errorf("%s.timeframe: line %d: timeframes are not supported (they belong to correlation rules)", section, key.Line)
		case name == "":
			return nil, fmt.Errorf("%s: line %d: empty search identifier", section, key.Line)
		}
		if _, dup := idents[name]; dup {
			return nil, fmt.Errorf("%s.%s: line %d: duplicate search identifier", section, name, key.Line)
		}
		n, err := compileSearch(val)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", section, name, err)
		}
		idents[name] = n
		order = append(order, name)
	}
	if condNode == nil {
		return nil, fmt.Errorf("%s.condition is required", section)
	}
	var conds []string
	switch condNode.Kind {
	case yaml.ScalarNode:
		conds = []string{condNode.Value}
	case yaml.SequenceNode:
		for _, el := range condNode.Content {
			if el.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s.condition: line %d: want a string", section, el.Line)
			}
			conds = append(conds, el.Value)
		}
	}
	if len(conds) == 0 {
		return nil, fmt.Errorf("%s.condition: line %d: want a condition string or a list of them", section, condNode.Line)
	}
	var or orNode
	for _, c := range conds {
		expr, err := parseCondition(c)
		if err != nil {
			return nil, fmt.Errorf("%s.condition %q: %w", section, c, err)
		}
		n, err := bindCondition(expr, idents, order)
		if err != nil {
			return nil, fmt.Errorf("%s.condition %q: %w", section, c, err)
		}
		or = append(or, n)
	}
	if len(or) == 1 {
		return or[0], nil
	}
	return or, nil
}

// isEmptyDocument reports a YAML document without content, such as the one
// after a trailing "---".
func isEmptyDocument(root *yaml.Node) bool {
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return true
		}
		root = root.Content[0]
	}
	return root.Kind == 0 || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" && root.Value == "")
}
