package detect

import "fmt"

// RunCorrelationSamples runs the samples of every correlation in corrs:
// each sample's events, in the order given, are matched by e and fed to a
// fresh Correlator holding only that correlation, which is flushed at the
// end. A match sample passes when the correlation fires, a nomatch sample
// when it does not. The referenced rules must be in e; an error means a
// correlation could not be compiled.
func (e *Engine) RunCorrelationSamples(corrs []*Correlation, opts CorrelatorOptions) ([]SampleResult, error) {
	rules := e.Rules()
	var out []SampleResult
	for _, k := range corrs {
		set := RuleSet{Rules: rules, Correlations: []*Correlation{k}}
		if _, err := NewCorrelator(set, opts); err != nil {
			return nil, err
		}
		for _, s := range k.Samples {
			res := SampleResult{Correlation: k, Sample: Sample{Name: s.Name, Match: s.Match, Line: s.Line}}
			c, _ := NewCorrelator(set, opts) // samples are independent; compiled above
			fired, err := runSequence(e, c, k, s)
			switch {
			case err != nil:
				res.Detail = err.Error()
			case fired != s.Match && s.Match:
				res.Detail = "correlation did not fire"
			case fired != s.Match:
				res.Detail = "correlation fired"
			default:
				res.Pass = true
			}
			out = append(out, res)
		}
	}
	return out, nil
}

func runSequence(e *Engine, c *Correlator, k *Correlation, s SequenceSample) (bool, error) {
	fired := false
	for i, ev := range s.Events {
		rec, err := DecodeRecord([]byte(ev))
		if err != nil {
			return false, fmt.Errorf("event %d: %w", i+1, err)
		}
		for _, m := range e.Match(rec) {
			for _, a := range c.Observe(m, rec) {
				fired = fired || a.RuleID == k.ID
			}
		}
	}
	for _, a := range c.Flush() {
		fired = fired || a.RuleID == k.ID
	}
	return fired, nil
}
