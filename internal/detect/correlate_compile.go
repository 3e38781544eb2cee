package detect

import (
	"container/list"
	"errors"
	"fmt"
)

// NewCorrelator resolves the correlations of set against its detection
// rules (by id or name). Every referenced rule must exist and be a
// detection rule (chaining correlations is not supported); aliases must
// cover every referenced rule.
func NewCorrelator(set RuleSet, opts CorrelatorOptions) (*Correlator, error) {
	if opts.AllowedLateness <= 0 {
		opts.AllowedLateness = DefaultAllowedLateness
	}
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	if opts.MaxEventsPerGroup <= 0 {
		opts.MaxEventsPerGroup = DefaultMaxEventsPerGroup
	}
	c := &Correlator{opts: opts, byRule: map[string][]ruleRef{}, silent: map[string]bool{}, dirty: map[groupRef]bool{}}
	rules := map[string]*Rule{}
	for _, r := range set.Rules {
		rules[r.ID] = r
		if r.Name != "" {
			rules[r.Name] = r
		}
	}
	corrNames := map[string]bool{}
	for _, k := range set.Correlations {
		corrNames[k.ID], corrNames[k.Name] = true, true
	}
	var errs []error
	ids := map[string]*Correlation{}
	generating := map[string]bool{}
	for _, k := range set.Correlations {
		where := fmt.Sprintf("%s: correlation %q", k.File, k.Title)
		if k.Type == "" || k.Timespan <= 0 {
			errs = append(errs, fmt.Errorf("%s: not parsed: load correlations with ParseRuleSet, LoadDir or Builtin", where))
			continue
		}
		if k.ID == "" {
			errs = append(errs, fmt.Errorf("%s: id is required to run it (alerts carry it)", where))
			continue
		}
		if r, clash := rules[k.ID]; clash {
			errs = append(errs, fmt.Errorf("%s: id %s is already used by rule %q in %s", where, k.ID, r.Title, r.File))
			continue
		}
		if prev, dup := ids[k.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: id %s is already used by %q in %s", where, k.ID, prev.Title, prev.File))
			continue
		}
		ids[k.ID] = k
		cs := &corrState{corr: k, groups: map[string]*group{}, lru: list.New()}
		cs.stats.RuleID, cs.stats.Title = k.ID, k.Title
		var refErr []error
		used := map[*Rule]string{}
		for i, ref := range k.Rules {
			r, ok := rules[ref]
			switch {
			case !ok && corrNames[ref]:
				refErr = append(refErr, fmt.Errorf("%s: rule %q is a correlation: chaining correlations is not supported", where, ref))
				continue
			case !ok:
				refErr = append(refErr, fmt.Errorf("%s: rule %q is not loaded", where, ref))
				continue
			case used[r] != "":
				refErr = append(refErr, fmt.Errorf("%s: rules %q and %q are the same rule", where, used[r], ref))
				continue
			}
			used[r] = ref
			if m, isAlias := k.Aliases[k.Field]; isAlias && m[ref] == "" {
				refErr = append(refErr, fmt.Errorf("%s: alias %q (the value_count field) has no field for rule %q", where, k.Field, ref))
			}
			fields := make([]string, len(k.GroupBy))
			for g, name := range k.GroupBy {
				fields[g] = name
				if m, isAlias := k.Aliases[name]; isAlias {
					f, ok := m[ref]
					if !ok {
						f, ok = m[r.Name]
					}
					if !ok {
						f, ok = m[r.ID]
					}
					if !ok {
						refErr = append(refErr, fmt.Errorf("%s: alias %q has no field for rule %q", where, name, ref))
					}
					fields[g] = f
				}
			}
			cs.fields = append(cs.fields, fields)
			c.byRule[r.ID] = append(c.byRule[r.ID], ruleRef{c: cs, i: i})
			if k.Generate {
				generating[r.ID] = true
			}
		}
		for alias := range k.Aliases {
			if slicesIndex(k.GroupBy, alias) < 0 && alias != k.Field {
				refErr = append(refErr, fmt.Errorf("%s: alias %q is not used in group-by or as the field", where, alias))
			}
		}
		if len(refErr) > 0 {
			errs = append(errs, refErr...)
			continue
		}
		c.corrs = append(c.corrs, cs)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for id := range c.byRule {
		c.silent[id] = !generating[id]
	}
	return c, nil
}
