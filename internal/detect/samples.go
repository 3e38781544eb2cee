package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// SampleResult is the outcome of running one rule sample.
type SampleResult struct {
	Rule        *Rule        // the rule of a detection sample
	Correlation *Correlation // or the correlation of a sequence sample
	Sample      Sample
	Pass        bool
	Skipped     string // why the sample did not run, e.g. a missing capability
	Detail      string // what went wrong when Pass is false
}

// Title is the title of the sample's rule or correlation.
func (r SampleResult) Title() string {
	if r.Correlation != nil {
		return r.Correlation.Title
	}
	return r.Rule.Title
}

// File is the file of the sample's rule or correlation.
func (r SampleResult) File() string {
	if r.Correlation != nil {
		return r.Correlation.File
	}
	return r.Rule.File
}

// RunSamples runs every sample of every rule in the engine: a match sample
// passes when its rule matches, a nomatch sample when it does not. Samples
// that need a capability the engine lacks ("policy" without a
// PolicyAnalyzer) are reported as skipped. Build the engine with
// Options.NoFilters to test rules as written.
func (e *Engine) RunSamples() []SampleResult {
	var out []SampleResult
	for _, cr := range e.rules {
		for _, s := range cr.rule.Samples {
			res := SampleResult{Rule: cr.rule, Sample: s}
			if slices.Contains(s.Needs, "policy") && e.deriver.Policy == nil {
				res.Skipped = "needs a policy analyzer"
				out = append(out, res)
				continue
			}
			rec, err := DecodeRecord([]byte(s.Event))
			if err != nil {
				res.Detail = err.Error()
				out = append(out, res)
				continue
			}
			matched := false
			for _, m := range e.Match(rec) {
				if m.Rule == cr.rule {
					matched = true
				}
			}
			res.Pass = matched == s.Match
			if !res.Pass {
				if s.Match {
					res.Detail = "rule did not match"
				} else {
					res.Detail = "rule matched"
				}
			}
			out = append(out, res)
		}
	}
	return out
}

// DecodeRecord decodes one CloudTrail record the way the cloudtrail
// decoders do: objects as maps, numbers as json.Number.
func DecodeRecord(data []byte) (*cloudtrail.Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("decode record: not a JSON object")
	}
	return &cloudtrail.Record{Fields: m}, nil
}
