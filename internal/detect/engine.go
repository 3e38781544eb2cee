package detect

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// Options configure an Engine.
type Options struct {
	// Policy, when set, lets the Deriver judge PutKeyPolicy documents
	// (kmsguard.policy.public and kmsguard.policy.crossAccount).
	Policy PolicyAnalyzer
	// NoFilters compiles the rules without their meta filters (used to run
	// rule samples, which test the rules as written).
	NoFilters bool
}

// Engine evaluates a set of compiled rules against CloudTrail records. It is
// safe for concurrent use: Match never changes the engine.
type Engine struct {
	rules   []*compiledRule
	deriver Deriver
	index   ruleIndex
}

type compiledRule struct {
	rule   *Rule
	cond   node       // the rule's condition with its filters applied
	checks []rawCheck // what a matching raw record passes (rawscreen.go)
}

// Match is one rule matching one record.
type Match struct {
	Rule *Rule
}

// NewEngine compiles a rule set into an engine. Every rule must be for
// logsource product aws, service cloudtrail; rule ids must be unique; every
// filter must name loaded rules. Errors name the file of the offending rule.
func NewEngine(set RuleSet, opts Options) (*Engine, error) {
	e := &Engine{deriver: Deriver{Policy: opts.Policy}}
	var errs []error
	byRef := map[string]*compiledRule{}
	for _, r := range set.Rules {
		if r.cond == nil {
			errs = append(errs, fmt.Errorf("%s: rule %q has no compiled detection: load rules with ParseFile, LoadDir or Builtin", r.File, r.Title))
			continue
		}
		if !r.Logsource.IsCloudTrail() {
			errs = append(errs, fmt.Errorf("%s: rule %q: logsource %q is not supported: kmsguard evaluates product: aws, service: cloudtrail", r.File, r.Title, r.Logsource.String()))
			continue
		}
		if r.Taxonomy != "" && r.Taxonomy != "sigma" {
			errs = append(errs, fmt.Errorf("%s: rule %q: taxonomy %q is not supported: kmsguard matches CloudTrail's own field names", r.File, r.Title, r.Taxonomy))
			continue
		}
		if prev, dup := byRef[r.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: rule %q: id %s is already used by %q in %s", r.File, r.Title, r.ID, prev.rule.Title, prev.rule.File))
			continue
		}
		cr := &compiledRule{rule: r, cond: r.cond}
		e.rules = append(e.rules, cr)
		byRef[r.ID] = cr
		if r.Name != "" {
			byRef[r.Name] = cr
		}
	}
	if !opts.NoFilters {
		for _, f := range set.Filters {
			if f.cond == nil {
				errs = append(errs, fmt.Errorf("%s: filter %q has no compiled condition: load filters with ParseFile or LoadDir", f.File, f.Title))
				continue
			}
			for _, ref := range f.Rules {
				cr, ok := byRef[ref]
				if !ok {
					errs = append(errs, fmt.Errorf("%s: filter %q: rule %q is not loaded", f.File, f.Title, ref))
					continue
				}
				cr.cond = andNode{cr.cond, notNode{f.cond}}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, cr := range e.rules {
		cr.checks = requiredChecks(cr.cond)
	}
	e.index = buildIndex(e.rules)
	return e, nil
}

// Rules returns the engine's rules in load order.
func (e *Engine) Rules() []*Rule {
	out := make([]*Rule, len(e.rules))
	for i, cr := range e.rules {
		out[i] = cr.rule
	}
	return out
}

// Match returns the rules that match rec, in rule order. Only rules indexed
// under the record's eventSource and eventName (plus catch-all rules) are
// tested. When a candidate rule exists and the event is one the Deriver
// knows, Match first adds derived fields under rec.Fields["kmsguard"],
// replacing anything the record had there; so a record must not be matched
// by two goroutines at once (different records may be).
func (e *Engine) Match(rec *cloudtrail.Record) []Match {
	source, name := rec.String("eventSource"), rec.String("eventName")
	var buf [8]int
	cands := e.index.candidates(source, name, buf[:0])
	if len(cands) == 0 {
		return nil
	}
	slices.Sort(cands)
	e.deriver.Derive(rec, name)
	var out []Match
	for _, i := range cands {
		if e.rules[i].cond.match(rec) {
			out = append(out, Match{Rule: e.rules[i].rule})
		}
	}
	return out
}

// Wants reports whether any rule could match an event with this
// eventSource and eventName, so a reader can skip decoding the others.
func (e *Engine) Wants(eventSource, eventName string) bool {
	var buf [8]int
	return len(e.index.candidates(eventSource, eventName, buf[:0])) > 0
}

// Prefilter describes, for a reader's fast path, which events the rule set
// can match at all. A record can match only if CatchAll is set, or its
// (eventSource, eventName) is in Pairs, or its eventName is in Names, or its
// eventSource is in Sources. Values are as written in the rules; the engine
// compares them case-insensitively.
type Prefilter struct {
	Pairs    []EventKey
	Names    []string
	Sources  []string
	CatchAll bool
}

// EventKey is an (eventSource, eventName) pair.
type EventKey struct {
	Source string
	Name   string
}

// Prefilter returns the literals the rule set needs.
func (e *Engine) Prefilter() Prefilter { return e.index.prefilter() }

// WatchedEvents describes, for listings, which events a rule is indexed
// under: "source:name", "*:name", "source:*", or "*" for catch-all rules.
func WatchedEvents(r *Rule) []string {
	src, srcOK := requiredLiterals(r.cond, "eventSource")
	name, nameOK := requiredLiterals(r.cond, "eventName")
	var out []string
	switch {
	case srcOK && nameOK:
		for _, s := range src {
			for _, n := range name {
				out = append(out, s+":"+n)
			}
		}
	case nameOK:
		for _, n := range name {
			out = append(out, "*:"+n)
		}
	case srcOK:
		for _, s := range src {
			out = append(out, s+":*")
		}
	default:
		out = []string{"*"}
	}
	return out
}
