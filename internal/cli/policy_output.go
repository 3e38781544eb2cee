package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// The JSON of `kmsguard policy check --format json` is a user-facing
// contract (docs/policy-engine.md): fields are only ever added.
type checkResult struct {
	Source         string             `json:"source"`
	Version        string             `json:"version"`
	Partition      string             `json:"partition"`
	Statements     []statementJSON    `json:"statements"`
	BlockedActions []blockedJSON      `json:"blocked_actions"`
	Request        *requestResultJSON `json:"request,omitempty"`
	// Fails is true when some blocked action is allowed on all keys (upper
	// bound, as KMS.1/KMS.2 decide) or on some key outside the trusted
	// accounts.
	Fails bool `json:"fails"`
}

type statementJSON struct {
	Index       int      `json:"index"`
	Ref         string   `json:"ref"`
	Effect      string   `json:"effect"`
	Actions     []string `json:"actions"`
	NotAction   bool     `json:"not_action"`
	Resources   []string `json:"resources"`
	NotResource bool     `json:"not_resource"`
	Principal   string   `json:"principal,omitempty"`
	Conditions  []string `json:"conditions"`
}

type evidenceJSON struct {
	Index       int    `json:"index"`
	Ref         string `json:"ref"`
	Effect      string `json:"effect"`
	Conditional bool   `json:"conditional"`
	Variables   bool   `json:"variables"`
}

type answerJSON struct {
	Question          string         `json:"question"`
	Action            string         `json:"action"`
	ExampleAction     string         `json:"example_action"`
	Universe          string         `json:"universe"`
	Verdict           string         `json:"verdict"`
	UpperBound        bool           `json:"upper_bound"`
	LowerBound        bool           `json:"lower_bound"`
	Witness           string         `json:"witness"`
	WitnessMeaning    string         `json:"witness_meaning"`
	WitnessStatements []evidenceJSON `json:"witness_statements"`
	Allows            []evidenceJSON `json:"allows"`
	Denies            []evidenceJSON `json:"denies"`
	Reason            string         `json:"reason,omitempty"`
}

type coverageJSON struct {
	evidenceJSON
	Coverage string `json:"coverage"`
	Example  string `json:"example,omitempty"`
	Missed   string `json:"missed,omitempty"`
}

type blockedJSON struct {
	Action         string         `json:"action"`
	AllKeys        answerJSON     `json:"all_keys"`
	OutsideTrusted *answerJSON    `json:"outside_trusted"`
	Statements     []coverageJSON `json:"statements"`
}

type statementResultJSON struct {
	Index   int    `json:"index"`
	Ref     string `json:"ref"`
	Effect  string `json:"effect"`
	Applies bool   `json:"applies"`
	Match   string `json:"match"`
	Reason  string `json:"reason"`
}

type requestResultJSON struct {
	Principal  string                `json:"principal"`
	Action     string                `json:"action"`
	Resource   string                `json:"resource"`
	Decision   string                `json:"decision"`
	Match      string                `json:"match"`
	Deciding   []string              `json:"deciding"`
	Statements []statementResultJSON `json:"statements"`
}

func (r checkResult) fails() bool {
	for _, b := range r.BlockedActions {
		if b.AllKeys.UpperBound || (b.OutsideTrusted != nil && b.OutsideTrusted.UpperBound) {
			return true
		}
	}
	return false
}

func summarize(p *policy.Policy) []statementJSON {
	out := make([]statementJSON, 0, len(p.Statements))
	for _, st := range p.Statements {
		s := statementJSON{Index: st.Index, Ref: st.Ref(), Effect: string(st.Effect), Actions: st.Actions, NotAction: st.NotAction,
			Resources: st.Resources, NotResource: st.NotResource, Principal: principalText(st), Conditions: []string{}}
		if s.Resources == nil {
			s.Resources = []string{}
		}
		for _, c := range st.Conditions {
			s.Conditions = append(s.Conditions, fmt.Sprintf("%s %s %s", c.Operator, c.Key, strings.Join(c.Values, ",")))
		}
		out = append(out, s)
	}
	return out
}

func principalText(st policy.Statement) string {
	pr := st.Principals
	if pr == nil {
		return ""
	}
	var parts []string
	if pr.Wildcard {
		parts = append(parts, "*")
	}
	for _, group := range []struct {
		name string
		ids  []string
	}{{"AWS", pr.AWS}, {"Service", pr.Service}, {"Federated", pr.Federated}, {"CanonicalUser", pr.CanonicalUser}} {
		for _, id := range group.ids {
			parts = append(parts, group.name+":"+id)
		}
	}
	text := strings.Join(parts, ", ")
	if st.NotPrincipal {
		return "not " + text
	}
	return text
}

func toEvidence(evs []policy.Evidence) []evidenceJSON {
	out := make([]evidenceJSON, 0, len(evs))
	for _, e := range evs {
		out = append(out, evidenceJSON{Index: e.Index, Ref: e.Ref, Effect: string(e.Effect), Conditional: e.Conditional, Variables: e.Variables})
	}
	return out
}

func toAnswer(a policy.SetAnswer) answerJSON {
	return answerJSON{Question: a.Question, Action: a.Action, ExampleAction: a.ExampleAction, Universe: a.Universe, Verdict: string(a.Verdict),
		UpperBound: a.UpperBound, LowerBound: a.LowerBound, Witness: a.Witness, WitnessMeaning: a.WitnessMeaning,
		WitnessStatements: toEvidence(a.WitnessStatements), Allows: toEvidence(a.Allows), Denies: toEvidence(a.Denies), Reason: a.Reason}
}

func toBlockedJSON(r policy.BlockedActionReport) blockedJSON {
	b := blockedJSON{Action: r.Action, AllKeys: toAnswer(r.AllKeys), Statements: []coverageJSON{}}
	if r.OutsideTrusted != nil {
		o := toAnswer(*r.OutsideTrusted)
		b.OutsideTrusted = &o
	}
	for _, s := range r.Statements {
		b.Statements = append(b.Statements, coverageJSON{evidenceJSON: toEvidence([]policy.Evidence{s.Statement})[0],
			Coverage: string(s.Coverage), Example: s.Example, Missed: s.Missed})
	}
	return b
}

func toRequestJSON(req policy.Request, d policy.Decision) *requestResultJSON {
	r := &requestResultJSON{Principal: req.Principal.ID, Action: req.Action, Resource: req.Resource,
		Decision: d.Outcome.String(), Match: d.Match.String(), Deciding: []string{}}
	for _, s := range d.Deciding {
		r.Deciding = append(r.Deciding, s.Ref)
	}
	for _, s := range d.Statements {
		r.Statements = append(r.Statements, statementResultJSON{Index: s.Index, Ref: s.Ref, Effect: string(s.Effect),
			Applies: s.Applies, Match: s.Match.String(), Reason: s.Reason})
	}
	return r
}

func writeCheckJSON(w io.Writer, r checkResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
